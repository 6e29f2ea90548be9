using System;
using System.Collections.Generic;
using System.Linq;
using VfioPS.Abi;

namespace VfioPS.Operations;

/// <summary>What to send in one VFIO_DEVICE_SET_IRQS: action, data type, range and payload.</summary>
public sealed record IrqSetRequest(uint Index, VfioIrqSetFlags Action, VfioIrqSetFlags DataType, uint Start, uint Count, bool[]? Bools = null, int[]? EventFds = null)
{
    public VfioIrqSetFlags Flags => Action | DataType;

    /// <summary>"vectors 0-4" / "vector 2" / "no vectors".</summary>
    public string VectorText => Count == 0 ? "no vectors" : Count == 1 ? $"vector {Start}" : $"vectors {Start}-{Start + Count - 1}";

    /// <summary>What would be sent, for -WhatIf and messages.</summary>
    public string Describe()
    {
        string text = $"VFIO_DEVICE_SET_IRQS {VfioIrqSetCodec.Describe(Flags)}, start {Start}, count {Count}";
        if (EventFds is not null) text += ", eventfds " + string.Join(", ", EventFds);
        if (Bools is not null) text += ", values " + string.Join(", ", Bools.Select(b => b ? "1" : "0"));
        return text;
    }

    /// <summary>The ioctl's bytes: header and payload, argsz covering exactly both.</summary>
    public byte[] Encode() => DataType switch
    {
        VfioIrqSetFlags.DataEventFd => VfioIrqSetCodec.EncodeEventFds(Action, Index, Start, EventFds ?? Array.Empty<int>()),
        VfioIrqSetFlags.DataBool => VfioIrqSetCodec.EncodeBool(Action, Index, Start, Bools ?? Array.Empty<bool>()),
        _ => VfioIrqSetCodec.EncodeNone(Action, Index, Start, Count),
    };
}

/// <summary>
/// VFIO_DEVICE_SET_IRQS for kernel and mock alike: rejects before any ioctl what the kernel would reject for sure,
/// sends every vector of the call in ONE ioctl, maps the answer to a clear error, and keeps the device's record of
/// what is enabled and bound (VFIO cannot read it back).
/// </summary>
public static class IrqSetter
{
    /// <summary>The checks of vfio_set_irqs_validate_and_prepare that can be made from GET_IRQ_INFO, each with its own id.</summary>
    public static void Validate(VfioDevice device, VfioIrqInfo info, IrqSetRequest request)
    {
        // Messages name the index only when there is a refusal to word.
        if (!info.Supported)
            throw new VfioException("VfioIrqIndexUnsupported", VfioErrorKind.InvalidArgument,
                $"{Where(request.Index, info.Name, device.Name)} is not supported by the device ({info.UnsupportedReason}); VFIO_DEVICE_SET_IRQS on it would fail with EINVAL.", device.Name);
        if (info.Count == 0)
            throw new VfioException("VfioIrqRangeInvalid", VfioErrorKind.InvalidArgument,
                $"{Where(request.Index, info.Name, device.Name)} has count 0 (the device does not implement it): every VFIO_DEVICE_SET_IRQS on it, even a disable, fails with EINVAL.", device.Name);
        if (request.Start >= info.Count || (ulong)request.Start + request.Count > info.Count)
            throw new VfioException("VfioIrqRangeInvalid", VfioErrorKind.InvalidArgument,
                $"{Where(request.Index, info.Name, device.Name)} has vectors 0..{info.Count - 1}; start {request.Start} with count {request.Count} is outside them.", device.Name);
        int payload = PayloadOf(request);
        if (payload != request.Count)
            throw new VfioException("VfioIrqPayloadMismatch", VfioErrorKind.InvalidArgument,
                $"{Where(request.Index, info.Name, device.Name)}: count {request.Count} needs {request.Count} payload entries, but {Math.Max(payload, 0)} were given.", device.Name);
        IrqVectorGrowth.Check(device, info, request);
    }

    private static int PayloadOf(IrqSetRequest request) => request.DataType switch
    {
        VfioIrqSetFlags.DataEventFd => request.EventFds?.Length ?? -1,
        VfioIrqSetFlags.DataBool => request.Bools?.Length ?? -1,
        _ => (int)request.Count,
    };

    private static string Where(uint index, string indexName, string device) => $"IRQ index {index} ({indexName}) of '{device}'";

