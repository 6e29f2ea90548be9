using System;
using System.Linq;
using VfioPS.Mock;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// The config-space decoder on the bytes the kernel lane read through vfio-pci's CONFIG region (the built-in
/// profiles carry them), and on hand-made spaces for the list walk's bounds, cycles and unknown ids.
/// </summary>
public class PciConfigDecoderTests
{
    private static VfioPciConfig Profile(string name) => PciConfigDecoder.Decode("mock:" + name, MockProfileReader.LoadBuiltIn(name).Config!.Bytes);

    [Fact]
    public void E1000e_Header()
    {
        var c = Profile("e1000e");
        Assert.Equal(4096, c.Length);
        Assert.Equal((ushort)0x8086, c.VendorId);
        Assert.Equal((ushort)0x10D3, c.DeviceId);
        Assert.Equal((ushort)0x0103, c.Command);
        Assert.True(c.MemorySpaceEnabled);
        Assert.True(c.IoSpaceEnabled);
        Assert.False(c.BusMaster);
        Assert.Equal(0x020000u, c.ClassCode);
        Assert.Equal("Network controller", c.ClassName);
        Assert.Equal(0, c.HeaderType);
        Assert.Equal((ushort)0x8086, c.SubsystemVendorId);
        Assert.Equal((ushort)0x0000, c.SubsystemId);
        Assert.Equal("INTA", c.InterruptPinName);
        Assert.Equal((byte)0x0A, c.InterruptLine);
        Assert.Equal((byte)0xC8, c.CapabilitiesPointer);
        Assert.Equal(new[] { "Mem32", "Mem32", "IO", "Mem32", "None", "None" }, c.Bars.Select(b => b.Kind));
        Assert.Equal(0xFE580000ul, c.Bars[0].Address);
        Assert.Equal(0xD1A0ul, c.Bars[2].Address);
        Assert.Empty(c.Faults);
    }

    [Fact]
    public void E1000e_CapabilityListInListOrder()
    {
        var c = Profile("e1000e");
        Assert.Equal(new[] { "PM@0xc8", "MSI@0xd0", "PCIe@0xe0", "MSI-X@0xa0", "AER@0x100", "DSN@0x140" },
            c.Capabilities.Concat(c.ExtendedCapabilities).Select(x => $"{x.Name}@0x{x.Offset:x}"));
    }

    [Fact]
    public void E1000e_MsiX_TableSize5_InBar3()
    {
        var msix = Profile("e1000e").MsiX!;
        Assert.Equal(5, msix.TableSize);
        Assert.Equal(3, msix.TableBir);
        Assert.Equal(0u, msix.TableOffset);
        Assert.Equal(3, msix.PbaBir);
        Assert.Equal(0x2000u, msix.PbaOffset);
        Assert.False(msix.Enabled);
        Assert.False(msix.FunctionMask);
        Assert.Equal(12, msix.Bytes.Length);
    }

    [Fact]
    public void E1000e_Msi_And_PciExpress_And_Aer()
    {
        var c = Profile("e1000e");
        var msi = c.Msi!;
        Assert.True(msi.Is64Bit);
        Assert.False(msi.PerVectorMasking);
        Assert.Equal(1, msi.MultipleMessageCapable);
        Assert.False(msi.Enabled);
        Assert.Equal(14, msi.Bytes.Length);

        var pcie = c.Express!;
        Assert.Equal(1, pcie.CapabilityVersion);
        Assert.Equal("RootComplexIntegratedEndpoint", pcie.DevicePortTypeName);
        Assert.False(pcie.HasLink);
        Assert.Equal("2.5 GT/s", pcie.MaxLinkSpeed);
        Assert.Equal(1, pcie.MaxLinkWidth);
        Assert.Equal("2.5 GT/s", pcie.LinkSpeed);
        Assert.Equal(1, pcie.LinkWidth);

        var pm = c.PowerManagement!;
        Assert.Equal("D0", pm.PowerState);
        Assert.Equal(2, pm.PmVersion);

        var aer = c.Aer!;
        Assert.Equal(2, aer.Version);
        Assert.Equal((ushort)0x140, aer.Next);
        Assert.Equal(0x00462030u, aer.UncorrectableSeverity);
        Assert.Equal(0xE000u, aer.CorrectableMask);
        Assert.True(aer.EcrcGenerationCapable);
        Assert.True(aer.EcrcCheckCapable);
        Assert.False(aer.EcrcCheckEnabled);
    }

    [Fact]
    public void Edu_MsiOnly_ConventionalSpace()
    {
        var c = Profile("edu");
        Assert.Equal(256, c.Length);
        Assert.Equal((ushort)0x1234, c.VendorId);
        Assert.Equal((ushort)0x11E8, c.DeviceId);
        Assert.Equal((byte)0x10, c.RevisionId);
        Assert.Equal(0x00FF00u, c.ClassCode);
        Assert.Single(c.Capabilities);
        Assert.Empty(c.ExtendedCapabilities);
        Assert.True(c.Msi!.Is64Bit);
        Assert.Equal(new[] { "Mem32", "None", "None", "None", "None", "None" }, c.Bars.Select(b => b.Kind));
    }

