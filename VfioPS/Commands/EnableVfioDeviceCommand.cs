using System.Collections.Generic;
using System.Management.Automation;
using VfioPS.Kernel;

namespace VfioPS.Commands;

/// <summary>Enable-VfioDevice: hands PCI devices to vfio-pci (driver_override, unbind, drivers_probe, check).</summary>
[Cmdlet(VerbsLifecycle.Enable, "VfioDevice", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(VfioPciDevice))]
public sealed class EnableVfioDeviceCommand : VfioPciBindingCmdletBase
{
    /// <summary>Also hand the devices to vfio-pci at every boot (a VfioPS udev rule and modules-load.d file).</summary>
    [Parameter]
    public SwitchParameter Persistent { get; set; }

    private protected override bool PersistentSwitch => Persistent;

    private protected override IReadOnlyList<string> Move(VfioPciBinder binder, IReadOnlyList<string> addresses) => binder.Enable(addresses);
}
