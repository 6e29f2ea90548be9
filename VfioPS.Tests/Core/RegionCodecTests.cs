using System;
using System.Linq;
using VfioPS.Abi;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>The region codecs against vfio-abi.md §1.2, expected bytes written out by hand.</summary>
public class RegionCodecTests
{
    [Fact]
    public void RegionInfo_Layout_Is32Bytes_WithCapOffsetAt12()
    {
        Assert.Equal((0, 4, 8, 12, 16, 24, 32), (VfioRegionInfoCodec.ArgszOffset, VfioRegionInfoCodec.FlagsOffset, VfioRegionInfoCodec.IndexOffset,
            VfioRegionInfoCodec.CapOffsetOffset, VfioRegionInfoCodec.SizeOffset, VfioRegionInfoCodec.OffsetOffset, VfioRegionInfoCodec.Size));
        Assert.Equal(0x3B6Cu, VfioIoctl.DeviceGetRegionInfo);
        Assert.Equal(9u, VfioPciRegion.NumFixed);
        Assert.Equal((1u, 2u, 4u, 8u), ((uint)VfioRegionFlags.Read, (uint)VfioRegionFlags.Write, (uint)VfioRegionFlags.Mmap, (uint)VfioRegionFlags.Caps));
    }

    [Fact]
    public void RegionInfo_Decode_ReadsEveryFieldLittleEndian()
    {
        var info = VfioRegionInfoCodec.Decode(Bytes.Hex("28000000 0F000000 03000000 20000000 0807060504030201 0000000000030000"));
        Assert.Equal(new VfioRegionInfoData(40, VfioRegionFlags.Read | VfioRegionFlags.Write | VfioRegionFlags.Mmap | VfioRegionFlags.Caps, 3, 32,
            0x0102030405060708, 0x30000000000), info);
    }

    [Fact]
    public void RegionInfo_EncodeThenRequest()
    {
        byte[] buffer = Bytes.Poisoned(40);
        VfioRegionInfoCodec.Encode(buffer, new VfioRegionInfoData(32, VfioRegionFlags.Read, 6, 0, 0x40000, 0x60000000000));
        Assert.Equal(Bytes.Hex("20000000 01000000 06000000 00000000 0000040000000000 0000000000060000"), buffer[..32]);
        Assert.True(Bytes.UntouchedFrom(buffer, 32));
        VfioRegionInfoCodec.EncodeRequest(buffer, 32, 7);
        Assert.Equal(Bytes.Hex("20000000 00000000 07000000 00000000"), buffer[..16]);
        Assert.Throws<ArgumentException>(() => VfioRegionInfoCodec.EncodeRequest(new byte[31], 32, 0));
        Assert.Throws<ArgumentException>(() => VfioRegionInfoCodec.Decode(new byte[31]));
    }

    [Fact]
    public void SparseMmap_AreasStartAt16()
    {
        byte[] cap = VfioRegionCapabilityCodec.EncodeSparseMmap(1, new[] { new VfioSparseMmapArea(0x1000, 0x2000), new VfioSparseMmapArea(0x10, 0x20) });
        Assert.Equal(Bytes.Hex("01000100 00000000 02000000 00000000 0010000000000000 0020000000000000 1000000000000000 2000000000000000"), cap);
        Assert.Equal(new[] { new VfioSparseMmapArea(0x1000, 0x2000), new VfioSparseMmapArea(0x10, 0x20) }, VfioRegionCapabilityCodec.DecodeSparseAreas(cap));
        Assert.Throws<ArgumentException>(() => VfioRegionCapabilityCodec.DecodeSparseAreas(cap.AsSpan(0, 40)));
    }

    [Fact]
    public void TypeCapability_Is16Bytes()
    {
        byte[] cap = VfioRegionCapabilityCodec.EncodeType(1, 0x80008086, 3);
        Assert.Equal(Bytes.Hex("02000100 00000000 86800080 03000000"), cap);
        var decoded = VfioRegionCapabilityCodec.DecodeType(cap);
        Assert.Equal((0x80008086u, 3u), (decoded.Type, decoded.Subtype));
        Assert.Equal((16, 8, 0, 0), (VfioRegionCapabilityCodec.FixedSize(2), VfioRegionCapabilityCodec.FixedSize(3), VfioRegionCapabilityCodec.FixedSize(1), VfioRegionCapabilityCodec.FixedSize(4)));
    }

    [Fact]
    public void AtomicComp_FlagsAt8()
    {
        byte[] cap = VfioDeviceInfoCapabilityCodec.EncodeAtomicComp(1, VfioPciAtomicCompFlags.Comp64 | VfioPciAtomicCompFlags.Comp128);
        Assert.Equal(Bytes.Hex("05000100 00000000 06000000 00000000"), cap);
        Assert.Equal(VfioPciAtomicCompFlags.Comp64 | VfioPciAtomicCompFlags.Comp128, VfioDeviceInfoCapabilityCodec.DecodeAtomicComp(cap));
        Assert.Equal(new[] { "ZpciBase", "ZpciGroup", "ZpciUtil", "ZpciPfip", "PciAtomicComp", "Unknown" },
            new ushort[] { 1, 2, 3, 4, 5, 6 }.Select(VfioDeviceInfoCapabilityCodec.Name));
    }
}