    [Fact]
    public void VirtioNet_VendorCapabilities_And_MsiX4_And_64BitBar()
    {
        var c = Profile("virtio-net");
        Assert.Equal(new[] { "MSI-X", "Vendor", "Vendor", "Vendor", "Vendor", "Vendor" }, c.Capabilities.Select(x => x.Name));
        Assert.Equal(4, c.MsiX!.TableSize);
        Assert.Equal(1, c.MsiX.TableBir);
        Assert.Equal("Mem64", c.Bars[4].Kind);
        Assert.True(c.Bars[5].IsUpperHalf);
        Assert.True(c.Bars[4].Prefetchable);
        // A vendor capability spans the length byte it carries.
        Assert.All(c.Capabilities.Where(x => x.Name == "Vendor"), v => Assert.Equal(v.Bytes[2], v.Bytes.Length));
    }

    [Fact]
    public void PciTestdev_NoCapabilities_NoInterruptPin()
    {
        var c = Profile("pci-testdev");
        Assert.False(c.CapabilitiesListed);
        Assert.Empty(c.Capabilities);
        Assert.Equal("None", c.InterruptPinName);
        Assert.Empty(c.Faults);
    }

    private static byte[] Space(int size = 256)
    {
        var b = new byte[size];
        b[0] = 0x86; b[1] = 0x80; b[6] = 0x10; // status: capability list
        return b;
    }

    [Fact]
    public void CycleInStandardList_EndsTheWalk_WithAFault()
    {
        var b = Space();
        b[0x34] = 0x40;
        b[0x40] = 0x09; b[0x41] = 0x50; b[0x42] = 4;
        b[0x50] = 0x09; b[0x51] = 0x40; b[0x52] = 4;
        var c = PciConfigDecoder.Decode("t", b);
        Assert.Equal(new ushort[] { 0x40, 0x50 }, c.Capabilities.Select(x => x.Offset));
        Assert.Contains(c.Faults, f => f.Contains("loops back to 0x40", StringComparison.Ordinal));
    }

    [Fact]
    public void SelfPointer_IsACycleOfOne()
    {
        var b = Space();
        b[0x34] = 0x40;
        b[0x40] = 0x05; b[0x41] = 0x40;
        var c = PciConfigDecoder.Decode("t", b);
        Assert.Single(c.Capabilities);
        Assert.Single(c.Faults);
    }

    [Theory]
    [InlineData(0x20)]
    [InlineData(0x3C)]
    public void PointerIntoTheHeader_IsAFault(byte pointer)
    {
        var b = Space();
        b[0x34] = pointer;
        var c = PciConfigDecoder.Decode("t", b);
        Assert.Empty(c.Capabilities);
        Assert.Contains(c.Faults, f => f.Contains("outside 0x40..0xff", StringComparison.Ordinal));
    }

    [Fact]
    public void LowTwoPointerBits_AreIgnored_AsTheSpecReservesThem()
    {
        var b = Space();
        b[0x34] = 0x43;
        b[0x40] = 0x11; b[0x41] = 0x00; b[0x42] = 0x07; // MSI-X, 8 vectors
        var c = PciConfigDecoder.Decode("t", b);
        Assert.Equal(8, c.MsiX!.TableSize);
    }

    [Fact]
    public void UnknownId_IsKeptRaw_UpToTheNextCapability()
    {
        var b = Space();
        b[0x34] = 0x40;
        b[0x40] = 0x7E; b[0x41] = 0x60; b[0x44] = 0xAB;
        b[0x60] = 0x01; b[0x61] = 0x00;
        var c = PciConfigDecoder.Decode("t", b);
        var unknown = c.Capabilities[0];
        Assert.Equal("Unknown(0x7e)", unknown.Name);
        Assert.Equal(0x20, unknown.Bytes.Length);
        Assert.Equal(0xAB, unknown.Bytes[4]);
        Assert.IsType<VfioPciPowerManagementCapability>(c.Capabilities[1]);
    }

    [Fact]
    public void CapabilityAtTheEnd_IsCutToTheSpace_NotReadPastIt()
    {
        var b = Space();
        b[0x34] = 0xFC;
        b[0xFC] = 0x11; // MSI-X needs 12 bytes; 4 are there
        var c = PciConfigDecoder.Decode("t", b);
        var cap = Assert.Single(c.Capabilities);
        Assert.IsNotType<VfioPciMsixCapability>(cap);
        Assert.Equal(4, cap.Bytes.Length);
    }

    [Fact]
    public void StatusWithoutCapabilityList_IgnoresThePointer()
    {
        var b = Space();
        b[6] = 0;
        b[0x34] = 0x40;
        b[0x40] = 0x05;
        Assert.Empty(PciConfigDecoder.Decode("t", b).Capabilities);
    }

