using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using VfioPS.Kernel;

namespace VfioPS.Commands;

/// <summary>
/// What the cmdlets that watch a device from the host's side share: -Address with Get-VfioDevice's pattern rules (all
/// devices on a VFIO driver when omitted), devices collected from the pipeline and read once in EndProcessing, and
/// the hidden -ProcRoot. They open nothing, so they never disturb the process that holds the device.
/// </summary>
public abstract class VfioDeviceObserverCmdletBase : VfioHostCmdletBase
{
    private readonly List<VfioPciDevice> _devices = new();
    private IReadOnlyList<VfioPciDevice>? _enumerated;

    /// <summary>PCI addresses (DDDD:BB:DD.F; wildcards allowed), or devices from Get-VfioDevice; every device on vfio-pci when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PciAddressCompleter))]
    public string[]? Address { get; set; }

    /// <summary>Test hook: the /proc root (default /proc, or $env:VFIOPS_PROC_ROOT).</summary>
    [Parameter(DontShow = true)]
    public string? ProcRoot { get; set; }

    protected override string? ProcRootParameter => ProcRoot;

    /// <summary>The devices named so far, each once, in the order first named.</summary>
    protected IReadOnlyList<VfioPciDevice> Devices => _devices;

    protected override void ProcessRecord()
    {
        var paths = HostPaths;
        if (Address is null)
        {
            foreach (var device in Enumerated(paths).Where(d => PciDeviceEnumerator.IsVfioDriver(d.Driver))) Add(device);
            return;
        }
        foreach (string address in Address)
        {
            bool wildcard = WildcardPattern.ContainsWildcardCharacters(address);
            if (!wildcard)
            {
                if (!PciAddress.TryNormalize(address, out string bdf))
                    WriteVfioError(new VfioException("VfioPciAddressInvalid", VfioErrorKind.InvalidArgument,
                        $"'{address}' is not a PCI address; write it as DDDD:BB:DD.F, for example 0000:00:10.0.", address));
                else if (PciDeviceEnumerator.Find(paths, bdf) is { } device) Add(device);
                else WriteVfioError(new VfioException("VfioDeviceNotFound", VfioErrorKind.ObjectNotFound, $"There is no PCI device {bdf} in {paths.PciDevices}.", address));
                continue;
            }
            // A pattern that matches nothing is no error, as for Get-VfioDevice.
            var pattern = new WildcardPattern(address, WildcardOptions.IgnoreCase);
            foreach (var device in Enumerated(paths).Where(d => AddressMatches(pattern, d.Address))) Add(device);
        }
    }

    private IReadOnlyList<VfioPciDevice> Enumerated(VfioHostPaths paths) => _enumerated ??= PciDeviceEnumerator.Enumerate(paths);

    private void Add(VfioPciDevice device)
    {
        if (!_devices.Any(d => d.Address == device.Address)) _devices.Add(device);
    }
}
