using System;
using System.Collections.Generic;
using System.Linq;
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
    public VfioDeviceArgument[] Device { get; set; } = Array.Empty<VfioDeviceArgument>();

    /// <summary>The indexes whose chains to read; every index when omitted. Binds from a VfioIrqInfo's Index.</summary>
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
                IEnumerable<uint> indexes = Index is null
                    ? Enumerable.Range(0, checked((int)device.NumIrqs)).Select(i => (uint)i)
                    : Index.Select(a => ResolveIndex(a, device)).Where(i => i.HasValue).Select(i => i!.Value).Distinct().OrderBy(i => i);
                foreach (uint index in indexes)
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
                    else if (result.Info.Capabilities.Length == 0 && result.Fault is null)
                        WriteVerbose($"{device.Name}: IRQ index {index} ({result.Info.Name}) has no capabilities.");
                    WriteObject(result.Info.Capabilities, enumerateCollection: true);
                    if (result.Fault is not null) WriteChainFault(device.Name, index, result.Fault);
                }
            }
            catch (VfioException e)
            {
                WriteVfioError(e);
            }
        }
    }
}
