using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS;

/// <summary>
/// An open VFIO device: a channel (kernel fd or loopback mock) and what VFIO_DEVICE_GET_INFO said about it.
/// It stays open until disposed; on a real device closing the fd disables every IRQ and resets the function,
/// so the object, not each call, owns the fd. Its Name resolves back to it through <see cref="VfioDeviceRegistry"/>
/// while it is open, so a string that went through JSON or remoting still finds it.
/// </summary>
public sealed class VfioDevice : IDisposable
{
    private readonly IVfioDeviceChannel _channel;
    private readonly CountingChannel _counted;
    private int _disposed;

    /// <summary>
    /// Held around every operation that changes the device's IRQ state together with the module's record of it
    /// (the SET_IRQS ioctl and the record update, see <see cref="RunExclusive{T}"/>), and around closing: the record
    /// never shows a half-applied call, and a close waits for such a call rather than cutting it in two. Reads and
    /// info queries do not take it: a close waits for the ones in flight (each one syscall) and refuses later ones
    /// with VfioDeviceClosed.
    /// </summary>
    private readonly object _operationGate = new();

    /// <summary>Channel calls in flight (see <see cref="CountingChannel"/>): a close waits for them before it closes the fd.</summary>
    private int _inFlight;

    internal VfioDevice(string name, string? profile, IVfioDeviceChannel channel, VfioDeviceInfoData info,
        IReadOnlyList<VfioDeviceCapability>? capabilities = null, Operations.ChainFault? capabilityFault = null)
    {
        Capabilities = capabilities is null ? Array.Empty<VfioDeviceCapability>() : capabilities.ToArray();
        CapabilityFault = capabilityFault;
        Name = name;
        Profile = profile;
        _channel = channel;
        // Found once: the channel may be wrapped (the EINTR restart, a test's fault injection).
        KernelChannel = ChannelDecorators.Find<Kernel.KernelDeviceChannel>(channel);
        MockChannel = ChannelDecorators.Find<Mock.MockDeviceChannel>(channel);
        _counted = new CountingChannel(channel, this);
        Flags = info.Flags;
        NumRegions = info.NumRegions;
        NumIrqs = info.NumIrqs;
    }

    /// <summary>A PCI address (0000:00:10.0) or a mock name (mock:gvt-vgpu/1).</summary>
    public string Name { get; }
    /// <summary>The channel behind the device: "Mock", or the kernel path in use.</summary>
    public string Channel => _channel.Kind;
    /// <summary>The mock profile the device answers from; null for a real device.</summary>
    public string? Profile { get; }
    public VfioDeviceFlags Flags { get; }
    public uint NumRegions { get; }
    /// <summary>Max IRQ index + 1, as the device reported it.</summary>
    public uint NumIrqs { get; }
    public bool IsOpen => Volatile.Read(ref _disposed) == 0;

    /// <summary>The VFIO_DEVICE_INFO capability chain (with VFIO_DEVICE_FLAGS_CAPS), in chain order; empty without one.</summary>
    public VfioDeviceCapability[] Capabilities { get; }

    /// <summary>Where and why the device-info chain was malformed; null when it was read whole (or there was none).</summary>
    public Operations.ChainFault? CapabilityFault { get; }
    /// <summary>
    /// The IOMMU group of the device: sysfs's for a real device (read when it was opened), the profile's
    /// reset.iommuGroup for a mock; null when there is none.
    /// </summary>
    public int? IommuGroup { get; internal init; }

    /// <summary>
    /// Whether this object holds its IOMMU group open: a device opened through its group (or a mock standing for a
    /// group). A device opened through its cdev holds no group fd, so it cannot give one to VFIO_DEVICE_PCI_HOT_RESET.
    /// </summary>
    internal bool HoldsGroup => IommuGroup is not null && (KernelChannel is null || _channel.Kind == "Kernel group");

    /// <summary>How many ioctls of each kind went to the device through VfioPS, by kernel name.</summary>
    public IReadOnlyDictionary<string, long> IoctlCounts => _counted.Counts;

    /// <summary>
    /// The module's record of the IRQ state it set (VFIO has no ioctl that reads it back): which indexes are
    /// enabled and which eventfd each vector is bound to. Kept per open device, cleared when it is closed.
    /// </summary>
    internal IrqStateRecord IrqRecord { get; } = new();

    /// <summary>The kernel device fd behind this object, or null for a mock.</summary>
    internal Kernel.KernelDeviceChannel? KernelChannel { get; }

    /// <summary>The mock device behind this object, or null for a real one.</summary>
    internal Mock.MockDeviceChannel? MockChannel { get; }

    /// <summary>The channel for operations; fails clearly once the device was disposed.</summary>
    internal IVfioDeviceChannel OpenChannel
    {
        get
        {
            if (!IsOpen) throw ClosedError();
            return _counted;
        }
    }

    /// <summary>The one error an operation on a closed device gets, whether it started before the close or after.</summary>
    internal VfioException ClosedError()
        => new("VfioDeviceClosed", VfioErrorKind.InvalidOperation, $"The device '{Name}' has been closed (disposed); open it again to use it.", Name);

