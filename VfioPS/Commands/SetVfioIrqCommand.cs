using System;
using System.Linq;
using System.Management.Automation;
using VfioPS.Abi;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>
/// Set-VfioIrq: one VFIO_DEVICE_SET_IRQS per device and index, covering the kernel's action x data matrix with
/// parameter sets a person can read. Needs an open device: closing a real device's fd disables every IRQ and
/// resets the function, so a call that opened and closed it would undo itself.
/// </summary>
[Cmdlet(VerbsCommon.Set, "VfioIrq", DefaultParameterSetName = EventFdSet, SupportsShouldProcess = true)]
[OutputType(typeof(VfioIrqState))]
public sealed class SetVfioIrqCommand : VfioCmdletBase
{
    private const string EventFdSet = "EventFd";
    private const string TriggerSet = "Trigger";
    private const string MaskSet = "Mask";
    private const string UnmaskSet = "Unmask";
    private const string DisableSet = "Disable";

    /// <summary>The open device (object or name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(VfioDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    [VfioDeviceArgumentTransformation]
    public VfioDeviceArgument[] Device { get; set; } = Array.Empty<VfioDeviceArgument>();

    /// <summary>The IRQ index: a number, or INTx, MSI, MSI-X (MSIX), ERR, REQ.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(IrqIndexCompleter))]
    [VfioIrqIndexArgumentTransformation]
    public VfioIrqIndexArgument Index { get; set; } = new(0);

    /// <summary>Eventfds to bind, one per vector from -Start (ACTION_TRIGGER|DATA_EVENTFD); -1 de-assigns. With -Unmask: the INTx resample eventfd.</summary>
    [Parameter(Mandatory = true, ParameterSetName = EventFdSet)]
    [Parameter(ParameterSetName = UnmaskSet)]
    [ValidateNotNull]
    public VfioEventFdArgument[]? EventFd { get; set; }

    /// <summary>Loopback: signal the vectors' eventfds from the kernel side (ACTION_TRIGGER with DATA_NONE, or DATA_BOOL with -Value).</summary>
    [Parameter(Mandatory = true, ParameterSetName = TriggerSet)]
    public SwitchParameter Trigger { get; set; }

    /// <summary>Mask INTx (ACTION_MASK).</summary>
    [Parameter(Mandatory = true, ParameterSetName = MaskSet)]
    public SwitchParameter Mask { get; set; }

    /// <summary>Unmask INTx (ACTION_UNMASK); with -EventFd, register the resample eventfd instead.</summary>
    [Parameter(Mandatory = true, ParameterSetName = UnmaskSet)]
    public SwitchParameter Unmask { get; set; }

    /// <summary>Disable the index (ACTION_TRIGGER|DATA_NONE with count 0). An index that is not enabled is left alone.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DisableSet)]
    public SwitchParameter Disable { get; set; }

    /// <summary>Per-vector values for -Trigger, -Mask or -Unmask (DATA_BOOL): $true acts, $false skips.</summary>
    [Parameter(ParameterSetName = TriggerSet)]
    [Parameter(ParameterSetName = MaskSet)]
    [Parameter(ParameterSetName = UnmaskSet)]
    [ValidateNotNullOrEmpty]
    public bool[]? Value { get; set; }

    /// <summary>The first vector (default 0).</summary>
    [Parameter(ParameterSetName = EventFdSet)]
    [Parameter(ParameterSetName = TriggerSet)]
    [Parameter(ParameterSetName = MaskSet)]
    [Parameter(ParameterSetName = UnmaskSet)]
    public uint Start { get; set; }

    /// <summary>How many vectors: defaults to the -EventFd or -Value count, to the rest of the index for -Trigger, to 1 for -Mask/-Unmask.</summary>
    [Parameter(ParameterSetName = EventFdSet)]
    [Parameter(ParameterSetName = TriggerSet)]
    [Parameter(ParameterSetName = MaskSet)]
    [Parameter(ParameterSetName = UnmaskSet)]
    public uint? Count { get; set; }

