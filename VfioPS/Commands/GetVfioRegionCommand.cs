using System;
using System.Collections.Generic;
using System.Management.Automation;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>Get-VfioRegion: one VfioRegionInfo per region of each device, in index order, with its capability chain decoded.</summary>
[Cmdlet(VerbsCommon.Get, "VfioRegion")]
[OutputType(typeof(VfioRegionInfo))]
public sealed class GetVfioRegionCommand : VfioCmdletBase
{
    /// <summary>The device: an open device object, the name of one, or a PCI address opened for the call.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Address")]
    [ArgumentCompleter(typeof(VfioDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    [VfioDeviceArgumentTransformation]
    public VfioDeviceArgument[] Device { get; set; } = Array.Empty<VfioDeviceArgument>();

    /// <summary>The regions to read (numbers or BAR0..BAR5, ROM, CONFIG, VGA); all of them when omitted.</summary>
    [Parameter(Position = 1)]
    [ArgumentCompleter(typeof(RegionIndexCompleter))]
    [ValidateNotNullOrEmpty]
    [VfioRegionIndexArgumentTransformation]
    public VfioRegionIndexArgument[]? Index { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var argument in Device)
        {
            // A PCI address is opened for the call and closed after it (which resets a vfio-pci function; the help says so).
            var device = ResolveDevice(argument, openAddress: true, out bool temporary);
            if (device is null) continue;
            try
            {
                foreach (uint index in SelectIndexes(device))
                {
                    RegionInfoResult result;
                    try
                    {
                        result = RegionInfoReader.Read(device, index);
                    }
                    catch (VfioException e) when (e.ErrorId != "VfioDeviceClosed")
                    {
                        WriteVfioError(e);
                        continue;
                    }
                    if (!result.Info.Supported && VerboseShown)
                        WriteVerbose($"{device.Name}: region {index} ({result.Info.Name}) is not supported: {result.Info.UnsupportedReason}.");
                    WriteObject(result.Info);
                    if (result.Fault is { } fault)
                        WriteVfioError(new VfioException("VfioCapabilityChainMalformed", VfioErrorKind.InvalidData,
                            $"The capability chain of region {index} of '{device.Name}' is malformed at offset {fault.Offset} ({fault.Kind}): {fault.Message}. Capabilities before it were read.",
                            device.Name));
                }
            }
            catch (VfioException e)
            {
                WriteVfioError(e);
            }
            finally
            {
                if (temporary) device.Dispose();
            }
        }
    }

    private IEnumerable<uint> SelectIndexes(VfioDevice device)
    {
        if (Index is null) return RegionInfoReader.AllIndexes(device);
        var selected = new SortedSet<uint>();
        foreach (var argument in Index)
        {
            try
            {
                selected.Add(argument.Resolve(device.Name));
            }
            catch (VfioException e)
            {
                WriteVfioError(e);
            }
        }
        return selected;
    }
}
