using System;
using System.Management.Automation;
using VfioPS.Kernel;

namespace VfioPS.Commands;

/// <summary>
/// Open-VfioDevice: opens a vfio-pci device (or a mediated device, by UUID) through its VFIO group and returns the device
/// object (the type the mock returns). It stays open until Close-VfioDevice or Dispose(); closing it disables its IRQs and resets the function.
/// </summary>
[Cmdlet(VerbsCommon.Open, "VfioDevice")]
[OutputType(typeof(VfioDevice))]
public sealed class OpenVfioDeviceCommand : VfioHostCmdletBase
{
    /// <summary>PCI addresses (DDDD:BB:DD.F) or mdev UUIDs, or devices from Get-VfioDevice or Get-VfioMdev.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Uuid")]
    [ValidateNotNullOrEmpty]
    public string[] Address { get; set; } = Array.Empty<string>();

    /// <summary>The VF token (a UUID) for an SR-IOV VF whose PF is bound to vfio-pci.</summary>
    [Parameter]
    public Guid? VfToken { get; set; }

    /// <summary>Auto (the default: the device cdev when the kernel has one and /dev/iommu exists, else the group), Group or Cdev.</summary>
    [Parameter]
    public VfioOpenPath Path { get; set; } = VfioOpenPath.Auto;

    protected override void ProcessRecord()
    {
        var paths = HostPaths;
        foreach (string address in Address)
        {
            try
            {
                var device = KernelDevices.Open(address, VfToken, paths, Path);
                RunspaceResources.Track(this, device);
                WriteVerbose($"Opened {device.Name}: {device.NumIrqs} IRQ indexes, {device.NumRegions} regions, flags {device.Flags}.");
                WriteObject(device);
            }
            catch (VfioException e)
            {
                WriteVfioError(e);
            }
        }
    }
}
