using System;
using System.Runtime.InteropServices;

namespace VfioPS.Benchmarks.Anchors;

/// <summary>
/// The syscall floor of a loopback round trip: eventfd write, poll, read, by P/Invoke into libc and nothing else
/// (no VfioPS code), as a C program would do it.
/// </summary>
public static unsafe class RawEventFd
{
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    public const short PollIn = 0x001;
    private const int EfdCloexec = 0x80000, EfdNonblock = 0x800;

    [DllImport("libc", SetLastError = true)] private static extern int eventfd(uint initval, int flags);
    [DllImport("libc", SetLastError = true)] private static extern nint write(int fd, void* buf, nuint count);
    [DllImport("libc", SetLastError = true)] private static extern nint read(int fd, void* buf, nuint count);
    [DllImport("libc", SetLastError = true)] private static extern int poll(PollFd* fds, nuint nfds, int timeout);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);

    public static int Create() => eventfd(0, EfdCloexec | EfdNonblock);

    public static void Close(int fd) => close(fd);

    /// <summary>Signal, wait until readable, read the counter: one loopback.</summary>
    public static ulong RoundTrip(int fd)
    {
        ulong one = 1, counter = 0;
        write(fd, &one, sizeof(ulong));
        var set = new PollFd { Fd = fd, Events = PollIn };
        poll(&set, 1, 1000);
        read(fd, &counter, sizeof(ulong));
        return counter;
    }
}
