using System;
using System.Collections.Generic;
using System.Linq;
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
    public VfioDeviceArgument[] Device { get; set; } = Array.Empty<VfioDeviceArgument>();

    /// <summary>The indexes to read (numbers or INTx, MSI, MSI-X, ERR, REQ); all of them when omitted.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(IrqIndexCompleter))]
    [ValidateNotNullOrEmpty]
    public VfioIrqIndexArgument[]? Index { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var argument in Device)
        {
            var device = ResolveDevice(argument);
            if (device is null) continue;
            try
            {
                foreach (uint index in SelectIndexes(device))
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
                    if (!result.Info.Supported)
                        WriteVerbose($"{device.Name}: IRQ index {index} ({result.Info.Name}) is not supported: {result.Info.UnsupportedReason}.");
                    WriteObject(result.Info);
                    if (result.Fault is not null) WriteChainFault(device.Name, index, result.Fault);
                }
            }
            catch (VfioException e)
            {
                WriteVfioError(e);
            }
        }
    }

    private IEnumerable<uint> SelectIndexes(VfioDevice device)
    {
        if (Index is null) return Enumerable.Range(0, checked((int)device.NumIrqs)).Select(i => (uint)i);
        var selected = new SortedSet<uint>();
        foreach (var argument in Index)
        {
            if (ResolveIndex(argument, device) is uint index) selected.Add(index);
        }
        return selected;
    }
}
