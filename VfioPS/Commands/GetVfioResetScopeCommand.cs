using System;
using System.Management.Automation;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>
/// Get-VfioResetScope: how open devices can be reset (sysfs reset_method, VFIO_DEVICE_FLAGS_RESET) and what a slot or
/// bus reset would also reset (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO), with whether this process owns all of it.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VfioResetScope")]
[OutputType(typeof(VfioResetScope))]
public sealed class GetVfioResetScopeCommand : VfioHostCmdletBase
{
    /// <summary>The open devices (objects or names).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Address")]
    [ArgumentCompleter(typeof(VfioDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    [VfioDeviceArgumentTransformation]
    public VfioDeviceArgument[] Device { get; set; } = Array.Empty<VfioDeviceArgument>();

    protected override void ProcessRecord()
    {
        foreach (var argument in Device)
        {
            var device = ResolveDevice(argument);
            if (device is null) continue;
            try
            {
                var scope = ResetScopeReader.Read(device, HostPaths);
                if (VerboseShown)
                    WriteVerbose(scope.HotReset
                        ? $"{device.Name}: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO lists {scope.Devices.Length} device(s); flags {scope.Flags}."
                        : $"{device.Name}: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO answered ENODEV: {ResetScopeReader.NoHotResetNote}.");
                WriteObject(scope);
            }
            catch (VfioException e)
            {
                WriteVfioError(e);
            }
        }
    }
}