    /// <summary>
    /// Runs <paramref name="operation"/> under the device's operation lock, with the open channel: one thread at a
    /// time changes the device's IRQ state and the module's record of it, so the two agree whenever no call is in
    /// flight, and a close waits for the call to finish. Fails with VfioDeviceClosed once the device was closed.
    /// </summary>
    internal T RunExclusive<T>(Func<IVfioDeviceChannel, T> operation)
    {
        lock (_operationGate)
        {
            return operation(OpenChannel);
        }
    }

    /// <summary>
    /// The eventfd objects bound to this device's vectors (by index and vector), so rebinding or disabling an index
    /// finds the objects to unmark by vector instead of scanning every eventfd the session owns.
    /// </summary>
    internal EventFdBindings EventFdBindings { get; } = new();

    /// <summary>Raised once, after the device is closed, so whatever keeps track of it can forget it at once.</summary>
    internal event Action<VfioDevice>? Closed;

    /// <summary>
    /// Closes the device. Safe from any thread while other threads use it: a SET_IRQS in flight finishes first (with
    /// its record update), and so does a read or query in flight; later calls fail with VfioDeviceClosed. The fd is
    /// closed when this returns. Closing twice does nothing.
    /// </summary>
    public void Dispose()
    {
        lock (_operationGate)
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            VfioDeviceRegistry.Unregister(this);
            // Calls that started before the close finish first (each is one syscall); calls after it are refused. So
            // the fd is really closed when Dispose returns: a device opened again at once gets a fresh open, never
            // this one's IRQ state (vfio-pci releases it only when the last fd of the device closes).
            var wait = new SpinWait();
            while (Volatile.Read(ref _inFlight) != 0) wait.SpinOnce(sleep1Threshold: 20);
            _channel.Dispose();
            IrqRecord.Clear();
            EventFdBindings.Clear();
        }
        Closed?.Invoke(this);
    }

    /// <summary>Counts the ioctls that pass, so scripts and tests can see how many calls an operation made.</summary>
    private sealed class CountingChannel : IVfioDeviceChannel
    {
        // The device requests VfioPS sends, each with a counter of its own: counting is one interlocked add on every
        // ioctl, with no name lookup. Other numbers (none today) go to a dictionary by name.
        private static readonly uint[] s_known =
        {
            VfioIoctl.DeviceGetInfo, VfioIoctl.DeviceGetRegionInfo, VfioIoctl.DeviceGetIrqInfo, VfioIoctl.DeviceSetIrqs,
            VfioIoctl.DeviceReset, VfioIoctl.DeviceBindIommufd, VfioIoctl.DeviceGetPciHotResetInfo,
        };

        private readonly IVfioDeviceChannel _inner;
        private readonly long[] _known = new long[s_known.Length];
        private readonly ConcurrentDictionary<string, long> _other = new();
        private readonly VfioDevice _device;

        public CountingChannel(IVfioDeviceChannel inner, VfioDevice device)
        {
            _inner = inner;
            _device = device;
        }

        /// <summary>Counts the call in flight; refuses it once the device was closed (the close waits for the count to drain).</summary>
        private void Enter()
        {
            Interlocked.Increment(ref _device._inFlight);
            if (_device.IsOpen) return;
            Interlocked.Decrement(ref _device._inFlight);
            throw _device.ClosedError();
        }

        private void Exit() => Interlocked.Decrement(ref _device._inFlight);

        /// <summary>
        /// EBADF from a device that was closed meanwhile (the call took the channel before the close, the syscall ran
        /// after it): the caller raced a close, not a bad fd, so it gets the same VfioDeviceClosed as a later call.
        /// </summary>
        private Errno CheckClosed(Errno errno)
        {
            if (errno == Errno.EBADF && !_device.IsOpen) throw _device.ClosedError();
            return errno;
        }

        public IReadOnlyDictionary<string, long> Counts
        {
            get
            {
                var counts = new Dictionary<string, long>(_other);
                for (int i = 0; i < s_known.Length; i++)
                {
                    long n = Volatile.Read(ref _known[i]);
                    if (n > 0) counts[VfioIoctl.DeviceRequestName(s_known[i])] = n;
                }
                return counts.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value);
            }
        }

        public string Kind => _inner.Kind;

        public IoctlResult Ioctl(uint request, Span<byte> argument)
        {
            int slot = Array.IndexOf(s_known, request);
            if (slot >= 0) Interlocked.Increment(ref _known[slot]);
            else _other.AddOrUpdate(VfioIoctl.DeviceRequestName(request), 1, (_, n) => n + 1);
            Enter();
            IoctlResult result;
            try { result = _inner.Ioctl(request, argument); }
            finally { Exit(); }
            CheckClosed(result.Errno);
            return result;
        }

        // Region I/O is not an ioctl: passed through uncounted.
        public RegionIoResult Read(Span<byte> buffer, long offset)
        {
            Enter();
            RegionIoResult result;
            try { result = _inner.Read(buffer, offset); }
            finally { Exit(); }
            CheckClosed(result.Errno);
            return result;
        }

        public RegionIoResult Write(ReadOnlySpan<byte> buffer, long offset)
        {
            Enter();
            RegionIoResult result;
            try { result = _inner.Write(buffer, offset); }
            finally { Exit(); }
            CheckClosed(result.Errno);
            return result;
        }

        public void Dispose() => _inner.Dispose();
    }

    public override string ToString() => Name;
}
