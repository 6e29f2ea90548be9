using System;
using System.Collections.Generic;
using VfioPS.Abi;

namespace VfioPS.Channels;

/// <summary>The kind of call a fault can hit: an ioctl, or region I/O on the device fd.</summary>
internal enum ChannelCallKind { Ioctl, Read, Write }

/// <summary>One call that went through a <see cref="FaultInjectingChannel"/>: its kind and, for an ioctl, its request.</summary>
internal readonly record struct ChannelCall(ChannelCallKind Kind, uint Request)
{
    public override string ToString() => Kind == ChannelCallKind.Ioctl ? VfioIoctl.DeviceRequestName(Request) : Kind == ChannelCallKind.Read ? "pread" : "pwrite";
}

/// <summary>
/// What to inject: the <see cref="Nth"/> call (1-based, counted from when the fault was armed) that matches
/// <see cref="Kind"/> and <see cref="Request"/> (null: any) fails with <see cref="Errno"/>, or, with <see cref="Short"/>,
/// a read or write moves half the bytes. Every other call passes through unchanged.
/// </summary>
internal sealed record ChannelFault(int Nth, Errno Errno, ChannelCallKind? Kind = null, uint? Request = null, bool Short = false)
{
    public bool Matches(ChannelCall call) => (Kind is null || Kind == call.Kind) && (Request is null || call.Kind == ChannelCallKind.Ioctl && Request == call.Request);

    public override string ToString()
        => $"{(Request is uint r ? VfioIoctl.DeviceRequestName(r) : Kind?.ToString() ?? "call")} #{Nth}: {(Short ? "short" : Errno.ToString())}";
}

/// <summary>
/// A test aid, not a feature: wraps any channel and makes one chosen call fail with a chosen errno (or move fewer
/// bytes) before it reaches the device, so the device keeps the state it had, as the kernel does for a call it
/// refuses at entry (copy_from_user, an interrupted lock). The fault-matrix tests drive every operation through it.
/// It ships inside the module (internal) because the engine tests can reach only the built module: they open one
/// through <see cref="OpenMock"/> by reflection, which no script does by accident.
/// </summary>
internal sealed class FaultInjectingChannel : IVfioDeviceChannel, IChannelDecorator
{
    private readonly object _gate = new();
    private readonly IVfioDeviceChannel _inner;
    private readonly List<ChannelCall> _calls = new();
    private ChannelFault? _fault;
    private int _seen;

    public FaultInjectingChannel(IVfioDeviceChannel inner, ChannelFault? fault = null)
    {
        _inner = inner;
        Arm(fault);
    }

    public IVfioDeviceChannel Inner => _inner;

    public string Kind => _inner.Kind;

    /// <summary>Whether the armed fault was injected.</summary>
    public bool Injected { get; private set; }

    public bool IsDisposed { get; private set; }

    /// <summary>The calls since the fault was armed, in order (the positions a matrix can fault).</summary>
    public IReadOnlyList<ChannelCall> Calls
    {
        get { lock (_gate) return _calls.ToArray(); }
    }

    /// <summary>Arms <paramref name="fault"/> (null: none) and starts counting calls afresh.</summary>
    public void Arm(ChannelFault? fault)
    {
        lock (_gate)
        {
            _fault = fault;
            _seen = 0;
            _calls.Clear();
            Injected = false;
        }
    }

    /// <summary>The fault to apply to this call, if it is the one.</summary>
    private ChannelFault? Hit(ChannelCall call)
    {
        lock (_gate)
        {
            _calls.Add(call);
            if (_fault is not { } fault || Injected || !fault.Matches(call)) return null;
            if (++_seen != fault.Nth) return null;
            Injected = true;
            return fault;
        }
    }

    public IoctlResult Ioctl(uint request, Span<byte> argument)
    {
        // A short transfer is region I/O's; on an ioctl the fault is its errno.
        if (Hit(new ChannelCall(ChannelCallKind.Ioctl, request)) is { } fault && !fault.Short) return IoctlResult.Fail(fault.Errno);
        return _inner.Ioctl(request, argument);
    }

    public RegionIoResult Read(Span<byte> buffer, long offset)
    {
        if (Hit(new ChannelCall(ChannelCallKind.Read, 0)) is not { } fault) return _inner.Read(buffer, offset);
        return fault.Short ? _inner.Read(buffer.Slice(0, buffer.Length / 2), offset) : RegionIoResult.Fail(fault.Errno);
    }

    public RegionIoResult Write(ReadOnlySpan<byte> buffer, long offset)
    {
        if (Hit(new ChannelCall(ChannelCallKind.Write, 0)) is not { } fault) return _inner.Write(buffer, offset);
        return fault.Short ? _inner.Write(buffer.Slice(0, buffer.Length / 2), offset) : RegionIoResult.Fail(fault.Errno);
    }

    public void Dispose()
    {
        IsDisposed = true;
        _inner.Dispose();
    }

    /// <summary>
    /// For the engine tests (by reflection): a built-in mock device whose <paramref name="nth"/> call named by
    /// <paramref name="call"/> (an ioctl's kernel name such as VFIO_DEVICE_SET_IRQS, or pread / pwrite) fails with
    /// <paramref name="errno"/> (an errno name, or "short"). The fault is armed after the device is open.
    /// </summary>
    internal static VfioDevice OpenMock(string profile, string call, int nth, string errno)
    {
        FaultInjectingChannel? faults = null;
        var device = Mock.MockDevices.Open(Mock.MockProfileReader.LoadBuiltIn(profile), inner => faults = new FaultInjectingChannel(inner));
        bool isShort = string.Equals(errno, "short", StringComparison.OrdinalIgnoreCase);
        var fault = call switch
        {
            "pread" => new ChannelFault(nth, isShort ? Errno.None : Enum.Parse<Errno>(errno), ChannelCallKind.Read, Short: isShort),
            "pwrite" => new ChannelFault(nth, isShort ? Errno.None : Enum.Parse<Errno>(errno), ChannelCallKind.Write, Short: isShort),
            _ => new ChannelFault(nth, Enum.Parse<Errno>(errno), ChannelCallKind.Ioctl, RequestByName(call)),
        };
        faults!.Arm(fault);
        return device;
    }

    private static uint RequestByName(string name)
    {
        foreach (uint request in new[] { VfioIoctl.DeviceGetInfo, VfioIoctl.DeviceGetRegionInfo, VfioIoctl.DeviceGetIrqInfo, VfioIoctl.DeviceSetIrqs,
                     VfioIoctl.DeviceReset, VfioIoctl.DeviceGetPciHotResetInfo })
            if (VfioIoctl.DeviceRequestName(request) == name) return request;
        throw new ArgumentException($"'{name}' is no device ioctl VfioPS sends.", nameof(name));
    }
}
