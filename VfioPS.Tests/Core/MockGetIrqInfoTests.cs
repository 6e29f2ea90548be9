using System;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// VFIO_DEVICE_GET_IRQ_INFO on the mock device with raw buffers, one rule per test: the errnos of vfio-abi.md §2.8/§7,
/// the §7 tables, the 16-byte answer for indexes without capabilities, and for the gvt-vgpu display index the
/// capability protocol of §2.1 with cap_offset appended at 16 (header paragraph of vfio-abi.md).
/// </summary>
public class MockGetIrqInfoTests
{
    private const uint GetIrqInfo = 0x3B6D; // VFIO_DEVICE_GET_IRQ_INFO, §1.1

    private static MockDeviceChannel Open(string profile) => new(MockProfileReader.LoadBuiltIn(profile));

    /// <summary>A 0xAA-filled buffer with argsz at 0 and the index at 8; flags and count are left as 0xAA so a write shows.</summary>
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
        var result = channel.Ioctl(GetIrqInfo, buffer);
        Assert.Equal(-1, result.ReturnValue);
        Assert.Equal(errno, result.Errno);
        Assert.Equal(before, buffer); // a failed ioctl copies nothing back
    }

    // ---- errnos ----

    [Theory]
    [InlineData(8u)]
    [InlineData(12u)]
    [InlineData(0u)]
    [InlineData(15u)]
    public void ArgszBelowMinsz16_IsEINVAL(uint argsz)
    {
        using var channel = Open("e1000e");
        AssertRefused(channel, Request(16, argsz, 0), Errno.EINVAL);
    }

    [Theory]
    [InlineData(5u)]          // == num_irqs
    [InlineData(6u)]
    [InlineData(0xFFFFFFFFu)]
    public void E1000e_IndexAtOrPastNumIrqs_IsEINVAL(uint index)
    {
        using var channel = Open("e1000e");
        AssertRefused(channel, Request(20, 20, index), Errno.EINVAL);
    }

    [Fact]
    public void Edu_Err_IsEINVAL()
    {
        // §7: edu is conventional PCI, so ERR (index 3) is refused.
        using var channel = Open("edu");
        AssertRefused(channel, Request(20, 20, 3), Errno.EINVAL);
    }

    [Theory]
    [InlineData(2u)]
    [InlineData(3u)]
    [InlineData(4u)]
    [InlineData(6u)]  // == num_irqs of gvt-vgpu
    public void GvtVgpu_UnimplementedIndexes_AreEINVAL(uint index)
    {
        using var channel = Open("gvt-vgpu");
        AssertRefused(channel, Request(20, 20, index), Errno.EINVAL);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void BufferShorterThan4_IsEFAULT(int length)
    {
        using var channel = Open("gvt-vgpu");
        AssertRefused(channel, Request(length, 0, 0), Errno.EFAULT);
    }

    [Fact]
    public void BufferShorterThan16_IsEFAULT()
    {
        using var channel = Open("e1000e");
        AssertRefused(channel, Request(12, 12, 0), Errno.EFAULT);
    }

    [Theory]
    [InlineData("e1000e", 0u)]
    [InlineData("gvt-vgpu", 5u)]
    public void ArgszLargerThanTheBuffer_IsEFAULT(string profile, uint index)
    {
        using var channel = Open(profile);
        AssertRefused(channel, Request(64, 0xFFFFFFFF, index), Errno.EFAULT);
        AssertRefused(channel, Request(64, 65, index), Errno.EFAULT);
    }

    // ---- the §7 tables ----

    [Theory]
    [InlineData(0u, 1u, 0x7u)] // INTx: EVENTFD|MASKABLE|AUTOMASKED
    [InlineData(1u, 1u, 0x9u)] // MSI: EVENTFD|NORESIZE
    [InlineData(2u, 5u, 0x9u)] // MSI-X
    [InlineData(3u, 1u, 0x9u)] // ERR
    [InlineData(4u, 1u, 0x9u)] // REQ
    public void E1000e_Table(uint index, uint count, uint flags)
    {
        using var channel = Open("e1000e");
        byte[] buffer = Request(16, 16, index);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetIrqInfo, buffer));
        byte[] expected = new byte[16];
        Bytes.PutU32(expected, 0, 16);
        Bytes.PutU32(expected, 4, flags);
        Bytes.PutU32(expected, 8, index);
        Bytes.PutU32(expected, 12, count);
        Assert.Equal(expected, buffer);
    }

    [Theory]
    [InlineData(0u, 1u, 0x7u)]
    [InlineData(1u, 1u, 0x9u)]
    [InlineData(2u, 0u, 0x9u)] // no MSI-X: count 0, but flags still EVENTFD|NORESIZE
    [InlineData(4u, 1u, 0x9u)]
    public void Edu_Table(uint index, uint count, uint flags)
    {
        using var channel = Open("edu");
        byte[] buffer = Request(16, 16, index);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetIrqInfo, buffer));
        Assert.Equal(flags, Bytes.U32(buffer, 4));
        Assert.Equal(count, Bytes.U32(buffer, 12));
    }

    // ---- indexes without capabilities: 16 bytes, argsz untouched ----

    [Theory]
    [InlineData(16u)]
    [InlineData(20u)]
    [InlineData(24u)]
    [InlineData(4096u)]
    public void IndexWithoutCaps_Writes16Bytes_AndLeavesArgszAndTheRestAlone(uint argsz)
    {
        using var channel = Open("e1000e");
        byte[] buffer = Request(4096, argsz, 2);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetIrqInfo, buffer));
        Assert.Equal(argsz, Bytes.U32(buffer, 0));
        Assert.Equal(0x9u, Bytes.U32(buffer, 4));
        Assert.Equal(2u, Bytes.U32(buffer, 8));
        Assert.Equal(5u, Bytes.U32(buffer, 12));
        // §7: "GET_IRQ_INFO with argsz 20 is accepted and only 16 bytes are written".
        Assert.True(Bytes.UntouchedFrom(buffer, 16), $"byte {Bytes.FirstTouched(buffer, 16)} was written");
    }

    [Fact]
    public void GvtVgpu_FixedIndexWithoutCaps_Writes16Bytes()
    {
        using var channel = Open("gvt-vgpu");
        byte[] buffer = Request(64, 20, 0);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetIrqInfo, buffer));
        Assert.Equal(Bytes.Hex("14 00 00 00 07 00 00 00 00 00 00 00 01 00 00 00"), buffer[..16]);
        Assert.True(Bytes.UntouchedFrom(buffer, 16));
    }

    // ---- gvt-vgpu index 5: EVENTFD|CAPS, count 1, one TYPE capability (GFX / DISPLAY_IRQ) ----

    [Fact]
    public void Caps_Argsz16_RaisesArgszTo40_AndWritesNothingPast16()
    {
        using var channel = Open("gvt-vgpu");
        byte[] buffer = Request(64, 16, 5);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetIrqInfo, buffer));
        Assert.Equal(Bytes.Hex(
            "28 00 00 00" +  // argsz raised to 20 + 4 pad + 16-byte TYPE capability = 40
            "11 00 00 00" +  // EVENTFD|CAPS
            "05 00 00 00" +  // index
            "01 00 00 00"),  // count at 12, as a mainline caller reads it
            buffer[..16]);
        Assert.True(Bytes.UntouchedFrom(buffer, 16), $"byte {Bytes.FirstTouched(buffer, 16)} was written");
    }

    [Fact]
    public void Caps_Argsz20_RaisesArgsz_AndWritesCapOffsetZero_NothingPast20()
    {
        using var channel = Open("gvt-vgpu");
        byte[] buffer = Request(64, 20, 5);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetIrqInfo, buffer));
        Assert.Equal(Bytes.Hex("28 00 00 00 11 00 00 00 05 00 00 00 01 00 00 00 00 00 00 00"), buffer[..20]);
        Assert.True(Bytes.UntouchedFrom(buffer, 20), $"byte {Bytes.FirstTouched(buffer, 20)} was written");
    }

    [Fact]
    public void Caps_Argsz39_RaisesArgszTo40_CapOffsetZero()
    {
        using var channel = Open("gvt-vgpu");
        byte[] buffer = Request(64, 39, 5);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetIrqInfo, buffer));
        Assert.Equal(40u, Bytes.U32(buffer, 0));
        Assert.Equal(0x11u, Bytes.U32(buffer, 4));
        Assert.Equal(1u, Bytes.U32(buffer, 12));
        Assert.Equal(0u, Bytes.U32(buffer, 16));
        Assert.True(Bytes.UntouchedFrom(buffer, 20), $"byte {Bytes.FirstTouched(buffer, 20)} was written");
    }

    private static readonly byte[] s_fullAnswer = Bytes.Hex(
        "28 00 00 00" +              // argsz 40, as passed
        "11 00 00 00" +              // EVENTFD|CAPS
        "05 00 00 00" +              // index 5
        "01 00 00 00" +              // count 1
        "18 00 00 00" +              // cap_offset 24 (8-byte aligned, after a 4-byte pad)
        "00 00 00 00" +              // pad
        "03 00 01 00 00 00 00 00" +  // header: id 3 (TYPE), version 1, next 0
        "01 00 00 00" +              // type GFX
        "01 00 00 00");              // subtype DISPLAY_IRQ

    [Fact]
    public void Caps_Argsz40_WritesTheWholeChain()
    {
        using var channel = Open("gvt-vgpu");
        byte[] buffer = Request(64, 40, 5);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetIrqInfo, buffer));
        Assert.Equal(s_fullAnswer, buffer[..40]);
        Assert.True(Bytes.UntouchedFrom(buffer, 40), $"byte {Bytes.FirstTouched(buffer, 40)} was written");
    }

    [Fact]
    public void Caps_Argsz4096_KeepsArgsz_AndWritesTheChain()
    {
        using var channel = Open("gvt-vgpu");
        byte[] buffer = Request(4096, 4096, 5);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetIrqInfo, buffer));
        Assert.Equal(4096u, Bytes.U32(buffer, 0));
        Assert.Equal(s_fullAnswer[4..40], buffer[4..40]);
        Assert.True(Bytes.UntouchedFrom(buffer, 40));
    }

    // ---- requests the read path does not model, and closed channels ----

    [Fact]
    public void UnknownRequest_IsENOTTY()
    {
        using var channel = Open("e1000e");
        byte[] buffer = Request(64, 64, 0);
        Assert.Equal(IoctlResult.Fail(Errno.ENOTTY), channel.Ioctl(0x3B71, buffer)); // VFIO_DEVICE_PCI_HOT_RESET
        Assert.Equal(IoctlResult.Fail(Errno.ENOTTY), channel.Ioctl(0x40043B65, buffer)); // an _IOW encoding is not a VFIO request
    }

    [Theory]
    [InlineData(0x3B6Bu)]
    [InlineData(0x3B6Du)]
    [InlineData(0x3B6Eu)]
    [InlineData(0x3B70u)]
    [InlineData(0u)]
    public void AfterDispose_EveryIoctl_IsEBADF(uint request)
    {
        var channel = Open("gvt-vgpu");
        channel.Dispose();
        byte[] buffer = Request(64, 40, 5);
        byte[] before = (byte[])buffer.Clone();
        Assert.Equal(IoctlResult.Fail(Errno.EBADF), channel.Ioctl(request, buffer));
        Assert.Equal(before, buffer);
        Assert.Equal(IoctlResult.Fail(Errno.EBADF), channel.Ioctl(request, Span<byte>.Empty));
    }
}
