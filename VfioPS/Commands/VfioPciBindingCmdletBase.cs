using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using VfioPS.Kernel;

namespace VfioPS.Commands;

/// <summary>
/// What Enable-VfioDevice and Disable-VfioDevice share: addresses (wildcards, pipeline), the switches, and one
/// transaction per call. Addresses are collected while the pipeline runs and moved in EndProcessing, so that a
/// failure puts back every device of the call, not just those of one pipeline item.
/// </summary>
public abstract class VfioPciBindingCmdletBase : VfioHostCmdletBase
{
    private readonly List<string> _addresses = new();

    /// <summary>PCI addresses (DDDD:BB:DD.F; wildcards allowed), or devices from Get-VfioDevice.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PciAddressCompleter))]
    public string[] Address { get; set; } = Array.Empty<string>();

    /// <summary>Every endpoint of each device's IOMMU group too; bridges stay on their driver.</summary>
    [Parameter]
    public SwitchParameter IncludeGroup { get; set; }

    /// <summary>Unbind a device even when another process holds its VFIO group or cdev.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the updated VfioPciDevice of each device.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Test hook: the /etc root (default /etc, or $env:VFIOPS_ETC_ROOT).</summary>
    [Parameter(DontShow = true)]
    public string? EtcRoot { get; set; }

    /// <summary>Test hook: the /proc root where holders of a device are looked for (default /proc, or $env:VFIOPS_PROC_ROOT).</summary>
    [Parameter(DontShow = true)]
    public string? ProcRoot { get; set; }

    protected override string? EtcRootParameter => EtcRoot;
    protected override string? ProcRootParameter => ProcRoot;

    /// <summary>-Persistent of Enable-VfioDevice; Disable always removes the boot-time rule.</summary>
    private protected virtual bool PersistentSwitch => false;

    private protected abstract IReadOnlyList<string> Move(VfioPciBinder binder, IReadOnlyList<string> addresses);

    protected override void ProcessRecord()
    {
        var paths = HostPaths;
        IReadOnlyList<VfioPciDevice>? devices = null;
        foreach (string address in Address)
        {
            bool wildcard = WildcardPattern.ContainsWildcardCharacters(address);
            if (!wildcard)
            {
                if (!PciAddress.TryNormalize(address, out string bdf))
                    WriteVfioError(new VfioException("VfioPciAddressInvalid", VfioErrorKind.InvalidArgument,
                        $"'{address}' is not a PCI address; write it as DDDD:BB:DD.F, for example 0000:00:10.0.", address));
                else if (PciDeviceEnumerator.Find(paths, bdf) is null)
                    WriteVfioError(new VfioException("VfioDeviceNotFound", VfioErrorKind.ObjectNotFound, $"There is no PCI device {bdf} in {paths.PciDevices}.", address));
                else if (!_addresses.Contains(bdf)) _addresses.Add(bdf);
                continue;
            }
            // A pattern that matches nothing is no error.
            devices ??= PciDeviceEnumerator.Enumerate(paths);
            var pattern = new WildcardPattern(address, WildcardOptions.IgnoreCase);
            foreach (var device in devices.Where(d => AddressMatches(pattern, d.Address)))
                if (!_addresses.Contains(device.Address)) _addresses.Add(device.Address);
        }
    }

    protected override void EndProcessing()
    {
        if (_addresses.Count == 0) return;
        var paths = HostPaths;
        var binder = new VfioPciBinder(paths, new CmdletHost(this), new VfioPciBindOptions(IncludeGroup, Force, PersistentSwitch));
        var done = Move(binder, _addresses);
        if (!PassThru) return;
        foreach (string address in done)
            if (PciDeviceEnumerator.Find(paths, address) is { } device) WriteObject(device);
    }

    /// <summary>The binder's questions and messages, answered by this cmdlet.</summary>
    private sealed class CmdletHost(VfioPciBindingCmdletBase cmdlet) : IVfioPciBindingHost
    {
        public bool ShouldProcess(string description, string warning, string caption) => cmdlet.ShouldProcess(description, warning, caption);
        public void Verbose(string text) => cmdlet.WriteVerbose(text);
        public void Warning(string text) => cmdlet.WriteWarning(text);
        public void Error(VfioException error) => cmdlet.WriteVfioError(error);
    }
}
