using System;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Kernel;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// Every syscall wrapper answers a handle closed before (or while) it is called with the kernel's EBADF, never an
/// ObjectDisposedException: a device closed by another runspace then becomes VfioDeviceClosed in one place.
/// </summary>
public sealed class KernelSyscallsClosedHandleTests
{
    private static Native.SafeFileDescriptorHandle ClosedHandle()
    {
        var fd = KernelSyscalls.Open("/dev/null", out var errno);
        Assert.True(fd is not null, $"open /dev/null: {errno}");
        fd!.Dispose();
        return fd;
    }

    [Fact]
    public void Ioctl_OnAClosedHandle_IsEBADF()
        => Assert.Equal(IoctlResult.Fail(Errno.EBADF), KernelSyscalls.Ioctl(ClosedHandle(), VfioIoctl.DeviceGetInfo, new byte[16]));

    [Fact]
    public void IoctlValue_OnAClosedHandle_IsEBADF()
        => Assert.Equal(IoctlResult.Fail(Errno.EBADF), KernelSyscalls.IoctlValue(ClosedHandle(), VfioIoctl.DeviceGetInfo, 1));

    [Fact]
    public void PreadAndPwrite_OnAClosedHandle_AreEBADF()
    {
        var fd = ClosedHandle();
        Assert.Equal(RegionIoResult.Fail(Errno.EBADF), KernelSyscalls.Pread(fd, new byte[4], 0));
        Assert.Equal(RegionIoResult.Fail(Errno.EBADF), KernelSyscalls.Pwrite(fd, new byte[4], 0));
    }
}
