using System;
using System.Management.Automation;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>
/// What every VfioPS cmdlet shares: turning the core's <see cref="VfioException"/> into ErrorRecords with the
/// same id, the ErrorCategory of the same name and the device as target, and resolving device and index arguments.
/// </summary>
public abstract class VfioCmdletBase : PSCmdlet
{
    internal static ErrorCategory CategoryOf(VfioErrorKind kind) => kind switch
    {
        VfioErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        VfioErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        VfioErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        VfioErrorKind.ResourceBusy => ErrorCategory.ResourceBusy,
        VfioErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        VfioErrorKind.NotImplemented => ErrorCategory.NotImplemented,
        VfioErrorKind.InvalidData => ErrorCategory.InvalidData,
        VfioErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        VfioErrorKind.LimitsExceeded => ErrorCategory.LimitsExceeded,
        VfioErrorKind.ProtocolError => ErrorCategory.ProtocolError,
        VfioErrorKind.DeviceError => ErrorCategory.DeviceError,
        _ => ErrorCategory.NotSpecified,
    };

    internal static ErrorRecord ToErrorRecord(VfioException e) => new(e, e.ErrorId, CategoryOf(e.Kind), e.Target);

    /// <summary>A non-terminating error for one pipeline item.</summary>
    protected void WriteVfioError(VfioException e) => WriteError(ToErrorRecord(e));

    /// <summary>A malformed capability chain: one non-terminating error naming device, index and offset.</summary>
    protected void WriteChainFault(string device, uint index, ChainFault fault)
    {
        var e = new VfioException("VfioCapabilityChainMalformed", VfioErrorKind.InvalidData,
            $"The capability chain of IRQ index {index} of '{device}' is malformed at offset {fault.Offset} ({fault.Kind}): {fault.Message}. Capabilities before it were read.",
            device);
        WriteError(ToErrorRecord(e));
    }

    /// <summary>The open device an argument names, or null after writing why there is none.</summary>
    protected VfioDevice? ResolveDevice(VfioDeviceArgument argument)
    {
        try
        {
            return argument.Resolve();
        }
        catch (VfioException e)
        {
            WriteVfioError(e);
            return null;
        }
    }

    /// <summary>The index an argument names, or null after writing why it names none.</summary>
    protected uint? ResolveIndex(VfioIrqIndexArgument argument, VfioDevice device)
    {
        try
        {
            return argument.Resolve(device.Name);
        }
        catch (VfioException e)
        {
            WriteVfioError(e);
            return null;
        }
    }
}