    /// <summary>Emit the index's state after the call (the module's record: VFIO cannot read IRQ state back).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var argument in Device)
        {
            var device = ResolveDevice(argument);
            if (device is null) continue;
            try
            {
                if (ResolveIndex(Index, device) is not uint index) continue;
                var info = IrqInfoReader.Read(device, index).Info;
                var request = BuildRequest(info);
                string target = $"{device.Name} IRQ index {index} ({info.Name})";

                if (Disable && !device.IrqRecord.IsEnabled(index))
                {
                    if (VerboseShown) WriteVerbose($"{target} is not enabled (per this session's record); nothing was sent.");
                    if (PassThru) WriteObject(device.IrqRecord.Snapshot(device.Name, index, info.Name));
                    continue;
                }
                IrqSetter.Validate(device, info, request);
                if (!ShouldProcess(target, $"{request.Describe()} ({request.VectorText}{IrqVectorGrowth.Describe(device, request)})")) continue;

                IrqSetter.Apply(device, info.Name, request, request.Action == VfioIrqSetFlags.ActionTrigger ? BindTargets(request) : null);
                if (VerboseShown) WriteVerbose($"{target}: {request.Describe()} accepted.");
                if (PassThru) WriteObject(device.IrqRecord.Snapshot(device.Name, index, info.Name));
            }
            catch (VfioException e)
            {
                WriteVfioError(e);
            }
        }
    }

    private IrqSetRequest BuildRequest(VfioIrqInfo info)
    {
        uint index = info.Index;
        // A closed eventfd object's number may already belong to another file: never send it.
        if (EventFd is not null)
        {
            foreach (var closed in EventFd)
            {
                if (closed.EventFd is { IsClosed: true })
                    throw new VfioException("VfioEventFdClosed", VfioErrorKind.InvalidOperation,
                        $"eventfd {closed.Fd} has been closed; create a new one with New-VfioEventFd.", info.Device);
            }
        }
        switch (ParameterSetName)
        {
            case EventFdSet:
            {
                var fds = EventFd!.Select(e => e.Fd).ToArray();
                return new IrqSetRequest(index, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, Start, Count ?? (uint)fds.Length, EventFds: fds);
            }
            case DisableSet:
                return new IrqSetRequest(index, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 0, 0);
            case UnmaskSet when EventFd is not null:
                if (Value is not null)
                    throw new VfioException("VfioIrqPayloadMismatch", VfioErrorKind.InvalidArgument, "-Unmask takes -EventFd (the resample eventfd) or -Value, not both.", info.Device);
                return new IrqSetRequest(index, VfioIrqSetFlags.ActionUnmask, VfioIrqSetFlags.DataEventFd, Start, Count ?? (uint)EventFd.Length,
                    EventFds: EventFd.Select(e => e.Fd).ToArray());
            default:
            {
                var action = ParameterSetName switch
                {
                    TriggerSet => VfioIrqSetFlags.ActionTrigger,
                    MaskSet => VfioIrqSetFlags.ActionMask,
                    _ => VfioIrqSetFlags.ActionUnmask,
                };
                if (Value is not null)
                    return new IrqSetRequest(index, action, VfioIrqSetFlags.DataBool, Start, Count ?? (uint)Value.Length, Bools: Value);
                uint count = Count ?? (action == VfioIrqSetFlags.ActionTrigger ? (info.Count > Start ? info.Count - Start : 0) : 1u);
                return new IrqSetRequest(index, action, VfioIrqSetFlags.DataNone, Start, count);
            }
        }
    }

    /// <summary>
    /// The eventfd objects behind a bind's numbers, so Wait-VfioEventFd can say which vector fired: an fd given as a
    /// number finds its object among the runspace's eventfds by number. Null when the request binds nothing.
    /// </summary>
    private VfioEventFd?[]? BindTargets(IrqSetRequest request)
    {
        if (request.DataType != VfioIrqSetFlags.DataEventFd || EventFd is null) return null;
        var targets = new VfioEventFd?[EventFd.Length];
        for (int i = 0; i < targets.Length; i++)
        {
            var argument = EventFd[i];
            if (argument.Fd < 0) continue;
            targets[i] = argument.EventFd ?? RunspaceResources.FindEventFd(argument.Fd);
        }
        return targets;
    }
}
