using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace VfioPS.Kernel;

/// <summary>
/// Reads mediated device parents, types and instances from sysfs (Documentation/driver-api/vfio-mediated-device.rst):
/// /sys/class/mdev_bus/&lt;parent&gt;/mdev_supported_types/&lt;type-id&gt;/{name, description, available_instances,
/// device_api, devices/} and /sys/bus/mdev/devices/&lt;uuid&gt;/{mdev_type, iommu_group, driver}.
/// </summary>
public static class MdevEnumerator
{
    /// <summary>The parents' names (the entries of class/mdev_bus), sorted; empty when the host has none.</summary>
    public static IReadOnlyList<string> Parents(VfioHostPaths paths) => SortedNames(paths.MdevParents);

    /// <summary>Every type of every parent, by parent then type id.</summary>
    public static IReadOnlyList<VfioMdevType> Types(VfioHostPaths paths)
        => Parents(paths).SelectMany(parent => SortedNames(paths.MdevSupportedTypes(parent)).Select(typeId => ReadType(paths, parent, typeId))).ToArray();

    /// <summary>One type, or null when the parent has no such type (both names as sysfs lists them).</summary>
    public static VfioMdevType? FindType(VfioHostPaths paths, string parent, string typeId)
        => Directory.Exists(paths.MdevType(parent, typeId)) ? ReadType(paths, parent, typeId) : null;

    /// <summary>Every instance, by UUID.</summary>
    public static IReadOnlyList<VfioMdev> Devices(VfioHostPaths paths)
        => SortedNames(paths.MdevDevices).Where(MdevUuid.IsUuid).Select(uuid => ReadDevice(paths, uuid)).ToArray();

    /// <summary>The instance with this UUID (already canonical), or null when there is none.</summary>
    public static VfioMdev? Find(VfioHostPaths paths, string uuid)
        => Directory.Exists(paths.MdevDevice(uuid)) ? ReadDevice(paths, uuid) : null;

    private static VfioMdevType ReadType(VfioHostPaths paths, string parent, string typeId)
    {
        string dir = paths.MdevType(parent, typeId);
        string? available = ReadText(Path.Combine(dir, "available_instances"));
        return new VfioMdevType(parent, typeId,
            ReadText(Path.Combine(dir, "name")),
            ReadText(Path.Combine(dir, "description")),
            uint.TryParse(available, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) ? n : null,
            ReadText(Path.Combine(dir, "device_api")),
            SortedNames(Path.Combine(dir, "devices")).Where(MdevUuid.IsUuid).ToArray());
    }

    private static VfioMdev ReadDevice(VfioHostPaths paths, string uuid)
    {
        string dir = paths.MdevDevice(uuid);
        string typeLink = Path.Combine(dir, "mdev_type");
        // mdev_type links to <parent device>/mdev_supported_types/<type-id>: the type and its parent in one read. The
        // kernel's link is relative to the instance's own folder ("../mdev_supported_types/<type-id>"), so it is
        // resolved against that folder, not against the bus/mdev/devices link that leads there.
        string? target = LinkTarget(typeLink);
        if (target is not null && !Path.IsPathRooted(target))
            target = Path.GetFullPath(Path.Combine(RealFolder(dir), target));
        string[] parts = target?.TrimEnd('/').Split('/') ?? Array.Empty<string>();
        int types = Array.LastIndexOf(parts, "mdev_supported_types");
        string? parent = types > 0 ? parts[types - 1] : null;
        string? typeId = types >= 0 && types + 1 < parts.Length ? parts[types + 1] : null;
        return new VfioMdev(uuid, parent, typeId,
            ReadText(Path.Combine(typeLink, "name")),
            int.TryParse(PciDeviceEnumerator.LinkName(Path.Combine(dir, "iommu_group")), NumberStyles.None, CultureInfo.InvariantCulture, out int group) ? group : null,
            PciDeviceEnumerator.LinkName(Path.Combine(dir, "driver")));
    }

    private static string[] SortedNames(string dir)
    {
        try
        {
            return Directory.Exists(dir)
                ? Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Where(n => !string.IsNullOrEmpty(n)).Select(n => n!)
                    .OrderBy(n => n, StringComparer.Ordinal).ToArray()
                : Array.Empty<string>();
        }
        catch (IOException) { return Array.Empty<string>(); }
        catch (UnauthorizedAccessException) { return Array.Empty<string>(); }
    }

    /// <summary>The folder a path names with every link on the way followed (the path itself when that fails).</summary>
    private static string RealFolder(string path)
    {
        try
        {
            return new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        }
        catch (IOException) { return path; }
        catch (UnauthorizedAccessException) { return path; }
    }

    private static string? LinkTarget(string link)
    {
        try
        {
            return new FileInfo(link).LinkTarget ?? new DirectoryInfo(link).LinkTarget;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>A sysfs attribute's text on one line (a multi-line description is joined with spaces); null when absent or empty.</summary>
    private static string? ReadText(string file)
    {
        try
        {
            string text = string.Join(" ", File.ReadAllText(file).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            return text.Length == 0 ? null : text;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
