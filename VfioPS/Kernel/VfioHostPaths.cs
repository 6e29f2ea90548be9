using System;
using System.IO;

namespace VfioPS.Kernel;

/// <summary>
/// Where the host's sysfs and /dev are. Tests point them at a fake tree with VFIOPS_SYSFS_ROOT and VFIOPS_DEV_ROOT
/// (or the cmdlets' hidden -SysfsRoot/-DevRoot); everything VfioPS opens from user input is built from these two
/// roots and a validated PCI address, never from a path the user typed.
/// </summary>
public sealed record VfioHostPaths(string SysfsRoot, string DevRoot)
{
    public const string SysfsRootVariable = "VFIOPS_SYSFS_ROOT";
    public const string DevRootVariable = "VFIOPS_DEV_ROOT";

    public static VfioHostPaths Default => new(
        Environment.GetEnvironmentVariable(SysfsRootVariable) is { Length: > 0 } sys ? sys : "/sys",
        Environment.GetEnvironmentVariable(DevRootVariable) is { Length: > 0 } dev ? dev : "/dev");

    public string PciDevices => Path.Combine(SysfsRoot, "bus", "pci", "devices");
    public string PciDevice(string address) => Path.Combine(PciDevices, address);
    public string IommuGroupDevices(int group) => Path.Combine(SysfsRoot, "kernel", "iommu_groups", group.ToString(System.Globalization.CultureInfo.InvariantCulture), "devices");
    public string VfioDir => Path.Combine(DevRoot, "vfio");
    public string Container => Path.Combine(VfioDir, "vfio");
    public string Group(int group) => Path.Combine(VfioDir, group.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public string Cdev(string name) => Path.Combine(VfioDir, "devices", name);
    public string Iommufd => Path.Combine(DevRoot, "iommu");
}
