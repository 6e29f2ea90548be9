using System;
using System.Management.Automation;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>
/// Reset-VfioDevice: VFIO_DEVICE_RESET (a function reset) on open devices. A device without VFIO_DEVICE_FLAGS_RESET
/// gets a VfioDeviceResetNotSupported error naming its reset methods. The IRQ triggers stay bound, as in the kernel.
/// </summary>
[Cmdlet(VerbsCommon.Reset, "VfioDevice", SupportsShouldProcess = true)]
[OutputType(typeof(VfioDevice))]
public sealed class ResetVfioDeviceCommand : VfioHostCmdletBase
{
    /// <summary>The open devices to reset (objects or names).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Address")]
    [ArgumentCompleter(typeof(VfioDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    [VfioDeviceArgumentTransformation]
    public VfioDeviceArgument[] Device { get; set; } = Array.Empty<VfioDeviceArgument>();

    /// <summary>Emit each device after its reset.</summary>
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
                // Refused before ShouldProcess: -WhatIf says what would fail, not what would be done.
                if ((device.Flags & Abi.VfioDeviceFlags.Reset) == 0)
                    throw DeviceResetter.NotSupported(device, DeviceResetter.ResetMethods(device, HostPaths));
                if (!ShouldProcess(device.Name, "Reset the device (VFIO_DEVICE_RESET; its IRQ triggers stay bound)")) continue;
                DeviceResetter.Reset(device, HostPaths);
                if (VerboseShown) WriteVerbose($"{device.Name}: VFIO_DEVICE_RESET returned 0.");
                if (PassThru) WriteObject(device);
            }
            catch (VfioException e)
            {
                WriteVfioError(e);
            }
        }
    }
}
