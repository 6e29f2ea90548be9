using System;
using System.Globalization;
using System.IO;

namespace VfioPS.Kernel;

/// <summary>
/// Where the host's sysfs, /dev, /etc and /proc are. Tests point them at a fake tree with VFIOPS_SYSFS_ROOT,
/// VFIOPS_DEV_ROOT, VFIOPS_ETC_ROOT and VFIOPS_PROC_ROOT (or the cmdlets' hidden -SysfsRoot/-DevRoot/-EtcRoot/
/// -ProcRoot); everything VfioPS opens or writes from user input is built from these roots and a validated PCI
/// address, never from a path the user typed.
/// </summary>
public sealed record VfioHostPaths(string SysfsRoot, string DevRoot, string EtcRoot = "/etc", string ProcRoot = "/proc")
{
    public const string SysfsRootVariable = "VFIOPS_SYSFS_ROOT";
    public const string DevRootVariable = "VFIOPS_DEV_ROOT";
    public const string EtcRootVariable = "VFIOPS_ETC_ROOT";
    public const string ProcRootVariable = "VFIOPS_PROC_ROOT";

    /// <summary>The running kernel's sysfs: the only one whose drivers `modprobe` can make appear.</summary>
    public const string HostSysfsRoot = "/sys";

    public static VfioHostPaths Default => new(
        FromEnvironment(SysfsRootVariable, HostSysfsRoot),
        FromEnvironment(DevRootVariable, "/dev"),
        FromEnvironment(EtcRootVariable, "/etc"),
        FromEnvironment(ProcRootVariable, "/proc"));

    private static string FromEnvironment(string variable, string fallback)
        => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : fallback;

    public string PciDevices => Path.Combine(SysfsRoot, "bus", "pci", "devices");
    public string PciDevice(string address) => Path.Combine(PciDevices, address);
    public string IommuGroupDevices(int group) => Path.Combine(SysfsRoot, "kernel", "iommu_groups", group.ToString(CultureInfo.InvariantCulture), "devices");
    public string VfioDir => Path.Combine(DevRoot, "vfio");
    public string Container => Path.Combine(VfioDir, "vfio");
    public string Group(int group) => Path.Combine(VfioDir, group.ToString(CultureInfo.InvariantCulture));
    public string Cdev(string name) => Path.Combine(VfioDir, "devices", name);
    public string Iommufd => Path.Combine(DevRoot, "iommu");

    // The sysfs files that move a device between drivers (Documentation/ABI/testing/sysfs-bus-pci).
    public string DriverOverride(string address) => Path.Combine(PciDevice(address), "driver_override");
    public string DeviceDriverLink(string address) => Path.Combine(PciDevice(address), "driver");
    public string DeviceUnbind(string address) => Path.Combine(PciDevice(address), "driver", "unbind");
    public string PciDrivers => Path.Combine(SysfsRoot, "bus", "pci", "drivers");
    public string PciDriver(string name) => Path.Combine(PciDrivers, name);
    public string DriverBind(string name) => Path.Combine(PciDriver(name), "bind");
    public string DriversProbe => Path.Combine(SysfsRoot, "bus", "pci", "drivers_probe");
    /// <summary>The reset methods the kernel has for the function (absent when it has none).</summary>
    public string ResetMethod(string address) => Path.Combine(PciDevice(address), "reset_method");

    // Mediated devices (Documentation/driver-api/vfio-mediated-device.rst): parents under class/mdev_bus, their types
    // under mdev_supported_types, instances under bus/mdev/devices. Names in these paths come from sysfs listings or
    // a parsed UUID, never from text the user typed.
    public string MdevParents => Path.Combine(SysfsRoot, "class", "mdev_bus");
    public string MdevParent(string parent) => Path.Combine(MdevParents, parent);
    public string MdevSupportedTypes(string parent) => Path.Combine(MdevParent(parent), "mdev_supported_types");
    public string MdevType(string parent, string typeId) => Path.Combine(MdevSupportedTypes(parent), typeId);
    /// <summary>Writing a UUID here creates an instance of the type.</summary>
    public string MdevCreate(string parent, string typeId) => Path.Combine(MdevType(parent, typeId), "create");
    public string MdevDevices => Path.Combine(SysfsRoot, "bus", "mdev", "devices");
    public string MdevDevice(string uuid) => Path.Combine(MdevDevices, uuid);
    /// <summary>Writing 1 here removes the instance.</summary>
    public string MdevRemove(string uuid) => Path.Combine(MdevDevice(uuid), "remove");

    // What makes a binding survive a reboot.
    public const string UdevRuleFileName = "61-vfiops-vfio-pci.rules";
    public const string ModulesLoadFileName = "vfiops-vfio-pci.conf";
    public string UdevRulesDir => Path.Combine(EtcRoot, "udev", "rules.d");
    public string UdevRuleFile => Path.Combine(UdevRulesDir, UdevRuleFileName);
    public string ModulesLoadDir => Path.Combine(EtcRoot, "modules-load.d");
    public string ModulesLoadFile => Path.Combine(ModulesLoadDir, ModulesLoadFileName);
    /// <summary>driverctl's own override file for a device (/etc/driverctl.d/pci-&lt;address&gt;).</summary>
    public string DriverctlOverride(string address) => Path.Combine(EtcRoot, "driverctl.d", "pci-" + address);
}
