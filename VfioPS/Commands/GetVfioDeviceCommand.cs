using System;
using System.Linq;
using System.Management.Automation;
using VfioPS.Kernel;

namespace VfioPS.Commands;

/// <summary>Get-VfioDevice: the host's PCI devices from sysfs, with what VFIO needs to open them.</summary>
[Cmdlet(VerbsCommon.Get, "VfioDevice")]
[OutputType(typeof(VfioPciDevice))]
public sealed class GetVfioDeviceCommand : VfioHostCmdletBase
{
    /// <summary>PCI addresses to list (DDDD:BB:DD.F; wildcards allowed); all devices when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Address { get; set; }

    /// <summary>Only devices bound to these drivers (wildcards allowed), e.g. vfio-pci.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Driver { get; set; }

    /// <summary>Test hook: the /etc root where PersistentOverride looks for the udev rule and driverctl files (default /etc, or $env:VFIOPS_ETC_ROOT).</summary>
    [Parameter(DontShow = true)]
    public string? EtcRoot { get; set; }

    protected override string? EtcRootParameter => EtcRoot;

    protected override void ProcessRecord()
    {
        var paths = HostPaths;
        var devices = PciDeviceEnumerator.Enumerate(paths);
        var driverPatterns = Driver?.Select(d => new WildcardPattern(d, WildcardOptions.IgnoreCase)).ToArray();
        if (Address is null)
        {
            WriteObject(devices.Where(d => MatchesDriver(d, driverPatterns)), enumerateCollection: true);
            return;
        }
        foreach (string address in Address)
        {
            bool wildcard = WildcardPattern.ContainsWildcardCharacters(address);
            if (!wildcard && !PciAddress.TryNormalize(address, out _))
            {
                WriteVfioError(new VfioException("VfioPciAddressInvalid", VfioErrorKind.InvalidArgument,
                    $"'{address}' is not a PCI address; write it as DDDD:BB:DD.F, for example 0000:00:10.0.", address));
                continue;
            }
            var pattern = new WildcardPattern(wildcard ? address : Normalized(address), WildcardOptions.IgnoreCase);
            // A pattern may leave out the domain ("00:1*"), as lspci does.
            var matches = devices.Where(d => AddressMatches(pattern, d.Address) && MatchesDriver(d, driverPatterns)).ToArray();
            if (matches.Length == 0 && !wildcard)
                WriteVfioError(new VfioException("VfioDeviceNotFound", VfioErrorKind.ObjectNotFound,
                    $"There is no PCI device {Normalized(address)} in {paths.PciDevices}.", address));
            WriteObject(matches, enumerateCollection: true);
        }
    }

    private static string Normalized(string address) => PciAddress.TryNormalize(address, out var a) ? a : address;

    private static bool MatchesDriver(VfioPciDevice device, WildcardPattern[]? patterns)
        => patterns is null || patterns.Any(p => p.IsMatch(device.Driver ?? string.Empty));
}
