using System;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// VFIO_DEVICE_GET_REGION_INFO on the mock device with raw buffers, one rule per test, expectations written from
/// vfio-abi.md §2.3/§7 and the lane's readings of Debian's 6.1 (0xAA-filled buffers, as the lane sent them).
/// </summary>
public class MockGetRegionInfoTests
{
    private const uint GetRegionInfo = 0x3B6C; // VFIO_DEVICE_GET_REGION_INFO, §1.1

    private static MockDeviceChannel Open(string profile) => new(MockProfileReader.LoadBuiltIn(profile));

    private static byte[] Request(int length, uint argsz, uint index)
    {
        byte[] buffer = Bytes.Poisoned(length);
        if (length >= 4) Bytes.PutU32(buffer, 0, argsz);
        if (length >= 12) Bytes.PutU32(buffer, 8, index);
        return buffer;
    }

    private static void AssertRefused(MockDeviceChannel channel, byte[] buffer, Errno errno)
    {
        byte[] before = (byte[])buffer.Clone();
        var result = channel.Ioctl(GetRegionInfo, buffer);
        Assert.Equal(IoctlResult.Fail(errno), result);
        Assert.Equal(before, buffer);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(8u)]
    [InlineData(31u)]
    public void ArgszBelowMinsz32_IsEINVAL(uint argsz)
    {
        using var channel = Open("e1000e");
        AssertRefused(channel, Request(48, argsz, 0), Errno.EINVAL);
    }

    [Theory]
    [InlineData(9u)]   // == num_regions
    [InlineData(19u)]  // num_regions + 10, §7
    [InlineData(0xFFFFFFFFu)]
    public void IndexAtOrPastNumRegions_IsEINVAL(uint index)
    {
        using var channel = Open("e1000e");
        AssertRefused(channel, Request(48, 32, index), Errno.EINVAL);
    }

    [Theory]
    [InlineData("e1000e")]
    [InlineData("edu")]
    [InlineData("virtio-net")]
    [InlineData("pci-testdev")]
    public void Vga_WithoutVga_IsEINVAL_AlthoughBelowNumRegions(string profile)
    {
        using var channel = Open(profile);
        AssertRefused(channel, Request(64, 64, 8), Errno.EINVAL);
    }

    [Fact]
    public void BufferShorterThanTheStruct_IsEFAULT()
    {
        using var channel = Open("e1000e");
        AssertRefused(channel, Request(24, 24, 0), Errno.EFAULT);
    }

    [Fact]
    public void RegionWithoutCaps_Writes32Bytes_LeavesCapOffsetAsPassed_AndNothingPast()
    {
        // The lane: e1000e BAR0 with argsz 64 → 40 00 00 00 07 00 00 00 00 00 00 00 AA AA AA AA, size 0x20000, offset 0.
        using var channel = Open("e1000e");
        byte[] buffer = Request(80, 64, 0);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetRegionInfo, buffer));
        Assert.Equal(Bytes.Hex("40000000 07000000 00000000 AAAAAAAA 0000020000000000 0000000000000000"), buffer[..32]);
        Assert.True(Bytes.UntouchedFrom(buffer, 32), $"byte {Bytes.FirstTouched(buffer, 32)} was written");
    }

    [Fact]
    public void SizeZeroBar_IsAnsweredWithSizeAndFlagsZero_AtItsOffset()
    {
        using var channel = Open("edu");
        byte[] buffer = Request(32, 32, 5);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetRegionInfo, buffer));
        Assert.Equal(Bytes.Hex("20000000 00000000 05000000 AAAAAAAA 0000000000000000 0000000000050000"), buffer);
    }

    [Theory]
    [InlineData(32u)]
    [InlineData(36u)]
    [InlineData(39u)]
    public void ChainThatDoesNotFit_RaisesArgsz_CapOffsetZero_CapsFlag_NothingPast32(uint argsz)
    {
        // §7: e1000e BAR3 (MSI-X BAR) with a 32-byte buffer: flags 0xf, cap_offset 0, argsz 40, return 0.
        using var channel = Open("e1000e");
        byte[] buffer = Request(48, argsz, 3);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetRegionInfo, buffer));
        Assert.Equal(Bytes.Hex("28000000 0F000000 03000000 00000000 0040000000000000 0000000000030000"), buffer[..32]);
        Assert.True(Bytes.UntouchedFrom(buffer, 32), $"byte {Bytes.FirstTouched(buffer, 32)} was written");
    }

    [Theory]
    [InlineData(40u)]
    [InlineData(64u)]
    public void ChainThatFits_IsAt32_ArgszKept_AndNothingPastTheChain(uint argsz)
    {
        using var channel = Open("e1000e");
        byte[] buffer = Request(80, argsz, 3);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetRegionInfo, buffer));
        Assert.Equal(argsz, Bytes.U32(buffer, 0));
        Assert.Equal(Bytes.Hex("0F000000 03000000 20000000 0040000000000000 0000000000030000 0300010000000000"), buffer[4..40]);
        Assert.True(Bytes.UntouchedFrom(buffer, 40), $"byte {Bytes.FirstTouched(buffer, 40)} was written");
    }

    [Fact]
    public void GvtVgpu_EdidRegion_ChainsTypeThenUnknown_PaddedTo8_NextAbsolute()
    {
        using var channel = Open("gvt-vgpu");
        byte[] buffer = Request(128, 128, 10);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetRegionInfo, buffer));
        Assert.Equal(0xBu, Bytes.U32(buffer, 4));
        Assert.Equal(32u, Bytes.U32(buffer, 12));
        Assert.Equal(Bytes.Hex("02000100 30000000 01000000 01000000" + "63000100 00000000 01020304 00000000"), buffer[32..64]);
        Assert.True(Bytes.UntouchedFrom(buffer, 64));
    }

    [Fact]
    public void GvtVgpu_SparseMmap_OneArea()
    {
        using var channel = Open("gvt-vgpu");
        byte[] buffer = Request(64, 64, 2);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetRegionInfo, buffer));
        Assert.Equal(Bytes.Hex("01000100 00000000 01000000 00000000 0000000400000000 0000000400000000"), buffer[32..64]);
    }

    [Fact]
    public void ProfileWithoutRegions_RefusesEveryIndex()
    {
        var profile = MockProfileReader.Parse("""{ "name": "bare", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 }, "irqs": [] }""", "test");
        using var channel = new MockDeviceChannel(profile);
        AssertRefused(channel, Request(32, 32, 0), Errno.EINVAL);
    }

    [Fact]
    public void RawChain_IsAnsweredAsGiven()
    {
        var profile = MockProfileReader.Parse("""
            { "name": "raw", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 }, "irqs": [],
              "regions": [ { "index": 0, "flags": ["Read", "Caps"], "size": 16, "rawCapabilities": { "capOffset": 36, "bytes": "01 02 03 04 05 06 07 08" } } ] }
            """, "test");
        using var channel = new MockDeviceChannel(profile);
        byte[] buffer = Request(40, 40, 0);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetRegionInfo, buffer));
        Assert.Equal(36u, Bytes.U32(buffer, 12));
        Assert.Equal(Bytes.Hex("0102030405060708"), buffer[32..40]);
    }

    [Fact]
    public void ClosedDevice_IsEBADF()
    {
        var channel = Open("e1000e");
        channel.Dispose();
        AssertRefused(channel, Request(32, 32, 0), Errno.EBADF);
    }
}
