using System;
using System.Management.Automation;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>Get-VfioIrqCapability: the capability chain of IRQ indexes, one object per capability in chain order.</summary>
[Cmdlet(VerbsCommon.Get, "VfioIrqCapability")]
[OutputType(typeof(VfioIrqCapability))]
public sealed class GetVfioIrqCapabilityCommand : VfioCmdletBase
{
    /// <summary>The device: an object from New-VfioMockDevice, the name of an open device, or a VfioIrqInfo's Device.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Address")]
    [ArgumentCompleter(typeof(VfioDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    [VfioDeviceArgumentTransformation]
    public VfioDeviceArgument[] Device { get; set; } = Array.Empty<VfioDeviceArgument>();

    /// <summary>The indexes whose chains to read; every index when omitted. Binds from a VfioIrqInfo's Index.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(IrqIndexCompleter))]
    [ValidateNotNullOrEmpty]
    [VfioIrqIndexArgumentTransformation(Many = true)]
    public VfioIrqIndexArgument[]? Index { get; set; }

    protected override void ProcessRecord() => ReadIrqs(Device, Index, result =>
    {
        if (result.Info.Supported && result.Info.Capabilities.Length == 0 && result.Fault is null && VerboseShown)
            WriteVerbose($"{result.Info.Device}: IRQ index {result.Info.Index} ({result.Info.Name}) has no capabilities.");
        // One WriteObject each: the same objects as enumerating the array, without PowerShell's enumerator around it.
        foreach (var capability in result.Info.Capabilities) WriteObject(capability);
    });
}
