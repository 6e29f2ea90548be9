using System;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// RegionInfoReader above the channel: the regions of the built-in profiles (the lane's readings of Debian's 6.1),
/// the argsz negotiation, the capability walk with its faults, names, and the refused VGA region.
/// </summary>
public class RegionInfoReaderTests
{
    private static VfioDevice Fake(IoctlHandler regionAnswer, uint numRegions = 9, VfioDeviceFlags flags = VfioDeviceFlags.Pci)
        => new("test:regions", null,
            new DelegateChannel((request, argument) => request == VfioIoctl.DeviceGetRegionInfo ? regionAnswer(request, argument) : IoctlResult.Fail(Errno.ENOTTY)),
            new VfioDeviceInfoData(24, flags, numRegions, 5, 0));

    /// <summary>Answers with a fixed 32-byte struct and a chain image (from offset 32) when argsz covers it, else the too-small answer.</summary>
    private static IoctlHandler Answer(uint flags, ulong size, string chainHex, uint capOffset = 32)
    {
        byte[] chain = Bytes.Hex(chainHex);
        return (request, argument) =>
        {
            uint argsz = Bytes.U32Span(argument, 0);
            Bytes.PutU32Span(argument, 4, flags);
            Bytes.PutU64Span(argument, 16, size);
            Bytes.PutU64Span(argument, 24, (ulong)Bytes.U32Span(argument, 8) << 40);
            if (chain.Length == 0) return IoctlResult.Success;
            if (argsz < 32 + chain.Length)
            {
                Bytes.PutU32Span(argument, 0, (uint)(32 + chain.Length));
                Bytes.PutU32Span(argument, 12, 0);
                return IoctlResult.Success;
            }
            Bytes.PutU32Span(argument, 12, capOffset);
            chain.CopyTo(argument.Slice(32));
            return IoctlResult.Success;
        };
    }

