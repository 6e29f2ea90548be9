using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace VfioPS.Kernel;

/// <summary>Reads PCI devices and their VFIO facts from sysfs (/sys/bus/pci/devices/&lt;BDF&gt;).</summary>
public static class PciDeviceEnumerator
{
    public const string VfioPciDriver = "vfio-pci";

    /// <summary>
    /// vfio-pci or one of its variant drivers (mlx5_vfio_pci, hisi_acc_vfio_pci, nvgrace-gpu-vfio-pci, ...), which
    /// register VFIO devices the same way.
    /// </summary>
    public static bool IsVfioDriver(string? driver)
        => driver is not null && (driver == VfioPciDriver || driver.EndsWith("vfio_pci", StringComparison.Ordinal) || driver.EndsWith("vfio-pci", StringComparison.Ordinal));

    /// <summary>
    /// Whether a device with this driver leaves its IOMMU group viable: no driver, a VFIO driver, pci-stub, or pcieport
    /// (bridges: the kernel always allowed them, and since 5.19 pcieport declares driver_managed_dma).
    /// </summary>
    internal static bool KeepsGroupViable(string? driver)
        => driver is null || IsVfioDriver(driver) || driver is "pci-stub" or "pcieport";

    public static IReadOnlyList<VfioPciDevice> Enumerate(VfioHostPaths paths)
    {
        if (!Directory.Exists(paths.PciDevices)) return Array.Empty<VfioPciDevice>();
        var persistent = VfioPciUdevRules.ReadAddresses(paths);
        return Directory.EnumerateFileSystemEntries(paths.PciDevices)
            .Select(Path.GetFileName)
            .Where(name => name is not null && PciAddress.IsAddress(name))
            .OrderBy(name => name, StringComparer.Ordinal)
            .Select(name => Read(paths, name!, persistent))
            .ToArray();
    }

    /// <summary>The device at <paramref name="address"/> (already validated), or null when sysfs has no such device.</summary>
    public static VfioPciDevice? Find(VfioHostPaths paths, string address)
        => Directory.Exists(paths.PciDevice(address)) ? Read(paths, address, VfioPciUdevRules.ReadAddresses(paths)) : null;

    /// <summary>The driver the device is bound to now (the last element of its driver link); null when none.</summary>
    internal static string? ReadDriver(VfioHostPaths paths, string address) => LinkName(paths.DeviceDriverLink(address));

    /// <summary>The IOMMU group the device is in (the number its iommu_group link names); null when it has none.</summary>
    internal static int? ReadIommuGroup(VfioHostPaths paths, string address)
        => int.TryParse(LinkName(Path.Combine(paths.PciDevice(address), "iommu_group")), NumberStyles.None, CultureInfo.InvariantCulture, out int group)
            ? group : null;

    /// <summary>The devices of an IOMMU group (the names in its devices folder), in address order.</summary>
    internal static string[] ReadGroupDevices(VfioHostPaths paths, int group)
        => Directory.Exists(paths.IommuGroupDevices(group))
            ? Directory.EnumerateFileSystemEntries(paths.IommuGroupDevices(group)).Select(Path.GetFileName).Where(a => a is not null).Select(a => a!)
                .OrderBy(a => a, StringComparer.Ordinal).ToArray()
            : Array.Empty<string>();

