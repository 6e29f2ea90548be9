using System;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// Device-info capabilities: a profile that declares a chain (none of the 6.1 lane devices has one), the mock's
/// GET_INFO answer for it (vfio-abi.md §2.2), DeviceInfoReader's walk, and the chain on the device object.
/// </summary>
public class DeviceCapabilityTests
{
    private const uint GetInfo = 0x3B6B;

    private const string AtomicProfile = """
        { "name": "atomic", "device": { "flags": ["Pci", "Caps"], "numRegions": 9, "numIrqs": 5,
          "capabilities": [ { "id": 5, "flags": ["Comp32", "Comp64"] }, { "id": 1, "version": 2, "data": "11 22 33" } ] }, "irqs": [] }
        """;

    private static MockDeviceChannel Open() => new(MockProfileReader.Parse(AtomicProfile, "test"));

    [Fact]
    public void TooSmall_RaisesArgsz_CapOffsetZero_CapsFlag()
    {
        using var channel = Open();
        byte[] buffer = Bytes.Poisoned(32);
        Bytes.PutU32(buffer, 0, 24);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetInfo, buffer));
        // 24 + 16 (ATOMIC_COMP) + 16 (3-byte payload padded to 8) = 56.
        Assert.Equal(Bytes.Hex("38000000 82000000 09000000 05000000 00000000 00000000"), buffer[..24]);
        Assert.True(Bytes.UntouchedFrom(buffer, 24));
    }

    [Fact]
    public void Fits_ChainAt24()
    {
        using var channel = Open();
        byte[] buffer = Bytes.Poisoned(64);
        Bytes.PutU32(buffer, 0, 56);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetInfo, buffer));
        Assert.Equal(24u, Bytes.U32(buffer, 16));
        Assert.Equal(Bytes.Hex("05000100 28000000 03000000 00000000" + "01000200 00000000 11223300 00000000"), buffer[24..56]);
        Assert.True(Bytes.UntouchedFrom(buffer, 56));
    }

    [Fact]
    public void Argsz16_CopiesOnly16()
    {
        using var channel = Open();
        byte[] buffer = Bytes.Poisoned(32);
        Bytes.PutU32(buffer, 0, 16);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetInfo, buffer));
        Assert.Equal(56u, Bytes.U32(buffer, 0));
        Assert.True(Bytes.UntouchedFrom(buffer, 16));
    }

    [Fact]
    public void OpenedDevice_ShowsTheChain()
    {
        using var device = MockDevices.Open(MockProfileReader.Parse(AtomicProfile, "test"));
        Assert.Equal(VfioDeviceFlags.Pci | VfioDeviceFlags.Caps, device.Flags);
        Assert.Null(device.CapabilityFault);
        Assert.Collection(device.Capabilities,
            atomic =>
            {
                Assert.Equal(("PciAtomicComp", (ushort)5, 24u, 40u), (atomic.Name, atomic.Id, atomic.Offset, atomic.Next));
                Assert.Equal(VfioPciAtomicCompFlags.Comp32 | VfioPciAtomicCompFlags.Comp64, atomic.AtomicCompleter);
            },
            zpci =>
            {
                Assert.Equal(("ZpciBase", (ushort)1, (ushort)2, 40u), (zpci.Name, zpci.Id, zpci.Version, zpci.Offset));
                Assert.Null(zpci.AtomicCompleter);
                Assert.Equal(Bytes.Hex("01000200 00000000 11223300 00000000"), zpci.Data);
            });
    }

    [Fact]
    public void BuiltInDevices_HaveNoChain()
    {
        foreach (string name in MockProfileReader.BuiltInNames)
        {
            using var device = MockDevices.OpenBuiltIn(name);
            Assert.Empty(device.Capabilities);
            Assert.Null(device.CapabilityFault);
        }
    }

    [Fact]
    public void FirstCapabilityAt20_AsPre2023KernelsPlaceIt_IsAccepted()
    {
        var channel = new DelegateChannel((request, argument) =>
        {
            uint argsz = Bytes.U32Span(argument, 0);
            Bytes.PutU32Span(argument, 4, 0x82);
            Bytes.PutU32Span(argument, 8, 9);
            Bytes.PutU32Span(argument, 12, 5);
            if (argsz < 36) { Bytes.PutU32Span(argument, 0, 36); return IoctlResult.Success; }
            Bytes.PutU32Span(argument, 16, 20);
            Bytes.Hex("05000100 00000000 04000000 00000000").CopyTo(argument.Slice(20));
            return IoctlResult.Success;
        });
        var result = DeviceInfoReader.ReadWithCapabilities(channel, "test:old");
        Assert.Null(result.Fault);
        Assert.Equal(VfioPciAtomicCompFlags.Comp128, Assert.Single(result.Capabilities).AtomicCompleter);
    }

    [Fact]
    public void CycleInTheChain_IsAFault_AndTheDeviceStillOpens()
    {
        var channel = new DelegateChannel((request, argument) =>
        {
            uint argsz = Bytes.U32Span(argument, 0);
            Bytes.PutU32Span(argument, 4, 0x82);
            Bytes.PutU32Span(argument, 8, 9);
            Bytes.PutU32Span(argument, 12, 5);
            if (argsz < 40) { Bytes.PutU32Span(argument, 0, 40); return IoctlResult.Success; }
            Bytes.PutU32Span(argument, 16, 24);
            Bytes.Hex("07000100 18000000 00000000 00000000").CopyTo(argument.Slice(24));
            return IoctlResult.Success;
        });
        var result = DeviceInfoReader.ReadWithCapabilities(channel, "test:cycle");
        Assert.Equal(ChainFaultKind.Cycle, result.Fault!.Kind);
        Assert.Equal("Unknown", Assert.Single(result.Capabilities).Name);
    }

    [Fact]
    public void CapsFlagWithoutCapabilities_IsRejected_AndCapabilitiesWithoutCapsFlag_Too()
    {
        var e = Assert.Throws<VfioException>(() => MockProfileReader.Parse(AtomicProfile.Replace("\"Pci\", \"Caps\"", "\"Pci\""), "test"));
        Assert.Contains("$.device.flags", e.Message);
        Assert.Contains("lacks Caps", e.Message);
        e = Assert.Throws<VfioException>(() => MockProfileReader.Parse(AtomicProfile.Replace("\"id\": 5, \"flags\": [\"Comp32\", \"Comp64\"]", "\"id\": 5, \"data\": \"00\""), "test"));
        Assert.Contains("$.device.capabilities[0].data", e.Message);
    }
}
