using System;
using System.Management.Automation;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>Get-VfioIrqInfo: one VfioIrqInfo per IRQ index of each device, in index order.</summary>
[Cmdlet(VerbsCommon.Get, "VfioIrqInfo")]
[OutputType(typeof(VfioIrqInfo))]
public sealed class GetVfioIrqInfoCommand : VfioCmdletBase
{
    /// <summary>The device: an object from New-VfioMockDevice, or the name of an open device.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Address")]
    [ArgumentCompleter(typeof(VfioDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    [VfioDeviceArgumentTransformation]
    public VfioDeviceArgument[] Device { get; set; } = Array.Empty<VfioDeviceArgument>();

    /// <summary>The indexes to read (numbers or INTx, MSI, MSI-X, ERR, REQ); all of them when omitted.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(IrqIndexCompleter))]
    [ValidateNotNullOrEmpty]
    [VfioIrqIndexArgumentTransformation(Many = true)]
    public VfioIrqIndexArgument[]? Index { get; set; }

    protected override void ProcessRecord() => ReadIrqs(Device, Index, result => WriteObject(result.Info));
}
