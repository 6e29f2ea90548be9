using System;
using System.Text;
using Tmds.Linux;
using VfioPS.Abi;
using VfioPS.Native;
using static Tmds.Linux.LibC;

namespace VfioPS.Kernel;

/// <summary>
/// Writes one sysfs attribute and answers with the errno of the write. A sysfs write is a request to the kernel and
/// its errno is the kernel's answer (EACCES: not root; ENODEV: the device went away; EINVAL: a driver the kernel
/// does not know; EBUSY: ...), so the errno is kept rather than folded into an exception. Tests substitute a
/// simulated kernel that records every write and reacts to it.
/// </summary>
internal interface IPciSysfsWriter
{
    Errno Write(string path, string text);
}

/// <summary>open(O_WRONLY | O_TRUNC) and one write(2), as `echo text > path` does.</summary>
internal sealed unsafe class LinuxPciSysfsWriter : IPciSysfsWriter
{
    public static LinuxPciSysfsWriter Instance { get; } = new();

    public Errno Write(string path, string text)
    {
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        int fd;
        fixed (byte* p = name)
        {
            // No O_CREAT: a sysfs attribute that does not exist is an error to report, not a file to make.
            fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC, 0);
        }
        if (fd < 0) return (Errno)errno;
        // The fd is owned by a SafeHandle from here on, so it is closed once whatever happens below.
        using var handle = new SafeFileDescriptorHandle(fd);
        long n;
        fixed (byte* b = bytes)
        {
            n = write(handle.Fd, b, (size_t)(uint)bytes.Length);
        }
        // A sysfs store takes the whole buffer at once or fails.
        return n < 0 ? (Errno)errno : n == bytes.Length ? Errno.None : Errno.EIO;
    }
}