    /// <summary>
    /// Sends the request in one ioctl and records the result in the device's IRQ record and eventfd bindings; throws
    /// <see cref="VfioException"/> on refusal. <paramref name="eventFds"/> are the objects behind a TRIGGER|EVENTFD
    /// request's numbers (null entries, or a null list, for numbers without one): they show the vector they serve.
    /// </summary>
    /// <remarks>
    /// The ioctl and the record update run under the device's operation lock (as vfio-pci holds its per-device
    /// igate mutex around SET_IRQS): calls from many threads or runspaces on one device are applied one at a time,
    /// and the record never shows a half-bound range, or an index enabled by a call the device refused.
    /// </remarks>
    public static void Apply(VfioDevice device, string indexName, IrqSetRequest request, IReadOnlyList<VfioEventFd?>? eventFds = null)
    {
        var buffer = request.Encode();
        device.RunExclusive(channel =>
        {
            ApplyLocked(device, channel, indexName, request, buffer, eventFds);
            return 0;
        });
    }

    private static void ApplyLocked(VfioDevice device, Channels.IVfioDeviceChannel channel, string indexName, IrqSetRequest request, byte[] buffer,
        IReadOnlyList<VfioEventFd?>? eventFds)
    {
        var result = channel.Ioctl(VfioIoctl.DeviceSetIrqs, buffer);
        if (result.ReturnValue == 0)
        {
            RecordSuccess(device, request, eventFds);
            return;
        }
        string where = Where(request.Index, indexName, device.Name);
        if (result.ReturnValue > 0)
        {
            // vfio_msi_enable: fewer vectors than asked; the kernel enabled nothing.
            throw new VfioException("VfioIrqVectorsUnavailable", VfioErrorKind.ResourceUnavailable,
                $"{where}: the device can allocate only {result.ReturnValue} vectors, {request.Start + request.Count} were needed (start {request.Start} + count {request.Count}); nothing was enabled.",
                device.Name);
        }
        if (result.IsError)
        {
            string after = RecordFailure(device, request);
            var error = result.Errno switch
            {
                Errno.ENOTTY => new VfioException("VfioIrqActionNotSupported", VfioErrorKind.NotImplemented,
                    $"{where}: this action is not supported on this index ({VfioIrqSetCodec.Describe(request.Flags)} answered {ErrnoText.Format(result.Errno)}).", device.Name, result.Errno),
                Errno.EBADF => new VfioException("VfioEventFdInvalid", VfioErrorKind.InvalidArgument,
                    $"{where}: an eventfd is not an open file descriptor ({string.Join(", ", request.EventFds ?? Array.Empty<int>())}): {ErrnoText.Format(result.Errno)}.", device.Name, result.Errno),
                Errno.EINVAL => new VfioException("VfioSetIrqsInvalid", VfioErrorKind.InvalidArgument,
                    $"{where}: the device refused {request.Describe()}: {ErrnoText.Format(result.Errno)}. Common causes: another of INTx/MSI/MSI-X is enabled (disable it first), the index is not enabled for a trigger or mask, or an fd is not an eventfd.",
                    device.Name, result.Errno),
                _ => VfioException.FromIoctl("VfioSetIrqsFailed", $"VFIO_DEVICE_SET_IRQS on {where}", result.Errno, device.Name),
            };
            throw after.Length == 0 ? error : new VfioException(error.ErrorId, error.Kind, error.Message + after, error.Target, error.Errno);
        }
        // A return below -1 is no ioctl answer; recorded as before, as a success.
        RecordSuccess(device, request, eventFds);
    }

    private static bool IsExclusive(uint index) => index <= (uint)VfioPciIrqIndex.MsiX;

