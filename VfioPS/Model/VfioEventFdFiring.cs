using System;

namespace VfioPS;

/// <summary>One eventfd that fired during Wait-VfioEventFd: what its counter held (the read reset it) and when.</summary>
public sealed class VfioEventFdFiring
{
    internal VfioEventFdFiring(VfioEventFd eventFd, ulong counter, DateTimeOffset timestamp)
    {
        EventFd = eventFd.Fd;
        Device = eventFd.Device;
        Index = eventFd.Index;
        Vector = eventFd.Vector;
        Counter = counter;
        Timestamp = timestamp;
    }

    /// <summary>The eventfd's number.</summary>
    public int EventFd { get; }
    /// <summary>The device, index and vector it is bound to through Set-VfioIrq; null when not known.</summary>
    public string? Device { get; }
    public uint? Index { get; }
    public uint? Vector { get; }
    /// <summary>Signals since the previous read (an interrupt signalled twice before the read counts 2).</summary>
    public ulong Counter { get; }
    public DateTimeOffset Timestamp { get; }
}
