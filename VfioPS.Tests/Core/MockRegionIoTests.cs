using System;
using System.Buffers.Binary;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using VfioPS.Native;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// pread/pwrite on the mock device fd, one vfio-pci rule per test, with the answers the kernel lane read from the
/// real driver on Debian's 6.1 (the same cases run kernel vs mock in the fidelity program).
/// </summary>
public class MockRegionIoTests
{
    private static long At(uint index, long offset = 0) => ((long)index << 40) + offset;

    private static MockDeviceChannel Open(string profile) => new(MockProfileReader.LoadBuiltIn(profile));

    private static RegionIoResult Read(MockDeviceChannel c, long offset, int count, out byte[] bytes)
    {
        bytes = new byte[count];
        return c.Read(bytes, offset);
    }

    [Theory]
    [InlineData("e1000e", 4096)]
    [InlineData("edu", 256)]
    [InlineData("virtio-net", 256)]
    [InlineData("pci-testdev", 256)]
    public void Config_ReadsTheProfileBytes_WholeAndInPieces(string profile, int size)
    {
        using var c = Open(profile);
        var whole = new byte[size];
        Assert.Equal(RegionIoResult.Moved(size), c.Read(whole, At(7)));
        Assert.Equal(MockProfileReader.LoadBuiltIn(profile).Config!.Bytes, whole);
        var pieces = Enumerable.Range(0, size / 4).SelectMany(i => { Read(c, At(7, i * 4), 4, out var b); return b; }).ToArray();
        Assert.Equal(whole, pieces);
    }

    [Theory]
    [InlineData(256, 4)]
    [InlineData(254, 4)]
    [InlineData(252, 8)]
    [InlineData(1L << 39, 4)]
    public void Config_PastTheEnd_IsEFAULT(long offset, int count)
    {
        using var c = Open("edu");
        Assert.Equal(RegionIoResult.Fail(Errno.EFAULT), Read(c, At(7, offset), count, out _));
        Assert.Equal(RegionIoResult.Fail(Errno.EFAULT), c.Write(new byte[count], At(7, offset)));
    }

    [Theory]
    [InlineData(9u)]
    [InlineData(10u)]
    [InlineData(255u)]
    public void IndexPastNumRegions_IsEINVAL(uint index)
    {
        using var c = Open("e1000e");
        Assert.Equal(RegionIoResult.Fail(Errno.EINVAL), Read(c, At(index), 4, out _));
        Assert.Equal(RegionIoResult.Fail(Errno.EINVAL), c.Write(new byte[4], At(index)));
    }

    [Fact]
    public void ZeroLength_Succeeds_BeforeAnyCheck()
    {
        using var c = Open("e1000e");
        Assert.Equal(RegionIoResult.Moved(0), c.Read(Span<byte>.Empty, At(200)));
        Assert.Equal(RegionIoResult.Moved(0), c.Write(ReadOnlySpan<byte>.Empty, At(6)));
    }

    [Fact]
    public void Vga_And_SizeZeroBars_AreEINVAL()
    {
        using var c = Open("edu");
        Assert.Equal(RegionIoResult.Fail(Errno.EINVAL), Read(c, At(8), 4, out _));
        Assert.Equal(RegionIoResult.Fail(Errno.EINVAL), Read(c, At(1), 4, out _));
        Assert.Equal(RegionIoResult.Fail(Errno.EINVAL), c.Write(new byte[4], At(5)));
        Assert.Equal(RegionIoResult.Fail(Errno.EINVAL), Read(c, At(6), 4, out _));
    }