    /// <summary>
    /// The device's driver_override: null when the file says "(null)" (none set), is empty, or does not exist
    /// (kernels before 3.16 have no driver_override).
    /// </summary>
    internal static string? ReadDriverOverride(VfioHostPaths paths, string address)
    {
        try
        {
            return ParseDriverOverride(File.ReadAllText(paths.DriverOverride(address)));
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// sysfs reset_method: the methods the kernel would use, space-separated, in order. The attribute is visible only
    /// when the device has a reset method, so a missing file is an empty list; an unreadable one too.
    /// </summary>
    internal static string[] ReadResetMethods(VfioHostPaths paths, string address)
    {
        try
        {
            return ParseResetMethods(File.ReadAllText(paths.ResetMethod(address)));
        }
        catch (IOException) { return Array.Empty<string>(); }
        catch (UnauthorizedAccessException) { return Array.Empty<string>(); }
    }

    /// <summary>
    /// A PCI bridge: it has a secondary bus (a pci_bus folder in its sysfs folder) or its class is 0x0604xx. Bridges
    /// stay on pcieport when a group is handed to vfio-pci: the kernel allows them in a VFIO group, and vfio-pci
    /// refuses devices without a normal header.
    /// </summary>
    internal static bool IsBridge(VfioHostPaths paths, string address)
        => Directory.Exists(Path.Combine(paths.PciDevice(address), "pci_bus"))
            || (ReadHex(Path.Combine(paths.PciDevice(address), "class")) >> 8) == 0x0604;

    private static VfioPciDevice Read(VfioHostPaths paths, string address, IReadOnlySet<string> persistent)
    {
        string dir = paths.PciDevice(address);
        ushort vendor = (ushort)ReadHex(Path.Combine(dir, "vendor"));
        ushort device = (ushort)ReadHex(Path.Combine(dir, "device"));
        uint cls = ReadHex(Path.Combine(dir, "class"));
        string? driver = ReadDriver(paths, address);
        int? group = ReadIommuGroup(paths, address);
        string? groupPath = group is int n ? paths.Group(n) : null;
        string? cdevName = Directory.Exists(Path.Combine(dir, "vfio-dev"))
            ? Directory.EnumerateDirectories(Path.Combine(dir, "vfio-dev")).Select(Path.GetFileName).FirstOrDefault(d => d is not null && d.StartsWith("vfio", StringComparison.Ordinal))
            : null;
        string? cdevPath = cdevName is null ? null : paths.Cdev(cdevName);

        var groupDevices = group is int gg ? ReadGroupDevices(paths, gg) : Array.Empty<string>();

        string? reason = null;
        if (!IsVfioDriver(driver)) reason = driver is null ? "no driver is bound; bind it to vfio-pci" : $"it is bound to {driver}, not vfio-pci";
        else if (group is null) reason = "it has no IOMMU group (is the IOMMU enabled?)";
        else if (!File.Exists(groupPath!) && (cdevPath is null || !File.Exists(cdevPath))) reason = $"{groupPath} does not exist";
        else
        {
            // A group is viable only when every other device in it is unbound or on a driver that keeps it viable.
            foreach (string other in groupDevices.Where(a => a != address))
            {
                string? otherDriver = ReadDriver(paths, other);
                if (!KeepsGroupViable(otherDriver))
                {
                    reason = $"IOMMU group {group} is not viable: {other} in the same group is bound to {otherDriver}";
                    break;
                }
            }
        }
        string? driverOverride = ReadDriverOverride(paths, address);
        bool persistentOverride = persistent.Contains(address) || File.Exists(paths.DriverctlOverride(address));
        return new VfioPciDevice(address, vendor, device, cls, driver, group, groupPath, cdevPath, groupDevices, reason is null, reason,
            driverOverride, persistentOverride, ReadResetMethods(paths, address));
    }

    private static uint ReadHex(string file)
    {
        try
        {
            return ParseHexAttribute(File.ReadAllText(file));
        }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }

    /// <summary>
    /// A hex sysfs attribute as the kernel prints it (vendor "0x8086\n", device, class "0x020000\n"), with or without
    /// the 0x; 0 for text that is not a 32-bit hex number. Callers take the low bits they need (vendor and device are u16).
    /// </summary>
    internal static uint ParseHexAttribute(string? text)
    {
        if (text is null) return 0;
        var span = text.AsSpan().Trim();
        if (span.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) span = span[2..];
        return uint.TryParse(span, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint v) ? v : 0;
    }

    /// <summary>driver_override's text: null for "(null)" (none set) or nothing, else the driver name, trimmed.</summary>
    internal static string? ParseDriverOverride(string? text)
    {
        string trimmed = text?.Trim() ?? string.Empty;
        return trimmed.Length == 0 || trimmed == "(null)" ? null : trimmed;
    }

    /// <summary>reset_method's text: the methods, space-separated, in order.</summary>
    internal static string[] ParseResetMethods(string? text)
        => text is null ? Array.Empty<string>() : text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The last path element a sysfs symlink points at (driver, iommu_group); null when absent.</summary>
    internal static string? LinkName(string link)
    {
        try
        {
            var info = new FileInfo(link);
            string? target = info.LinkTarget ?? new DirectoryInfo(link).LinkTarget;
            return target is null ? null : Path.GetFileName(target.TrimEnd('/'));
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
