using System;
using System.Collections.Generic;
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
        VfioErrorKind.NotInstalled => ErrorCategory.NotInstalled,
        VfioErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        _ => ErrorCategory.NotSpecified,
    };

    private bool? _verboseShown;

    /// <summary>
    /// Whether WriteVerbose shows anything in this call: -Verbose (or -Debug) given, else $VerbosePreference, as the
    /// engine decides it. Messages are formatted only when it is true; formatting them for nothing cost Get-VfioIrqCapability
    /// a string per index. Asked once per command, when the first message is due; true when the preference cannot be read.
    /// </summary>
    protected bool VerboseShown => _verboseShown ??= ReadVerbosePreference();

    private bool ReadVerbosePreference()
    {
        var bound = MyInvocation.BoundParameters;
        if (bound.TryGetValue("Verbose", out object? verbose)) return LanguagePrimitives.IsTrue(verbose);
        if (bound.TryGetValue("Debug", out object? debug) && LanguagePrimitives.IsTrue(debug)) return true;
        object? preference = GetVariableValue("VerbosePreference");
        if (preference is PSObject wrapped) preference = wrapped.BaseObject;
        if (preference is ActionPreference action) return action is not (ActionPreference.SilentlyContinue or ActionPreference.Ignore);
        if (preference is string text && Enum.TryParse(text, ignoreCase: true, out ActionPreference parsed))
            return parsed is not (ActionPreference.SilentlyContinue or ActionPreference.Ignore);
        return true;
    }

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
    protected VfioDevice? ResolveDevice(VfioDeviceArgument argument) => ResolveDevice(argument, openAddress: false, out _);

    /// <summary>As above; with <paramref name="openAddress"/> a PCI address is opened for this call (the caller closes it).</summary>
    protected VfioDevice? ResolveDevice(VfioDeviceArgument argument, bool openAddress, out bool temporary)
    {
        temporary = false;
        try
        {
            return argument.Resolve(openAddress, out temporary);
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

    /// <summary>
    /// The read loop both Get- cmdlets share: each device, each selected index in index order (all when
    /// <paramref name="indexes"/> is null), one GET_IRQ_INFO read each. A refused index is reported with -Verbose
    /// and still handed to <paramref name="emit"/>; a per-index failure is a non-terminating error and the loop
    /// goes on; a chain fault is written after what <paramref name="emit"/> wrote for that index.
    /// </summary>
    protected void ReadIrqs(IEnumerable<VfioDeviceArgument> devices, VfioIrqIndexArgument[]? indexes, Action<IrqInfoResult> emit)
    {
        foreach (var argument in devices)
        {
            // Reads may open a PCI address for the call; closing it again resets a vfio-pci function (the help says so).
            var device = ResolveDevice(argument, openAddress: true, out bool temporary);
            if (device is null) continue;
            try
            {
                foreach (uint index in SelectIndexes(device, indexes))
                {
                    IrqInfoResult result;
                    try
                    {
                        result = IrqInfoReader.Read(device, index);
                    }
                    catch (VfioException e) when (e.ErrorId != "VfioDeviceClosed")
                    {
                        WriteVfioError(e);
                        continue;
                    }
                    if (!result.Info.Supported && VerboseShown)
                        WriteVerbose($"{device.Name}: IRQ index {index} ({result.Info.Name}) is not supported: {result.Info.UnsupportedReason}.");
                    emit(result);
                    if (result.Fault is not null) WriteChainFault(device.Name, index, result.Fault);
                }
            }
            catch (VfioException e)
            {
                // The device was closed under us: one error for it, then the next device.
                WriteVfioError(e);
            }
            finally
            {
                if (temporary) device.Dispose();
            }
        }
    }

    private IEnumerable<uint> SelectIndexes(VfioDevice device, VfioIrqIndexArgument[]? indexes)
    {
        if (indexes is null) return IrqInfoReader.AllIndexes(device);
        // Usually one index: no set for it. Several are read once each, in index order.
        if (indexes.Length == 1) return ResolveIndex(indexes[0], device) is uint only ? new[] { only } : Array.Empty<uint>();
        var selected = new SortedSet<uint>();
        foreach (var argument in indexes)
        {
            if (ResolveIndex(argument, device) is uint index) selected.Add(index);
        }
        return selected;
    }
}
