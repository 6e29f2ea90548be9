using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using Tmds.Linux;
using VfioPS.Abi;
using static Tmds.Linux.LibC;

namespace VfioPS.Native;

/// <summary>A Linux file descriptor owned by the module: closed exactly once, when released.</summary>
public sealed class SafeFileDescriptorHandle : SafeHandle
{
    public SafeFileDescriptorHandle(int fd, bool ownsHandle = true) : base(new IntPtr(-1), ownsHandle) => SetHandle(new IntPtr(fd));

    /// <summary>Set for eventfds the module created: the number leaves <see cref="KnownEventFds"/> before it is closed.</summary>
    internal bool IsKnownEventFd { get; init; }

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The fd number while the handle is open.</summary>
    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle()
    {
        int fd = (int)handle.ToInt64();
        // Before close: once closed, the number may name another file at once.
        if (IsKnownEventFd) KnownEventFds.Remove(fd);
        return close(fd) == 0;
    }
}

/// <summary>The few syscalls eventfds need, each returning the errno rather than throwing.</summary>
public static unsafe class FileDescriptors
{
    /// <summary>eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK): non-blocking so reads never hang; waits go through poll.</summary>
    public static SafeFileDescriptorHandle CreateEventFd()
    {
        int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fd < 0) throw Failed("eventfd", (Errno)errno);
        KnownEventFds.Add(fd);
        return new SafeFileDescriptorHandle(fd) { IsKnownEventFd = true };
    }

    /// <summary>
    /// A reference of our own to the eventfd behind a caller's fd number, as eventfd_ctx_fdget gives the kernel:
    /// EBADF for a number that is no open fd, EINVAL for an fd that is not an eventfd. One of the module's own
    /// eventfds is known without a look at /proc, when its registration is the same before and after the dup.
    /// </summary>
    public static Errno TryDupEventFd(int fd, out SafeFileDescriptorHandle? handle)
    {
        handle = null;
        if (fd < 0) return Errno.EBADF;
        long stamp = KnownEventFds.StampOf(fd);
        int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) return (Errno)errno;
        var owned = new SafeFileDescriptorHandle(copy);
        bool known = stamp != 0 && KnownEventFds.StampOf(fd) == stamp && IsAnonInode(copy);
        if (!known && !IsEventFd(copy))
        {
            owned.Dispose();
            return Errno.EINVAL;
        }
        handle = owned;
        return Errno.None;
    }

    /// <summary>
    /// Whether an fd is an anon inode, as an eventfd is: fstat shows no file-type bits. A registered number that names a
    /// device or regular file now was closed behind the module's back and reused, so the table's word is not taken
    /// for it (the /proc check decides). One fstat(2), far cheaper than the readlink it saves.
    /// </summary>
    private static bool IsAnonInode(int fd)
    {
        stat st;
        return fstat(fd, &st) == 0 && ((uint)st.st_mode & 0xF000u) == 0;
    }

    private static ReadOnlySpan<byte> EventFdLink => "anon_inode:[eventfd]"u8;

    /// <summary>
    /// Whether an fd is an eventfd: its /proc link names the anon inode "[eventfd]". One readlink(2) into stack
    /// buffers: every anon-inode file shares one inode, so fstat cannot tell an eventfd from an epoll or a timerfd.
    /// </summary>
    public static bool IsEventFd(int fd)
    {
        if (fd < 0) return false;
        Span<byte> path = stackalloc byte[32];
        "/proc/self/fd/"u8.CopyTo(path);
        int length = "/proc/self/fd/"u8.Length;
        fd.TryFormat(path.Slice(length), out int digits, default, System.Globalization.CultureInfo.InvariantCulture);
        length += digits;
        path[length] = 0;
        Span<byte> link = stackalloc byte[EventFdLink.Length + 1];
        long n;
        fixed (byte* p = path)
        fixed (byte* l = link)
        {
            n = readlink(p, l, (size_t)(ulong)link.Length);
        }
        return n == EventFdLink.Length && link.Slice(0, (int)n).SequenceEqual(EventFdLink);
    }

    /// <summary>Adds <paramref name="value"/> to the eventfd counter, as eventfd_signal does.</summary>
    public static Errno Signal(SafeFileDescriptorHandle handle, ulong value = 1)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            ulong v = value;
            while (true)
            {
                long n = write(handle.Fd, &v, sizeof(ulong));
                if (n == sizeof(ulong)) return Errno.None;
                int e = errno;
                if (e != EINTR) return (Errno)e;
            }
        }
        catch (ObjectDisposedException)
        {
            return Errno.EBADF;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>Reads and resets the counter; 0 when nothing was signalled (EAGAIN on a non-blocking eventfd).</summary>
    public static ulong ReadCounter(SafeFileDescriptorHandle handle) => ReadCounter(handle, NativeEventFdSyscalls.Instance);

    /// <summary>
    /// <see cref="ReadCounter(SafeFileDescriptorHandle)"/> through <paramref name="syscalls"/>: EINTR is retried (bounded),
    /// EAGAIN is "nothing yet" (0), and any other errno or a read of other than 8 bytes is an error.
    /// </summary>
    internal static ulong ReadCounter(SafeFileDescriptorHandle handle, IEventFdSyscalls syscalls)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            for (int attempt = 0; ; attempt++)
            {
                long n = syscalls.Read(handle.Fd, out ulong value, out Errno e);
                if (n == sizeof(ulong)) return value;
                if (n >= 0)
                    throw new VfioException("VfioSyscallFailed", VfioErrorKind.DeviceError,
                        $"read(eventfd) moved {n} byte(s); an eventfd read moves its 8-byte counter or fails.", "read(eventfd)");
                if (e == Errno.EINTR && attempt < MaxRestarts) continue;
                if (e == Errno.EAGAIN) return 0;
                throw Failed("read(eventfd)", e);
            }
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>How often one read or poll is restarted after EINTR before the EINTR is reported (a signal storm).</summary>
    internal const int MaxRestarts = 16;

    /// <summary>
    /// poll(2) for POLLIN on the given fds; returns the number ready (0 on timeout), with each one's readiness in
    /// <paramref name="ready"/>. EINTR is a 0-ready return, so callers re-check their stop conditions and poll again
    /// with the time that is left, as poll(2) callers must (the kernel does not restart poll with the time left).
    /// </summary>
    public static int PollReadable(ReadOnlySpan<int> fds, Span<bool> ready, int timeoutMilliseconds)
        => PollReadable(fds, ready, timeoutMilliseconds, NativeEventFdSyscalls.Instance);

    internal static int PollReadable(ReadOnlySpan<int> fds, Span<bool> ready, int timeoutMilliseconds, IEventFdSyscalls syscalls)
    {
        int n = syscalls.Poll(fds, ready, timeoutMilliseconds, out Errno e);
        if (n >= 0) return n;
        if (e == Errno.EINTR) { ready.Clear(); return 0; }
        throw Failed("poll", e);
    }

    /// <summary>How many fds this process has open, from /proc/self/fd (for leak checks).</summary>
    public static int OpenCount() => Directory.GetFiles("/proc/self/fd").Length;

    /// <summary>
    /// What each fd this process has open names (/proc/self/fd link targets: a path, "pipe:[n]", "anon_inode:[eventfd]"),
    /// for leak checks that count only some kinds; an fd closed since it was listed (the listing's own directory
    /// handle) is left out.
    /// </summary>
    public static IEnumerable<string> OpenTargets()
    {
        foreach (string path in Directory.GetFiles("/proc/self/fd"))
        {
            string? target;
            try { target = new FileInfo(path).LinkTarget; }
            catch (IOException) { continue; }
            if (target is not null) yield return target;
        }
    }

    private static VfioException Failed(string call, Errno errno)
        => new("VfioSyscallFailed", VfioException.KindFromErrno(errno), $"{call} failed: {ErrnoText.Format(errno)}.", call, errno);
}

