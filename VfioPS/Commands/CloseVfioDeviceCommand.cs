using System;
using System.Management.Automation;

namespace VfioPS.Commands;

/// <summary>Close-VfioDevice: closes devices (kernel or mock). A real vfio-pci device disables its IRQs and resets on close.</summary>
[Cmdlet(VerbsCommon.Close, "VfioDevice", SupportsShouldProcess = true)]
public sealed class CloseVfioDeviceCommand : VfioCmdletBase
{
    /// <summary>The devices to close (objects or names of open devices).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [VfioDeviceArgumentTransformation]
    public VfioDeviceArgument[] Device { get; set; } = Array.Empty<VfioDeviceArgument>();

    protected override void ProcessRecord()
    {
        foreach (var argument in Device)
        {
            var device = ResolveDevice(argument);
            if (device is null) continue;
            if (ShouldProcess(device.Name, "Close the device (its IRQs are disabled; a vfio-pci function is reset)"))
                device.Dispose();
        }
    }
}
