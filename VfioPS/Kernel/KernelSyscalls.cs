using System;
using System.Text;
using Tmds.Linux;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Native;
using static Tmds.Linux.LibC;

namespace VfioPS.Kernel;

/// <summary>open(2) and ioctl(2) for the kernel channel, returning errno instead of throwing.</summary>
internal static unsafe class KernelSyscalls
{
    /// <summary>open(path, O_RDWR | O_CLOEXEC).</summary>
    public static SafeFileDescriptorHandle? Open(string path, out Errno errno)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = bytes)
        {
            fd = open(p, O_RDWR | O_CLOEXEC, 0);
        }
        errno = fd < 0 ? (Errno)LibC.errno : Errno.None;
        return fd < 0 ? null : new SafeFileDescriptorHandle(fd);
    }

    /// <summary>ioctl(fd, request, buffer): the pointer form every VFIO struct ioctl uses.</summary>
    public static IoctlResult Ioctl(SafeFileDescriptorHandle fd, uint request, Span<byte> argument)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            int ret;
            fixed (byte* p = argument)
            {
                ret = ioctl(fd.Fd, unchecked((int)request), p);
            }
            return ret < 0 ? IoctlResult.Fail((Errno)LibC.errno) : new IoctlResult(ret, Errno.None);
        }
        catch (ObjectDisposedException)
        {
            return IoctlResult.Fail(Errno.EBADF);
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }

    /// <summary>ioctl(fd, request, value): CHECK_EXTENSION and SET_IOMMU take their argument by value.</summary>
    public static IoctlResult IoctlValue(SafeFileDescriptorHandle fd, uint request, int value)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            int ret = ioctl(fd.Fd, unchecked((int)request), value);
            return ret < 0 ? IoctlResult.Fail((Errno)LibC.errno) : new IoctlResult(ret, Errno.None);
        }
        catch (ObjectDisposedException)
        {
            // As Ioctl: a handle closed meanwhile is the kernel's EBADF, not an exception of its own.
            return IoctlResult.Fail(Errno.EBADF);
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }

    /// <summary>pread(fd, buffer, offset): the bytes read (possibly fewer than asked), or the errno.</summary>
    public static RegionIoResult Pread(SafeFileDescriptorHandle fd, Span<byte> buffer, long offset)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            long n;
            fixed (byte* p = buffer)
            {
                n = pread(fd.Fd, p, (size_t)(uint)buffer.Length, (off_t)offset);
            }
            // errno first: nothing may run between the call and reading it.
            return n < 0 ? RegionIoResult.Fail((Errno)LibC.errno) : RegionIoResult.Moved(n);
        }
        catch (ObjectDisposedException)
        {
            return RegionIoResult.Fail(Errno.EBADF);
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }

    /// <summary>pwrite(fd, buffer, offset): the bytes written (possibly fewer than asked), or the errno.</summary>
    public static RegionIoResult Pwrite(SafeFileDescriptorHandle fd, ReadOnlySpan<byte> buffer, long offset)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            long n;
            fixed (byte* p = buffer)
            {
                n = pwrite(fd.Fd, p, (size_t)(uint)buffer.Length, (off_t)offset);
            }
            // errno first: nothing may run between the call and reading it.
            return n < 0 ? RegionIoResult.Fail((Errno)LibC.errno) : RegionIoResult.Moved(n);
        }
        catch (ObjectDisposedException)
        {
            return RegionIoResult.Fail(Errno.EBADF);
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }
}
