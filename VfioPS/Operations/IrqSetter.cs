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

    /// <summary>Sends the request in one ioctl and records the result; throws <see cref="VfioException"/> on refusal.</summary>
    public static void Apply(VfioDevice device, string indexName, IrqSetRequest request)
    {
        var buffer = request.Encode();
        var result = device.OpenChannel.Ioctl(VfioIoctl.DeviceSetIrqs, buffer);
        if (result.ReturnValue == 0)
        {
            RecordSuccess(device, request);
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
            RecordFailure(device, request);
            throw result.Errno switch
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
        }
        // A return below -1 is no ioctl answer; recorded as before, as a success.
        RecordSuccess(device, request);
    }

    private static bool IsExclusive(uint index) => index <= (uint)VfioPciIrqIndex.MsiX;

    private static void RecordSuccess(VfioDevice device, IrqSetRequest r)
    {
        device.IrqRecord.Update(r.Index, rec =>
        {
            if (r.Action == VfioIrqSetFlags.ActionTrigger && r.DataType == VfioIrqSetFlags.DataNone && r.Count == 0)
            {
                rec.Enabled = false;
                rec.Masked = false;
                rec.ResampleFd = null;
                rec.Allocated = 0;
                rec.Vectors.Clear();
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
    }

    /// <summary>A refused bind on an enabled index: the kernel de-assigned the vectors it had set in this call.</summary>
    private static void RecordFailure(VfioDevice device, IrqSetRequest r)
    {
        if (r.Action != VfioIrqSetFlags.ActionTrigger || r.DataType != VfioIrqSetFlags.DataEventFd) return;
        device.IrqRecord.Update(r.Index, rec =>
        {
            for (uint i = 0; i < r.Count; i++) rec.Vectors.Remove(r.Start + i);
        });
    }
}
