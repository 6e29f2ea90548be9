using System.Collections.Generic;
using System.Management.Automation;
using VfioPS.Kernel;

namespace VfioPS.Commands;

/// <summary>Disable-VfioDevice: gives PCI devices back from vfio-pci to their host drivers, and removes their boot-time rule.</summary>
[Cmdlet(VerbsLifecycle.Disable, "VfioDevice", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(VfioPciDevice))]
public sealed class DisableVfioDeviceCommand : VfioPciBindingCmdletBase
{
    private protected override IReadOnlyList<string> Move(VfioPciBinder binder, IReadOnlyList<string> addresses) => binder.Disable(addresses);
}