/// <summary>
/// The two syscalls an eventfd wait makes, behind a seam so tests can make one fail (EINTR, EAGAIN, an errno) and
/// check what the caller does with it. The module uses <see cref="NativeEventFdSyscalls"/>.
/// </summary>
internal interface IEventFdSyscalls
{
    /// <summary>poll(2) for POLLIN: the number ready (each one's readiness in <paramref name="ready"/>), or -1 and the errno.</summary>
    int Poll(ReadOnlySpan<int> fds, Span<bool> ready, int timeoutMilliseconds, out Errno errno);

    /// <summary>read(2) of the 8-byte counter: the bytes read, or -1 and the errno.</summary>
    long Read(int fd, out ulong value, out Errno errno);
}

/// <summary>poll(2) and read(2) themselves.</summary>
internal sealed unsafe class NativeEventFdSyscalls : IEventFdSyscalls
{
    public static NativeEventFdSyscalls Instance { get; } = new();

    public int Poll(ReadOnlySpan<int> fds, Span<bool> ready, int timeoutMilliseconds, out Errno errno)
    {
        var set = fds.Length <= 64 ? stackalloc pollfd[fds.Length] : new pollfd[fds.Length];
        for (int i = 0; i < fds.Length; i++) set[i] = new pollfd { fd = fds[i], events = POLLIN };
        int n;
        fixed (pollfd* p = set)
        {
            n = poll(p, (ulong_t)(ulong)fds.Length, timeoutMilliseconds);
        }
        errno = n < 0 ? (Errno)Tmds.Linux.LibC.errno : Errno.None;
        if (n >= 0)
            for (int i = 0; i < fds.Length; i++) ready[i] = (set[i].revents & POLLIN) != 0;
        return n;
    }

    public long Read(int fd, out ulong value, out Errno errno)
    {
        ulong v = 0;
        long n = read(fd, &v, sizeof(ulong));
        errno = n < 0 ? (Errno)Tmds.Linux.LibC.errno : Errno.None;
        value = v;
        return n;
    }
}