    [Fact]
    public void E1000e_EveryRegion_AsTheLaneReadIt()
    {
        using var device = MockDevices.OpenBuiltIn("e1000e");
        var infos = RegionInfoReader.AllIndexes(device).Select(i => RegionInfoReader.Read(device, i).Info).ToArray();
        Assert.Equal(new[] { "BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "CONFIG", "VGA" }, infos.Select(i => i.Name));
        Assert.Equal(new ulong[] { 0x20000, 0x20000, 0x20, 0x4000, 0, 0, 0x40000, 0x1000, 0 }, infos.Select(i => i.Size));
        Assert.Equal(new uint[] { 7, 7, 3, 15, 0, 0, 1, 3, 0 }, infos.Select(i => (uint)i.Flags));
        Assert.All(infos.Take(8), i => Assert.Equal((ulong)i.Index << 40, i.Offset));
        Assert.Equal(new[] { true, true, true, true, true, true, true, true, false }, infos.Select(i => i.Supported));
        Assert.Equal("the device answered EINVAL (Invalid argument)", infos[8].UnsupportedReason);
        Assert.True(infos[3].MsixMappable);
        var cap = Assert.Single(infos[3].Capabilities);
        Assert.Equal(("MsixMappable", (ushort)3, (ushort)1, 32u, 0u), (cap.Name, cap.Id, cap.Version, cap.Offset, cap.Next));
        Assert.Equal(Bytes.Hex("03 00 01 00 00 00 00 00"), cap.Data);
        Assert.All(infos.Where(i => i.Index != 3), i => Assert.Empty(i.Capabilities));
        Assert.All(infos, i => Assert.False(i.IsDeviceSpecific));
    }

    [Fact]
    public void RegionWithCaps_TakesTwoIoctls_Argsz32Then40()
    {
        var recorder = new RecordingChannel(new MockDeviceChannel(MockProfileReader.LoadBuiltIn("e1000e")));
        using var device = new VfioDevice("test:e1000e-recorded", "e1000e", recorder, DeviceInfoReader.Read(recorder, "test:e1000e-recorded"));
        recorder.Clear();
        var info = RegionInfoReader.Read(device, 3).Info;
        Assert.True(info.MsixMappable);
        Assert.Collection(recorder.Calls,
            first => Assert.Equal((VfioIoctl.DeviceGetRegionInfo, 32, 32u, (uint?)40u), (first.Request, first.BufferLength, first.ArgszIn, first.ArgszOut)),
            second => Assert.Equal((VfioIoctl.DeviceGetRegionInfo, 40, 40u, (uint?)40u), (second.Request, second.BufferLength, second.ArgszIn, second.ArgszOut)));
    }

    [Fact]
    public void RegionWithoutCaps_TakesOneIoctl()
    {
        var recorder = new RecordingChannel(new MockDeviceChannel(MockProfileReader.LoadBuiltIn("edu")));
        using var device = TestDevices.Create(recorder);
        Assert.Equal(0x100000ul, RegionInfoReader.Read(device, 0).Info.Size);
        Assert.Equal(32u, Assert.Single(recorder.Calls).ArgszIn);
    }

    [Fact]
    public void GvtVgpu_SparseMmap_Types_AndAnUnknownIdKeptRaw()
    {
        using var device = MockDevices.OpenBuiltIn("gvt-vgpu");
        var bar2 = RegionInfoReader.Read(device, 2);
        Assert.Null(bar2.Fault);
        Assert.Equal(new[] { new VfioSparseMmapArea(0x4000000, 0x4000000) }, bar2.Info.SparseMmapAreas);
        Assert.Equal("SparseMmap", Assert.Single(bar2.Info.Capabilities).Name);
        Assert.Equal(32, bar2.Info.Capabilities[0].Data.Length);

        var opregion = RegionInfoReader.Read(device, 9).Info;
        Assert.Equal("PCI-8086/IGD-OPREGION", opregion.Name);
        Assert.True(opregion.IsDeviceSpecific);
        Assert.Equal((0x80008086u, 1u), (opregion.Type!.Value, opregion.Subtype!.Value));
        Assert.Equal(VfioRegionFlags.Read | VfioRegionFlags.Caps, opregion.Flags);

        var edid = RegionInfoReader.Read(device, 10);
        Assert.Null(edid.Fault);
        Assert.Equal("GFX/EDID", edid.Info.Name);
        Assert.Collection(edid.Info.Capabilities,
            type => Assert.Equal(("Type", 32u, 48u), (type.Name, type.Offset, type.Next)),
            unknown =>
            {
                Assert.Equal(("Unknown", (ushort)99, 48u, 0u), (unknown.Name, unknown.Id, unknown.Offset, unknown.Next));
                // Unknown ids extend to the end of the answer: header, the 4 payload bytes, the kernel-style padding.
                Assert.Equal(Bytes.Hex("63 00 01 00 00 00 00 00 01 02 03 04 00 00 00 00"), unknown.Data);
            });
        // kvmgt answers VGA with size 0 instead of refusing it: shown, not dropped.
        var vga = RegionInfoReader.Read(device, 8).Info;
        Assert.True(vga.Supported);
        Assert.Equal(0ul, vga.Size);
    }

    [Theory]
    [InlineData(9u, true, null, null, "Region9")]
    [InlineData(3u, false, null, null, "Region3")]
    [InlineData(6u, true, 1u, 1u, "ROM")]
    [InlineData(9u, true, 0x80008086u, 2u, "PCI-8086/IGD-HOST-CFG")]
    [InlineData(9u, true, 0x80008086u, 3u, "PCI-8086/IGD-LPC-CFG")]
    [InlineData(9u, true, 0x800010deu, 1u, "PCI-10de/Subtype1")]
    [InlineData(9u, true, 1u, 2u, "GFX/Subtype2")]
    [InlineData(9u, true, 2u, 1u, "CCW/ASYNC-CMD")]
    [InlineData(9u, true, 2u, 2u, "CCW/SCHIB")]
    [InlineData(9u, true, 2u, 3u, "CCW/CRW")]
    [InlineData(9u, true, 3u, 1u, "MIGRATION/DEPRECATED")]
    [InlineData(12u, true, 7u, 4u, "Type7/Subtype4")]
    public void Names(uint index, bool isPci, uint? type, uint? subtype, string expected)
        => Assert.Equal(expected, RegionNames.For(index, isPci, type, subtype));

    [Theory]
    [InlineData("bar0", 0u)]
    [InlineData("BAR5", 5u)]
    [InlineData("Rom", 6u)]
    [InlineData("config", 7u)]
    [InlineData("VGA", 8u)]
    [InlineData("10", 10u)]
    [InlineData("0xA", 10u)]
    public void ParsesIndexes(string text, uint expected)
    {
        Assert.True(RegionNames.TryParse(text, out uint index));
        Assert.Equal(expected, index);
    }

    [Theory]
    [InlineData("BAR6")]
    [InlineData("MSI")]
    [InlineData("-1")]
    [InlineData("")]
    public void RefusesOtherText(string text) => Assert.False(RegionNames.TryParse(text, out _));

    [Fact]
    public void IndexPastNumRegions_IsVfioRegionIndexOutOfRange_WithoutAnIoctl()
    {
        int calls = 0;
        using var device = Fake((r, a) => { calls++; return IoctlResult.Success; });
        var e = Assert.Throws<VfioException>(() => RegionInfoReader.Read(device, 9));
        Assert.Equal(("VfioRegionIndexOutOfRange", VfioErrorKind.InvalidArgument), (e.ErrorId, e.Kind));
        Assert.Equal(0, calls);
    }

    [Fact]
    public void OtherErrno_IsVfioGetRegionInfoFailed()
    {
        using var device = Fake((r, a) => IoctlResult.Fail(Errno.EIO));
        var e = Assert.Throws<VfioException>(() => RegionInfoReader.Read(device, 0));
        Assert.Equal(("VfioGetRegionInfoFailed", Errno.EIO), (e.ErrorId, e.Errno));
    }

    [Fact]
    public void CapOffsetLeftAsPassed_WithoutCapsFlag_IsIgnored()
    {
        // vfio-pci leaves cap_offset as the caller passed it when a region has no chain (measured on 6.1); the reader
        // zeroes it, and a device that writes garbage there without the caps flag is not walked.
        using var device = Fake((r, a) => { Bytes.PutU32Span(a, 12, 0xFFFFFFFF); Bytes.PutU32Span(a, 4, 7); return IoctlResult.Success; });
        var result = RegionInfoReader.Read(device, 0);
        Assert.Null(result.Fault);
        Assert.Empty(result.Info.Capabilities);
    }

    [Fact]
    public void SparseMmap_NrAreasPastTheAnswer_IsAFault_AndEarlierCapsAreKept()
    {
        // MSIX_MAPPABLE at 32 -> SPARSE_MMAP at 40 claiming 2 areas with room for 1.
        using var device = Fake(Answer(0xF, 0x1000,
            "03 00 01 00 28 00 00 00" +
            "01 00 01 00 00 00 00 00 02 00 00 00 00 00 00 00 00 10 00 00 00 00 00 00 00 10 00 00 00 00 00 00"));
        var result = RegionInfoReader.Read(device, 0);
        Assert.Equal(ChainFaultKind.OutOfBounds, result.Fault!.Kind);
        Assert.Equal(40u, result.Fault.Offset);
        Assert.Contains("nr_areas 2", result.Fault.Message);
        Assert.Equal("MsixMappable", Assert.Single(result.Info.Capabilities).Name);
        Assert.True(result.Info.MsixMappable);
        Assert.Null(result.Info.SparseMmapAreas);
    }

    [Fact]
    public void SparseMmap_WithZeroAreas_IsAnEmptyList()
    {
        using var device = Fake(Answer(0xF, 0x1000, "01 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00"));
        var result = RegionInfoReader.Read(device, 0);
        Assert.Null(result.Fault);
        Assert.Empty(result.Info.SparseMmapAreas!);
    }

    [Fact]
    public void ChainCycle_IsAFault_NotAHang()
    {
        using var device = Fake(Answer(0xF, 0x1000, "03 00 01 00 28 00 00 00 03 00 01 00 20 00 00 00"));
        var result = RegionInfoReader.Read(device, 0);
        Assert.Equal(ChainFaultKind.Cycle, result.Fault!.Kind);
        Assert.Equal(2, result.Info.Capabilities.Length);
    }

    [Fact]
    public void CapsFlag_WithCapOffsetZero_InAFittingAnswer_IsMissingChain()
    {
        using var device = Fake(Answer(0xF, 0x1000, "03 00 01 00 00 00 00 00", capOffset: 0));
        var result = RegionInfoReader.Read(device, 0);
        Assert.Equal(ChainFaultKind.MissingChain, result.Fault!.Kind);
    }

    [Fact]
    public void TypeCapabilityCutShort_IsOutOfBounds()
    {
        // A TYPE capability (16 bytes) with only 8 bytes left in the answer.
        using var device = Fake(Answer(0xB, 0x1000, "02 00 01 00 00 00 00 00"), numRegions: 10);
        var result = RegionInfoReader.Read(device, 9);
        Assert.Equal(ChainFaultKind.OutOfBounds, result.Fault!.Kind);
        Assert.Equal("Region9", result.Info.Name);
    }

    [Fact]
    public void DeviceAskingForMoreTwice_IsVfioArgszNegotiationFailed()
    {
        using var device = Fake((r, a) => { Bytes.PutU32Span(a, 4, 0xF); Bytes.PutU32Span(a, 0, (uint)a.Length + 8); return IoctlResult.Success; });
        var e = Assert.Throws<VfioException>(() => RegionInfoReader.Read(device, 0));
        Assert.Equal("VfioArgszNegotiationFailed", e.ErrorId);
    }
}
