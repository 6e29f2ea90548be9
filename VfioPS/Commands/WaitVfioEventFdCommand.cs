using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>
/// Wait-VfioEventFd: waits for eventfds to fire and emits one VfioEventFdFiring per eventfd that fired (reading it
/// resets its counter). Without -Stream it returns after the first wake-up with every eventfd that fired; a timeout
/// with nothing fired is a non-terminating VfioEventFdWaitTimeout error and no output. With -Stream it keeps
/// waiting and emits each firing as it happens, until -MaxEvents firings or -Timeout seconds (then no error).
/// Ctrl+C ends the wait at once.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "VfioEventFd")]
[OutputType(typeof(VfioEventFdFiring))]
public sealed class WaitVfioEventFdCommand : VfioCmdletBase, IDisposable
{
    private readonly List<VfioEventFd> _eventFds = new();
    // Duplicates are dropped by a set, so piping n eventfds costs n lookups rather than n*n/2 comparisons.
    private readonly HashSet<VfioEventFd> _seen = new(ReferenceEqualityComparer.Instance);
    private readonly EventFdWaiter _waiter = new();

    /// <summary>The eventfds to wait on.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public VfioEventFd[] EventFd { get; set; } = Array.Empty<VfioEventFd>();

    /// <summary>Seconds to wait (fractions allowed); -1, the default, waits until something fires (or Ctrl+C). With -Stream: the total time.</summary>
    [Parameter(Position = 1)]
    [ValidateRange(-1.0, 2147483.0)]
    public double Timeout { get; set; } = -1;

    /// <summary>Keep waiting and emit each firing as it happens.</summary>
    [Parameter]
    public SwitchParameter Stream { get; set; }

    /// <summary>With -Stream: stop after this many firings.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxEvents { get; set; } = int.MaxValue;

    protected override void ProcessRecord()
    {
        foreach (var e in EventFd)
        {
            if (e.IsClosed)
            {
                WriteError(new ErrorRecord(new ObjectDisposedException($"eventfd {e.Fd}", $"The eventfd {e.Fd} is closed and cannot be waited on."),
                    "VfioEventFdClosed", ErrorCategory.InvalidOperation, e));
                continue;
            }
            if (_seen.Add(e)) _eventFds.Add(e);
        }
    }

    protected override void EndProcessing()
    {
        if (_eventFds.Count == 0) return;
        TimeSpan? total = Timeout < 0 ? null : TimeSpan.FromSeconds(Timeout);
        var clock = Stopwatch.StartNew();
        int emitted = 0;
        do
        {
            TimeSpan? left = total is TimeSpan t ? (t > clock.Elapsed ? t - clock.Elapsed : TimeSpan.Zero) : null;
            var fired = _waiter.WaitOnce(_eventFds, left, MaxEvents - emitted);
            foreach (var firing in fired)
            {
                WriteObject(firing);
                emitted++;
            }
            if (!Stream)
            {
                if (fired.Count == 0 && !_waiter.IsCancelled)
                {
                    WriteError(new ErrorRecord(new TimeoutException(string.Format(System.Globalization.CultureInfo.InvariantCulture, "No eventfd fired within {0} s", Timeout) + $"  ({string.Join(", ", _eventFds.Select(e => e.Fd))})."),
                        "VfioEventFdWaitTimeout", ErrorCategory.OperationTimeout, _eventFds.ToArray()));
                }
                return;
            }
        }
        while (!_waiter.IsCancelled && emitted < MaxEvents && (total is null || clock.Elapsed < total));
    }

    protected override void StopProcessing() => _waiter.Cancel();

    public void Dispose() => _waiter.Dispose();
}
