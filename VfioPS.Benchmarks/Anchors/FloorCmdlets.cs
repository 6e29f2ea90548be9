using System;
using System.Management.Automation;

namespace VfioPS.Benchmarks.Anchors;

/// <summary>
/// The floor: what PowerShell itself costs for a binary cmdlet that does no work. Not shipped; the cmdlet benchmarks
/// add it to their runspace and report VfioPS as a ratio to it, measured in the same process and run.
/// </summary>
public sealed class FloorIrqInfo
{
    public FloorIrqInfo(string device, uint index, string name, uint count, int flags, bool isDeviceSpecific, uint? type, uint? subtype, object[] capabilities, bool supported, string? unsupportedReason)
    {
        Device = device;
        Index = index;
        Name = name;
        Count = count;
        Flags = flags;
        IsDeviceSpecific = isDeviceSpecific;
        Type = type;
        Subtype = subtype;
        Capabilities = capabilities;
        Supported = supported;
        UnsupportedReason = unsupportedReason;
    }

    public string Device { get; }
    public uint Index { get; }
    public string Name { get; }
    public uint Count { get; }
    public int Flags { get; }
    public bool IsDeviceSpecific { get; }
    public uint? Type { get; }
    public uint? Subtype { get; }
    public object[] Capabilities { get; }
    public bool Supported { get; }
    public string? UnsupportedReason { get; }
}

/// <summary>
/// Get-FloorIrqInfo: for each -Device item (bound from the pipeline or by parameter, as Get-VfioIrqInfo's is) emits
/// -PerDevice new objects with the properties of VfioIrqInfo. No I/O, no lookups: PowerShell's cost per object.
/// </summary>
[Cmdlet(VerbsCommon.Get, "FloorIrqInfo")]
public sealed class GetFloorIrqInfoCommand : PSCmdlet
{
    private static readonly string[] s_names = { "INTx", "MSI", "MSI-X", "ERR", "REQ", "GFX/DISPLAY" };

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public object[] Device { get; set; } = Array.Empty<object>();

    [Parameter]
    public int PerDevice { get; set; } = 6;

    protected override void ProcessRecord()
    {
        foreach (var device in Device)
        {
            for (int i = 0; i < PerDevice; i++)
                WriteObject(new FloorIrqInfo("mock:floor/1", (uint)i, s_names[i % s_names.Length], 1, 3, i >= 5, null, null, Array.Empty<object>(), true, null));
        }
    }
}

/// <summary>Invoke-FloorCall: a cmdlet call that does nothing but bind two parameters and emit -Emit objects.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "FloorCall")]
public sealed class InvokeFloorCallCommand : PSCmdlet
{
    [Parameter(Position = 0)]
    public object? InputObject { get; set; }

    [Parameter(Position = 1)]
    public object? Index { get; set; }

    [Parameter]
    public int Emit { get; set; }

    protected override void ProcessRecord()
    {
        for (int i = 0; i < Emit; i++) WriteObject(new FloorIrqInfo("mock:floor/1", 0, "MSI-X", 1, 3, false, null, null, Array.Empty<object>(), true, null));
    }
}

/// <summary>
/// Set-FloorIrqShape: Set-VfioIrq's parameter surface (the same five parameter sets, mandatory and pipeline flags,
/// SupportsShouldProcess) with untyped parameters and a body that only calls ShouldProcess. The gap between it and
/// Invoke-FloorCall is what PowerShell's binder charges for that surface, which VfioPS cannot shrink without changing
/// the cmdlet's parameters.
/// </summary>
[Cmdlet(VerbsCommon.Set, "FloorIrqShape", DefaultParameterSetName = "EventFd", SupportsShouldProcess = true)]
public sealed class SetFloorIrqShapeCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public object[] Device { get; set; } = Array.Empty<object>();

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    public object? Index { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "EventFd")]
    [Parameter(ParameterSetName = "Unmask")]
    [ValidateNotNull]
    public object[]? EventFd { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Trigger")]
    public SwitchParameter Trigger { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Mask")]
    public SwitchParameter Mask { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Unmask")]
    public SwitchParameter Unmask { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Disable")]
    public SwitchParameter Disable { get; set; }

    [Parameter(ParameterSetName = "Trigger")]
    [Parameter(ParameterSetName = "Mask")]
    [Parameter(ParameterSetName = "Unmask")]
    [ValidateNotNullOrEmpty]
    public bool[]? Value { get; set; }

    [Parameter(ParameterSetName = "EventFd")]
    [Parameter(ParameterSetName = "Trigger")]
    [Parameter(ParameterSetName = "Mask")]
    [Parameter(ParameterSetName = "Unmask")]
    public uint Start { get; set; }

    [Parameter(ParameterSetName = "EventFd")]
    [Parameter(ParameterSetName = "Trigger")]
    [Parameter(ParameterSetName = "Mask")]
    [Parameter(ParameterSetName = "Unmask")]
    public uint? Count { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess("mock:floor/1 IRQ index 2 (MSI-X)", "VFIO_DEVICE_SET_IRQS (vector 4)")) return;
    }
}

/// <summary>Wait-FloorEventFdShape: Wait-VfioEventFd's parameter surface; emits one object in EndProcessing.</summary>
[Cmdlet(VerbsLifecycle.Wait, "FloorEventFdShape")]
public sealed class WaitFloorEventFdShapeCommand : PSCmdlet, IDisposable
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public object[] EventFd { get; set; } = Array.Empty<object>();

    [Parameter(Position = 1)]
    [ValidateRange(-1.0, 2147483.0)]
    public double Timeout { get; set; } = -1;

    [Parameter]
    public SwitchParameter Stream { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxEvents { get; set; } = int.MaxValue;

    protected override void EndProcessing() => WriteObject(new FloorIrqInfo("mock:floor/1", 2, "MSI-X", 1, 3, false, null, null, Array.Empty<object>(), true, null));

    public void Dispose() { }
}