    private static void RecordSuccess(VfioDevice device, IrqSetRequest r, IReadOnlyList<VfioEventFd?>? eventFds)
    {
        bool disabled = false;
        device.IrqRecord.Update(r.Index, rec =>
        {
            if (r.Action == VfioIrqSetFlags.ActionTrigger && r.DataType == VfioIrqSetFlags.DataNone && r.Count == 0)
            {
                rec.Enabled = false;
                rec.Masked = false;
                rec.ResampleFd = null;
                rec.Allocated = 0;
                rec.Vectors.Clear();
                disabled = true;
            }
            else if (r.Action == VfioIrqSetFlags.ActionTrigger && r.DataType == VfioIrqSetFlags.DataEventFd)
            {
                rec.Allocated = IrqVectorGrowth.AllocatedAfter(rec.Enabled ? rec.Allocated : null, r);
                for (uint i = 0; i < r.Count; i++)
                {
                    int fd = r.EventFds![i];
                    if (fd >= 0) rec.Vectors[r.Start + i] = fd;
                    else if (fd == -1 || r.Index != (uint)VfioPciIrqIndex.Err && r.Index != (uint)VfioPciIrqIndex.Req) rec.Vectors.Remove(r.Start + i);
                }
                rec.Enabled = IsExclusive(r.Index) || rec.Vectors.Count > 0;
            }
            else if (r.Action == VfioIrqSetFlags.ActionMask && (r.DataType == VfioIrqSetFlags.DataNone || r.Bools![0]))
            {
                rec.Masked = true;
            }
            else if (r.Action == VfioIrqSetFlags.ActionUnmask)
            {
                if (r.DataType == VfioIrqSetFlags.DataEventFd) rec.ResampleFd = r.EventFds![0] >= 0 ? r.EventFds[0] : null;
                else if (r.DataType == VfioIrqSetFlags.DataNone || r.Bools![0]) rec.Masked = false;
            }
        });
        if (disabled) device.EventFdBindings.UnbindIndex(device, r.Index);
        else if (IsBind(r)) device.EventFdBindings.Bind(device, r.Index, r.Start, BindTargets(r, eventFds));
    }

    private static bool IsBind(IrqSetRequest r) => r.Action == VfioIrqSetFlags.ActionTrigger && r.DataType == VfioIrqSetFlags.DataEventFd && r.EventFds is not null;

    /// <summary>The objects for the request's vectors: the caller's, or none (the vectors' previous objects still lose them).</summary>
    private static IReadOnlyList<VfioEventFd?> BindTargets(IrqSetRequest r, IReadOnlyList<VfioEventFd?>? eventFds)
    {
        var targets = new VfioEventFd?[r.Count];
        for (int i = 0; i < targets.Length; i++)
            targets[i] = eventFds is not null && i < eventFds.Count && r.EventFds![i] >= 0 ? eventFds[i] : null;
        return targets;
    }

    /// <summary>
    /// A refused bind. On a disabled INTx/MSI/MSI-X index the kernel disabled it again: nothing is bound. ERR and REQ
    /// keep the trigger they had (vfio_pci_set_ctx_trigger_single resolves the fd first). Elsewhere the kernel may have
    /// left the range half-bound: vfio_msi_set_block de-assigns the vectors up to the one that failed and leaves those
    /// after it (6.1's INTx drops its trigger first; 6.12's keeps it), and a call refused at entry changed nothing. So
    /// the module de-assigns the whole range in one more SET_IRQS, and device and record agree: those vectors are
    /// unbound. Returns what to add to the error's message ("" when nothing was sent).
    /// </summary>
    private static string RecordFailure(VfioDevice device, IrqSetRequest r)
    {
        if (!IsBind(r) || r.Count == 0 || r.Index == (uint)VfioPciIrqIndex.Err || r.Index == (uint)VfioPciIrqIndex.Req) return "";
        bool exclusive = IsExclusive(r.Index);
        if (exclusive && !device.IrqRecord.IsEnabled(r.Index)) return "";
        uint end = r.Start + r.Count;
        // MSI/MSI-X: only the vectors allocated at enable (6.1 refuses a range past them as a whole).
        if (r.Index != (uint)VfioPciIrqIndex.IntX && exclusive && device.IrqRecord.AllocatedVectors(r.Index) is uint allocated) end = Math.Min(end, allocated);
        string outcome = "";
        if (end > r.Start)
        {
            var deassign = new IrqSetRequest(r.Index, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, r.Start, end - r.Start,
                EventFds: Enumerable.Repeat(-1, (int)(end - r.Start)).ToArray());
            var result = device.OpenChannel.Ioctl(VfioIoctl.DeviceSetIrqs, deassign.Encode());
            outcome = result.ReturnValue == 0
                ? $" The module de-assigned {deassign.VectorText} (the kernel may have left them half-bound); the index stays enabled."
                : $" De-assigning {deassign.VectorText} afterwards failed too ({ErrnoText.Format(result.Errno)}): what is bound there is unknown; disable the index to start clean.";
        }
        device.IrqRecord.Update(r.Index, rec =>
        {
            for (uint i = 0; i < r.Count; i++) rec.Vectors.Remove(r.Start + i);
            if (!exclusive) rec.Enabled = rec.Vectors.Count > 0;
        });
        device.EventFdBindings.Bind(device, r.Index, r.Start, new VfioEventFd?[r.Count]);
        return outcome;
    }
}
