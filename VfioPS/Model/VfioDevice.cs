using System;
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
    private int _disposed;

    internal VfioDevice(string name, string? profile, IVfioDeviceChannel channel, VfioDeviceInfoData info)
    {
        Name = name;
        Profile = profile;
        _channel = channel;
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

    /// <summary>The channel for operations; fails clearly once the device was disposed.</summary>
    internal IVfioDeviceChannel OpenChannel
    {
        get
        {
            if (!IsOpen)
                throw new VfioException("VfioDeviceClosed", VfioErrorKind.InvalidOperation,
                    $"The device '{Name}' has been closed (disposed); open it again to use it.", Name);
            return _channel;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        VfioDeviceRegistry.Unregister(this);
        _channel.Dispose();
    }

    public override string ToString() => Name;
}
