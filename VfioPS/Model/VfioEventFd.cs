using System;
using VfioPS.Native;

namespace VfioPS;

/// <summary>
/// An eventfd created by VfioPS (close-on-exec, non-blocking), for binding to IRQ vectors and waiting on.
/// Closed by Dispose, by Close-VfioEventFd, and when the runspace that created it closes or the module is removed.
/// </summary>
public sealed class VfioEventFd : IDisposable
{
    internal VfioEventFd(SafeFileDescriptorHandle handle)
    {
        Handle = handle;
        Fd = handle.Fd;
    }

    public static VfioEventFd Create() => new(FileDescriptors.CreateEventFd());

    internal SafeFileDescriptorHandle Handle { get; }

    /// <summary>The fd number (kept for display after the eventfd is closed).</summary>
    public int Fd { get; }
    public bool IsClosed => Handle.IsClosed;
    private VfioDevice? _boundDevice;
    private uint _boundIndex, _boundVector;

    // Closing a device disables all its IRQs (the kernel drops its eventfd references), so a binding lasts only
    // while the device it was made on is open.
    private VfioDevice? BoundDevice => _boundDevice is { IsOpen: true } device ? device : null;

    /// <summary>The device this eventfd is bound to through Set-VfioIrq, while that device is open.</summary>
    public string? Device => BoundDevice?.Name;
    public uint? Index => BoundDevice is null ? null : _boundIndex;
    public uint? Vector => BoundDevice is null ? null : _boundVector;

    internal void Bind(VfioDevice device, uint index, uint vector)
    {
        _boundIndex = index;
        _boundVector = vector;
        _boundDevice = device;
    }

    internal void Unbind() => _boundDevice = null;

    /// <summary>Drops the binding only if it is still this one: the eventfd may have been bound elsewhere since.</summary>
    internal void UnbindIfBoundTo(VfioDevice device, uint index, uint vector)
    {
        if (ReferenceEquals(_boundDevice, device) && _boundIndex == index && _boundVector == vector) _boundDevice = null;
    }

    /// <summary>Reads and resets the counter: how many signals arrived since the last read (0 if none).</summary>
    public ulong Read()
    {
        ThrowIfClosed();
        return FileDescriptors.ReadCounter(Handle);
    }

    /// <summary>Adds to the counter, as an interrupt would (the INTx resample fd unmasks on such a write).</summary>
    public void Signal(ulong value = 1)
    {
        ThrowIfClosed();
        var errno = FileDescriptors.Signal(Handle, value);
        if (errno != Abi.Errno.None)
            throw new VfioException("VfioEventFdWriteFailed", VfioException.KindFromErrno(errno), $"Writing to eventfd {Fd} failed: {Abi.ErrnoText.Format(errno)}.", this, errno);
    }

    private void ThrowIfClosed()
    {
        if (Handle.IsClosed)
            throw new VfioException("VfioEventFdClosed", VfioErrorKind.InvalidOperation, $"The eventfd {Fd} has been closed.", this);
    }

    /// <summary>Raised once, after the fd is closed, so whatever keeps track of the eventfd can forget it at once.</summary>
    internal event Action<VfioEventFd>? Closed;

    private int _disposed;

    public void Dispose()
    {
        if (System.Threading.Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Handle.Dispose();
        Closed?.Invoke(this);
    }

    public override string ToString() => "eventfd " + Fd;
}
