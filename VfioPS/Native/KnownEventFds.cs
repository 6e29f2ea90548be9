using System.Collections.Generic;

namespace VfioPS.Native;

/// <summary>
/// The fd numbers of the eventfds this process created through <see cref="FileDescriptors.CreateEventFd"/>, while
/// they are open. The mock resolves a caller's fd the way eventfd_ctx_fdget does (EBADF, EINVAL for a file that is
/// not an eventfd); for the module's own eventfds this table answers without asking /proc, which cost about 1.5 us
/// per bound vector. Foreign fd numbers still take the /proc check.
/// </summary>
/// <remarks>
/// Each registration carries a stamp, so a caller can tell that one fd number stayed the same registered eventfd
/// across a dup: an fd is added after eventfd(2) returned it and removed before close(2), so a number that was
/// registered under the same stamp before and after the dup named that eventfd all along.
/// </remarks>
internal static class KnownEventFds
{
    private static readonly object s_gate = new();
    private static readonly Dictionary<int, long> s_stamps = new();
    private static long s_nextStamp;

    public static void Add(int fd)
    {
        lock (s_gate) s_stamps[fd] = ++s_nextStamp;
    }

    public static void Remove(int fd)
    {
        lock (s_gate) s_stamps.Remove(fd);
    }

    /// <summary>The stamp of <paramref name="fd"/>'s registration, or 0 when it is not one of the module's open eventfds.</summary>
    public static long StampOf(int fd)
    {
        lock (s_gate) return s_stamps.TryGetValue(fd, out long stamp) ? stamp : 0;
    }
}