    [Fact]
    public void Bar_AtItsEnd_IsEINVAL_AndAcrossItsEnd_IsShort()
    {
        using var c = Open("edu");
        Assert.Equal(RegionIoResult.Fail(Errno.EINVAL), Read(c, At(0, 0x100000), 4, out _));
        Assert.Equal(RegionIoResult.Moved(4), Read(c, At(0, 0x100000 - 4), 8, out var tail));
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0 }, tail);
        Assert.Equal(RegionIoResult.Moved(1), Read(c, At(0, 0x100000 - 1), 4, out _));
        Assert.Equal(RegionIoResult.Moved(4), c.Write(new byte[8], At(0, 0x100000 - 4)));
    }

    [Fact]
    public void Rom_RefusesWrites()
    {
        using var c = Open("e1000e");
        Assert.Equal(RegionIoResult.Fail(Errno.EINVAL), c.Write(new byte[4], At(6)));
        Assert.Equal(RegionIoResult.Moved(4), Read(c, At(6), 4, out _));
        Assert.Equal(RegionIoResult.Fail(Errno.EINVAL), Read(c, At(6, 0x40000), 4, out _));
    }

    [Fact]
    public void Edu_Identification_And_Liveness()
    {
        using var c = Open("edu");
        Read(c, At(0), 4, out var id);
        Assert.Equal(0x010000EDu, BinaryPrimitives.ReadUInt32LittleEndian(id));
        var value = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(value, 0x12345678);
        Assert.Equal(RegionIoResult.Moved(4), c.Write(value, At(0, 4)));
        Read(c, At(0, 4), 4, out var live);
        Assert.Equal(0xEDCBA987u, BinaryPrimitives.ReadUInt32LittleEndian(live));
        // 2-byte writes are refused by edu: the lane read the old inverse back.
        c.Write(new byte[] { 0xEF, 0xBE }, At(0, 4));
        Read(c, At(0, 4), 4, out live);
        Assert.Equal(0xEDCBA987u, BinaryPrimitives.ReadUInt32LittleEndian(live));
        // An 8-byte read reaches the device as two 4-byte reads (vfio-pci 6.1 has no 8-byte access).
        Read(c, At(0), 8, out var both);
        Assert.Equal("ed00000187a9cbed", Convert.ToHexString(both).ToLowerInvariant());
        // Narrow reads below 0x80 come back 0; unassigned dwords all ones.
        Read(c, At(0), 2, out var narrow);
        Assert.Equal(new byte[2], narrow);
        Read(c, At(0, 0x100), 4, out var unassigned);
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, unassigned);
    }

    [Fact]
    public void Edu_Factorial()
    {
        using var c = Open("edu");
        c.Write(new byte[] { 5, 0, 0, 0 }, At(0, 8));
        Read(c, At(0, 8), 4, out var result);
        Assert.Equal(120u, BinaryPrimitives.ReadUInt32LittleEndian(result));
    }

    [Fact]
    public void MemoryDecodingOff_IsEIO_ForMemoryBars_AndBackOnWorks()
    {
        using var c = Open("edu");
        Assert.Equal(RegionIoResult.Moved(2), c.Write(new byte[] { 0x01, 0x01 }, At(7, 4)));
        Assert.Equal(RegionIoResult.Fail(Errno.EIO), Read(c, At(0), 4, out _));
        Assert.Equal(RegionIoResult.Fail(Errno.EIO), c.Write(new byte[4], At(0, 4)));
        c.Write(new byte[] { 0x03, 0x01 }, At(7, 4));
        Assert.Equal(RegionIoResult.Moved(4), Read(c, At(0), 4, out _));
    }

    [Fact]
    public void IoBar_IsNotGatedByMemoryDecoding()
    {
        using var c = Open("e1000e");
        c.Write(new byte[] { 0x01, 0x01 }, At(7, 4));   // memory off, I/O on
        Assert.Equal(RegionIoResult.Moved(4), Read(c, At(2), 4, out _));    // BAR2 is the I/O BAR
        Assert.Equal(RegionIoResult.Fail(Errno.EIO), Read(c, At(0), 4, out _));
    }

    [Fact]
    public void MsixTable_ReadsAllOnes_AndDropsWrites_ThePbaDoesNot()
    {
        using var c = Open("e1000e");
        c.Write(new byte[16], At(3));
        Read(c, At(3), 16, out var table);
        Assert.All(table, b => Assert.Equal(0xFF, b));
        Read(c, At(3, 0x2000), 16, out var pba);
        Assert.All(pba, b => Assert.Equal(0, b));
        // Past the 5 entries (80 bytes), the BAR is plain again.
        Read(c, At(3, 80), 4, out var after);
        Assert.All(after, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(0x00, 2, "ffff", "3412")]       // vendor id: dropped
    [InlineData(0x04, 2, "0000", "0000")]       // command: memory, I/O cleared
    [InlineData(0x04, 2, "ffff", "0705")]       // command: what sticks
    [InlineData(0x0C, 1, "10", "10")]           // cache line size
    [InlineData(0x0D, 1, "40", "00")]           // latency timer: dropped
    [InlineData(0x10, 4, "ffffffff", "0000f0ff")] // BAR0 sizing: 1 MiB
    [InlineData(0x10, 4, "78563412", "00003012")]
    [InlineData(0x14, 4, "ffffffff", "00000000")] // unimplemented BAR
    [InlineData(0x3C, 1, "55", "55")]           // interrupt line
    [InlineData(0x3D, 1, "02", "01")]           // interrupt pin: dropped
    [InlineData(0x42, 1, "81", "80")]           // MSI enable: owned by SET_IRQS, dropped
    [InlineData(0x44, 4, "0010e0fe", "0010e0fe")] // MSI address: virtualized, kept
    public void Edu_ConfigWrites_KeepWhatTheLaneKept(int offset, int width, string written, string expected)
    {
        using var c = Open("edu");
        Assert.Equal(RegionIoResult.Moved(width), c.Write(Convert.FromHexString(written), At(7, offset)));
        Read(c, At(7, offset), width, out var after);
        Assert.Equal(expected, Convert.ToHexString(after).ToLowerInvariant());
    }

    [Fact]
    public void ConfigWrites_ArePerOpenDevice()
    {
        using var a = Open("edu");
        using var b = Open("edu");
        a.Write(new byte[] { 0x55 }, At(7, 0x3C));
        Read(b, At(7, 0x3C), 1, out var other);
        Assert.Equal(0x0A, other[0]);
    }

    [Fact]
    public void Edu_RaiseThroughBar0_SignalsIntx_ThenMsiWhenMsiIsEnabled()
    {
        using var c = Open("edu");
        using var intx = FileDescriptors.CreateEventFd();
        Assert.Equal(IoctlResult.Success, c.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, 0, 0, new[] { intx.Fd })));
        c.Write(new byte[] { 1, 0, 0, 0 }, At(0, 0x60));
        Assert.Equal(1ul, FileDescriptors.ReadCounter(intx));
        Assert.True(c.IntxLine.Asserted);
        c.Write(new byte[] { 1, 0, 0, 0 }, At(0, 0x64));
        Assert.False(c.IntxLine.Asserted);
        Read(c, At(0, 0x24), 4, out var status);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(status));
        c.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeNone(VfioIrqSetFlags.ActionTrigger, 0, 0, 0));

        using var msi = FileDescriptors.CreateEventFd();
        Assert.Equal(IoctlResult.Success, c.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, 1, 0, new[] { msi.Fd })));
        for (int i = 0; i < 3; i++) c.Write(new byte[] { 2, 0, 0, 0 }, At(0, 0x60));
        Assert.Equal(3ul, FileDescriptors.ReadCounter(msi));
    }

    [Fact]
    public void ClosedChannel_IsEBADF()
    {
        var c = Open("edu");
        c.Dispose();
        Assert.Equal(RegionIoResult.Fail(Errno.EBADF), Read(c, At(7), 4, out _));
    }

    [Fact]
    public void ProfileWithoutConfig_HasAZeroedSpace()
    {
        using var c = Open("gvt-vgpu");
        Assert.Null(MockProfileReader.LoadBuiltIn("gvt-vgpu").Config);
        var r = Read(c, At(7), 4, out var bytes);
        Assert.True(r.IsError || bytes.All(b => b == 0), r.ToString());
    }
}
