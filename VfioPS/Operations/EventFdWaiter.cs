using System;
using System.Collections.Generic;
using System.Diagnostics;
using VfioPS.Native;

namespace VfioPS.Operations;

/// <summary>
/// Waits on eventfds with poll(2). A private stop eventfd is part of every poll, so <see cref="Cancel"/> (Ctrl+C in
/// a cmdlet) ends a wait at once rather than at the next timeout slice.
/// </summary>
public sealed class EventFdWaiter : IDisposable
{
    private readonly SafeFileDescriptorHandle _stop = FileDescriptors.CreateEventFd();
    private volatile bool _cancelled;

    public bool IsCancelled => _cancelled;

    public void Cancel()
    {
        _cancelled = true;
        if (!_stop.IsClosed) FileDescriptors.Signal(_stop);
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
            fds[0] = _stop.Fd;
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
                int n = FileDescriptors.PollReadable(fds, ready, waitMs);
                if (n > 0 && !ready[0])
                {
                    var now = DateTimeOffset.Now;
                    for (int i = 0; i < eventFds.Count && fired.Count < maxFirings; i++)
                    {
                        if (!ready[i + 1]) continue;
                        ulong counter = FileDescriptors.ReadCounter(eventFds[i].Handle);
                        if (counter > 0) fired.Add(new VfioEventFdFiring(eventFds[i], counter, now));
                    }
                    if (fired.Count > 0) return fired;
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

    public void Dispose() => _stop.Dispose();
}
