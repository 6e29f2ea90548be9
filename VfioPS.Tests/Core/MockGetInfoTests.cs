using System;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// VFIO_DEVICE_GET_INFO on the mock device, driven with raw buffers, one rule per test (vfio-abi.md §2.2, §7):
/// minsz 16, min(argsz, 20) bytes copied back (the 6.1 baseline's sizeof), argsz never rewritten, and the device never writes past argsz.
/// </summary>
public class MockGetInfoTests
{
    private const uint GetInfo = 0x3B6B; // VFIO_DEVICE_GET_INFO, §1.1

    private static MockDeviceChannel Open(string profile) => new(MockProfileReader.LoadBuiltIn(profile));

    private static byte[] Request(int length, uint argsz)
    {
        byte[] buffer = Bytes.Poisoned(length);
        Bytes.PutU32(buffer, 0, argsz);
        return buffer;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(15)]
    public void BufferShorterThan16_IsEFAULT(int length)
    {
        using var channel = Open("e1000e");
        // argsz equal to the buffer length, so only the buffer's size is wrong: the kernel's copy of minsz (16) faults.
        byte[] buffer = Bytes.Poisoned(length);
        if (length >= 4) Bytes.PutU32(buffer, 0, (uint)length);
        byte[] before = (byte[])buffer.Clone();
        var result = channel.Ioctl(GetInfo, buffer);
        Assert.Equal(IoctlResult.Fail(Errno.EFAULT), result);
        Assert.Equal(before, buffer);
    }

    [Fact]
    public void Argsz8_In16ByteBuffer_IsEINVAL_AndWritesNothing()
    {
        using var channel = Open("e1000e");
        byte[] buffer = Request(16, 8);
        byte[] before = (byte[])buffer.Clone();
        var result = channel.Ioctl(GetInfo, buffer);
        Assert.Equal(-1, result.ReturnValue);
        Assert.Equal(Errno.EINVAL, result.Errno);
        Assert.Equal(before, buffer);
    }

    [Fact]
    public void Argsz16_WritesTheMinsizeFields_AndNothingPast16()
    {
        using var channel = Open("e1000e");
        byte[] buffer = Request(32, 16);
        var result = channel.Ioctl(GetInfo, buffer);
        Assert.Equal(IoctlResult.Success, result);
        // e1000e (§7): flags 0x3 (RESET|PCI), 9 regions, 5 irqs; argsz as passed.
        Assert.Equal(Bytes.Hex("10 00 00 00 03 00 00 00 09 00 00 00 05 00 00 00"), buffer[..16]);
        Assert.True(Bytes.UntouchedFrom(buffer, 16), $"byte {Bytes.FirstTouched(buffer, 16)} was written");
    }

    [Fact]
    public void Argsz20_WritesCapOffsetZero_AndLeaves20To23Untouched()
    {
        using var channel = Open("e1000e");
        byte[] buffer = Request(32, 20);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetInfo, buffer));
        Assert.Equal(Bytes.Hex("14 00 00 00 03 00 00 00 09 00 00 00 05 00 00 00 00 00 00 00"), buffer[..20]);
        Assert.True(Bytes.UntouchedFrom(buffer, 20), $"byte {Bytes.FirstTouched(buffer, 20)} was written");
    }

    [Fact]
    public void Argsz24_LeavesThePadWordAlone_AsDebians61Does()
    {
        // Measured in the kernel lane: Debian's 6.1 has the 20-byte struct (cap_offset, no pad), so GET_INFO copies
        // back min(argsz, 20) and the word at 20 stays as the caller left it.
        using var channel = Open("e1000e");
        byte[] buffer = Request(32, 24);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetInfo, buffer));
        Assert.Equal(Bytes.Hex("18 00 00 00 03 00 00 00 09 00 00 00 05 00 00 00 00 00 00 00"), buffer[..20]);
        Assert.True(Bytes.UntouchedFrom(buffer, 20));
    }

    [Theory]
    [InlineData(24, 25u)]
    [InlineData(16, 20u)]
    [InlineData(64, 0xFFFFFFFFu)]
    public void ArgszLargerThanTheBuffer_IsEFAULT(int length, uint argsz)
    {
        using var channel = Open("e1000e");
        byte[] buffer = Request(length, argsz);
        byte[] before = (byte[])buffer.Clone();
        Assert.Equal(IoctlResult.Fail(Errno.EFAULT), channel.Ioctl(GetInfo, buffer));
        Assert.Equal(before, buffer);
    }

    [Theory]
    [InlineData(16u)]
    [InlineData(20u)]
    [InlineData(24u)]
    [InlineData(100u)]
    [InlineData(4096u)]
    public void Argsz_IsNeverRewritten_AndNothingPast20IsWritten(uint argsz)
    {
        using var channel = Open("e1000e");
        byte[] buffer = Request(4096, argsz);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetInfo, buffer));
        Assert.Equal(argsz, Bytes.U32(buffer, 0));
        // The kernel copies back min(argsz, sizeof(info)) = at most 20 bytes on the 6.1 baseline.
        Assert.True(Bytes.UntouchedFrom(buffer, (int)Math.Min(argsz, 20u)));
    }

    [Fact]
    public void Edu_FlagsArePciOnly()
    {
        using var channel = Open("edu");
        byte[] buffer = Request(24, 24);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetInfo, buffer));
        Assert.Equal(Bytes.Hex("18 00 00 00 02 00 00 00 09 00 00 00 05 00 00 00 00 00 00 00"), buffer[..20]);
    }

    [Fact]
    public void GvtVgpu_HasSixIrqs()
    {
        using var channel = Open("gvt-vgpu");
        byte[] buffer = Request(16, 16);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetInfo, buffer));
        Assert.Equal(6u, Bytes.U32(buffer, 12));
        Assert.Equal(2u, Bytes.U32(buffer, 4));
        Assert.Equal(11u, Bytes.U32(buffer, 8)); // 9 fixed regions, the OpRegion and the EDID region
    }
}