    [Fact]
    public void ExtendedList_CycleAndOutOfBounds_AreFaults()
    {
        var b = Space(4096);
        // 0x100 AER -> 0x200 unknown 0x7777 -> 0x100 again
        BitConverter.GetBytes(0x20020001u).CopyTo(b, 0x100);
        BitConverter.GetBytes(0x10017777u).CopyTo(b, 0x200);
        var c = PciConfigDecoder.Decode("t", b);
        Assert.Equal(new[] { "AER", "Unknown(0x7777)" }, c.ExtendedCapabilities.Select(x => x.Name));
        Assert.Contains(c.Faults, f => f.Contains("loops back to 0x100", StringComparison.Ordinal));

        BitConverter.GetBytes(0x0C010003u).CopyTo(b, 0x100); // next 0x0C0: below 0x100
        var d = PciConfigDecoder.Decode("t", b);
        Assert.Single(d.ExtendedCapabilities);
        Assert.Contains(d.Faults, f => f.Contains("outside 0x100", StringComparison.Ordinal));
    }

    [Fact]
    public void ExtendedHeaderZeroOrAllOnes_MeansNone()
    {
        var b = Space(4096);
        Assert.Empty(PciConfigDecoder.Decode("t", b).ExtendedCapabilities);
        BitConverter.GetBytes(0xFFFFFFFFu).CopyTo(b, 0x100);
        var c = PciConfigDecoder.Decode("t", b);
        Assert.Empty(c.ExtendedCapabilities);
        Assert.Empty(c.Faults);
    }

    [Fact]
    public void LongestPossibleChain_EndsWithoutAFault_AndRandomBytesNeverThrow()
    {
        var b = Space();
        b[0x34] = 0x40;
        for (int at = 0x40; at < 0x100; at += 4)
        {
            b[at] = 0x7E;
            b[at + 1] = (byte)(at + 4 < 0x100 ? at + 4 : 0);
        }
        var c = PciConfigDecoder.Decode("t", b);
        Assert.Equal(48, c.Capabilities.Length);
        Assert.Empty(c.Faults);

        var random = new Random(12);
        for (int n = 0; n < 2000; n++)
        {
            var junk = new byte[n % 2 == 0 ? 256 : 4096];
            random.NextBytes(junk);
            var decoded = PciConfigDecoder.Decode("t", junk);
            Assert.True(decoded.Capabilities.Length <= 48);
            Assert.All(decoded.Capabilities.Concat(decoded.ExtendedCapabilities), x => Assert.True(x.Offset + x.Bytes.Length <= junk.Length));
        }
    }

    [Fact]
    public void ShorterThanTheHeader_IsAnError()
    {
        var e = Assert.Throws<VfioException>(() => PciConfigDecoder.Decode("t", new byte[32]));
        Assert.Equal("VfioPciConfigTooShort", e.ErrorId);
    }
    // ---- config spaces read short (under 256 bytes) or cut inside the first extended header; found by fuzzing
    //      (VfioPS.Fuzz/regressions/pci-config), each threw IndexOutOfRange / ArgumentOutOfRange before the fix ----

    [Fact]
    public void ShortSpace_PointerPastTheBytesRead_IsAFault()
    {
        var b = Space(0x41);
        b[0x34] = 0x80;
        var c = PciConfigDecoder.Decode("t", b);
        Assert.Empty(c.Capabilities);
        Assert.Contains(c.Faults, f => f.Contains("past the 65 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public void ShortSpace_CapabilityCutByTheEnd_KeepsTheBytesThereAre()
    {
        var b = Space(0x46);
        b[0x34] = 0x40;
        b[0x40] = 0x10; b[0x41] = 0x00; b[0x42] = 0x02; // PCI Express v2: 0x3C bytes defined, 6 read
        var c = PciConfigDecoder.Decode("t", b);
        var cap = Assert.Single(c.Capabilities);
        Assert.Equal(6, cap.Bytes.Length);
        Assert.Empty(c.Faults);
    }

    [Fact]
    public void ShortSpace_LengthFieldsCutByTheEnd_AreNotRead()
    {
        var b = Space(0x42);
        b[0x34] = 0x40;
        b[0x40] = 0x05; b[0x41] = 0x00; // MSI, its message control (0x42..0x43) not read
        var c = PciConfigDecoder.Decode("t", b);
        Assert.Equal(2, Assert.Single(c.Capabilities).Bytes.Length);
    }

    [Theory]
    [InlineData(0x101)]
    [InlineData(0x103)]
    public void ExtendedHeaderCutShort_MeansNoExtendedList(int size)
    {
        var b = Space(size);
        b[0x100] = 0x01; // would be AER's id
        var c = PciConfigDecoder.Decode("t", b);
        Assert.Empty(c.ExtendedCapabilities);
    }
}
