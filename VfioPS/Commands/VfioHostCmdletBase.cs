using System.Management.Automation;
using VfioPS.Kernel;

namespace VfioPS.Commands;

/// <summary>Cmdlets that read the host's sysfs and /dev: the hidden test hooks that point them at a fake tree.</summary>
public abstract class VfioHostCmdletBase : VfioCmdletBase
{
    /// <summary>Test hook: the sysfs root (default /sys, or $env:VFIOPS_SYSFS_ROOT).</summary>
    [Parameter(DontShow = true)]
    public string? SysfsRoot { get; set; }

    /// <summary>Test hook: the /dev root (default /dev, or $env:VFIOPS_DEV_ROOT).</summary>
    [Parameter(DontShow = true)]
    public string? DevRoot { get; set; }

    /// <summary>The /etc root a cmdlet with a hidden -EtcRoot was given; null for the default.</summary>
    protected virtual string? EtcRootParameter => null;

    /// <summary>The /proc root a cmdlet with a hidden -ProcRoot was given; null for the default.</summary>
    protected virtual string? ProcRootParameter => null;

    /// <summary>
    /// Whether an -Address pattern matches a device: against the full DDDD:BB:DD.F, or against BB:DD.F, so that a
    /// pattern may leave out the domain ("01:00.*"), as lspci does.
    /// </summary>
    protected static bool AddressMatches(WildcardPattern pattern, string address)
        => pattern.IsMatch(address) || pattern.IsMatch(address.Substring(5));

    /// <summary>The roots in force: the parameters, else the environment, else /sys, /dev, /etc and /proc.</summary>
    protected VfioHostPaths HostPaths
    {
        get
        {
            var defaults = VfioHostPaths.Default;
            return new VfioHostPaths(SysfsRoot ?? defaults.SysfsRoot, DevRoot ?? defaults.DevRoot,
                EtcRootParameter ?? defaults.EtcRoot, ProcRootParameter ?? defaults.ProcRoot);
        }
    }
}
