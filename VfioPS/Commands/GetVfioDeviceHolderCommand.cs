using System.Linq;
using System.Management.Automation;
using VfioPS.Kernel;

namespace VfioPS.Commands;

/// <summary>Get-VfioDeviceHolder: the processes that hold devices' VFIO group nodes or cdevs open, from /proc.</summary>
[Cmdlet(VerbsCommon.Get, "VfioDeviceHolder")]
[OutputType(typeof(VfioDeviceHolder))]
public sealed class GetVfioDeviceHolderCommand : VfioDeviceObserverCmdletBase
{
    protected override void EndProcessing()
    {
        if (Devices.Count == 0) return;
        var holders = VfioDeviceHolders.Find(HostPaths, Devices);
        if (VerboseShown)
        {
            foreach (var device in Devices.Where(d => !holders.Any(h => h.Address == d.Address)))
                WriteVerbose(device.GroupPath is null && device.CdevPath is null
                    ? $"{device.Address} has no VFIO node (no IOMMU group): no process can hold it through VFIO."
                    : $"No process holds {device.Address} ({string.Join(", ", new[] { device.GroupPath, device.CdevPath }.Where(n => n is not null))}).");
        }
        WriteObject(holders, enumerateCollection: true);
    }
}
