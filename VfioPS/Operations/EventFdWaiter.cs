using System;
using System.Collections.Generic;
using System.Diagnostics;
using VfioPS.Native;

namespace VfioPS.Operations;

/// <summary>
/// Waits on eventfds with poll(2). A private stop eventfd is part of every poll that may block, so <see cref="Cancel"/>
/// (Ctrl+C in a cmdlet) ends a wait at once rather than at the next timeout slice. It is made on the first wait that
/// finds nothing ready: a wait for what already fired (a loopback's) costs no eventfd of its own.
/// </summary>
public sealed class EventFdWaiter : IDisposable
{
    private readonly object _gate = new();
    private SafeFileDescriptorHandle? _stop;
    private bool _disposed;
    private volatile bool _cancelled;
    private readonly IEventFdSyscalls _syscalls;

    public EventFdWaiter() : this(NativeEventFdSyscalls.Instance) { }

    /// <summary>A waiter whose poll and reads go through <paramref name="syscalls"/> (tests inject EINTR and errnos there).</summary>
    internal EventFdWaiter(IEventFdSyscalls syscalls) => _syscalls = syscalls;

    public bool IsCancelled => _cancelled;

    public void Cancel()
    {
        _cancelled = true;
        // A wait that has no stop eventfd yet sees the flag after making one, before it blocks.
        lock (_gate)
        {
            if (_stop is { IsClosed: false } stop) FileDescriptors.Signal(stop);
        }
    }

    /// <summary>The stop eventfd, made on first need.</summary>
    private int StopFd()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stop ??= FileDescriptors.CreateEventFd();
            return _stop.Fd;
        }
    }

    /// <summary>
    /// Waits until at least one eventfd is readable, <paramref name="timeout"/> passes (null: forever) or the wait is
    /// cancelled; then reads every readable one (which resets it) and returns them in the order given. Empty on
    /// timeout or cancel.
    /// </summary>
    /// <param name="maxFirings">Read at most this many eventfds: the others keep their counts for the next wait.</param>
    public IReadOnlyList<VfioEventFdFiring> WaitOnce(IReadOnlyList<VfioEventFd> eventFds, TimeSpan? timeout, int maxFirings = int.MaxValue)
    {
        var fired = new List<VfioEventFdFiring>();
        var clock = Stopwatch.StartNew();
        var fds = new int[eventFds.Count + 1];
        var ready = new bool[fds.Length];
        // Hold each handle open for the whole poll, so a concurrent Dispose cannot close it under us.
        var added = new bool[eventFds.Count];
        try
        {
            // poll(2) skips a negative fd: until the stop eventfd exists, slot 0 is -1 and the poll does not block.
            fds[0] = _stop?.Fd ?? -1;
            for (int i = 0; i < eventFds.Count; i++)
            {
                eventFds[i].Handle.DangerousAddRef(ref added[i]);
                fds[i + 1] = eventFds[i].Handle.Fd;
            }
            while (!_cancelled)
            {
                int waitMs = -1;
                if (timeout is TimeSpan t)
                {
                    var left = t - clock.Elapsed;
                    if (left < TimeSpan.Zero) left = TimeSpan.Zero;
                    waitMs = (int)Math.Min(int.MaxValue, Math.Ceiling(left.TotalMilliseconds));
                }
                if (fds[0] < 0) waitMs = 0; // a first look without the stop eventfd must not block
                int n = FileDescriptors.PollReadable(fds, ready, waitMs, _syscalls);
                if (n > 0 && !ready[0])
                {
                    var now = DateTimeOffset.Now;
                    for (int i = 0; i < eventFds.Count && fired.Count < maxFirings; i++)
                    {
                        if (!ready[i + 1]) continue;
                        ulong counter = FileDescriptors.ReadCounter(eventFds[i].Handle, _syscalls);
                        if (counter > 0) fired.Add(new VfioEventFdFiring(eventFds[i], counter, now));
                    }
                    if (fired.Count > 0) return fired;
                }
                if (fds[0] < 0)
                {
                    // Nothing was ready at the first look: from now on the poll blocks, so Cancel needs the stop eventfd.
                    fds[0] = StopFd();
                    continue;
                }
                if (timeout is TimeSpan limit && clock.Elapsed >= limit) return fired;
            }
            return fired;
        }
        finally
        {
            for (int i = 0; i < eventFds.Count; i++)
                if (added[i]) eventFds[i].Handle.DangerousRelease();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _stop?.Dispose();
        }
    }
}
