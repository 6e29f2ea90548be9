using System;
using System.Collections.Generic;
using System.IO;
using VfioPS.Abi;
using VfioPS.Kernel;

namespace VfioPS.Core.Tests;

/// <summary>
/// Mediated devices in a <see cref="FakeHostTree"/>, laid out as the kernel lays them out: the parent's device folder
/// under devices/virtual with mdev_supported_types/&lt;type-id&gt;/{name, description, available_instances,
/// device_api, create, devices/}, linked from class/mdev_bus; an instance is a folder of the parent with mdev_type,
/// iommu_group and driver links and a remove file, linked from bus/mdev/devices and the type's devices folder.
/// </summary>
internal static class FakeMdevTree
{
    public static string ParentDir(this FakeHostTree tree, string parent) => Path.Combine(tree.Paths.SysfsRoot, "devices", "virtual", "seed", parent);

    public static FakeHostTree MdevParent(this FakeHostTree tree, string parent)
    {
        Directory.CreateDirectory(Path.Combine(tree.ParentDir(parent), "mdev_supported_types"));
        Directory.CreateDirectory(tree.Paths.MdevParents);
        Directory.CreateDirectory(tree.Paths.MdevDevices);
        if (!Directory.Exists(tree.Paths.MdevParent(parent))) Directory.CreateSymbolicLink(tree.Paths.MdevParent(parent), tree.ParentDir(parent));
        return tree;
    }

    /// <summary>A type of <paramref name="parent"/>; a null name or description leaves that optional file out.</summary>
    public static FakeHostTree MdevType(this FakeHostTree tree, string parent, string typeId, string? name, string? description, uint available, string deviceApi = "vfio-pci")
    {
        tree.MdevParent(parent);
        string dir = Path.Combine(tree.ParentDir(parent), "mdev_supported_types", typeId);
        Directory.CreateDirectory(Path.Combine(dir, "devices"));
        if (name is not null) File.WriteAllText(Path.Combine(dir, "name"), name + "\n");
        if (description is not null) File.WriteAllText(Path.Combine(dir, "description"), description + "\n");
        File.WriteAllText(Path.Combine(dir, "available_instances"), available + "\n");
        File.WriteAllText(Path.Combine(dir, "device_api"), deviceApi + "\n");
        File.WriteAllText(Path.Combine(dir, "create"), "");
        return tree;
    }

    /// <summary>An instance of an existing type, in IOMMU group <paramref name="group"/> (null: none), bound to <paramref name="driver"/> (null: none).</summary>
    public static FakeHostTree MdevInstance(this FakeHostTree tree, string parent, string typeId, string uuid, int? group, string? driver)
    {
        string dir = Path.Combine(tree.ParentDir(parent), uuid);
        string typeDir = Path.Combine(tree.ParentDir(parent), "mdev_supported_types", typeId);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "remove"), "");
        // Relative, as the kernel makes them: mdev_type is "../mdev_supported_types/<type-id>" from the instance's own
        // folder, and the bus's link climbs from bus/mdev/devices to it.
        Directory.CreateSymbolicLink(Path.Combine(dir, "mdev_type"), Path.Combine("..", "mdev_supported_types", typeId));
        Directory.CreateSymbolicLink(tree.Paths.MdevDevice(uuid), Path.GetRelativePath(tree.Paths.MdevDevices, dir));
        Directory.CreateSymbolicLink(Path.Combine(typeDir, "devices", uuid), dir);
        if (driver is not null)
        {
            string driverDir = Path.Combine(tree.Paths.SysfsRoot, "bus", "mdev", "drivers", driver);
            Directory.CreateDirectory(driverDir);
            Directory.CreateSymbolicLink(Path.Combine(dir, "driver"), driverDir);
        }
        if (group is int g)
        {
            string groupDir = Path.Combine(tree.Paths.SysfsRoot, "kernel", "iommu_groups", g.ToString());
            Directory.CreateDirectory(Path.Combine(groupDir, "devices"));
            Directory.CreateSymbolicLink(Path.Combine(dir, "iommu_group"), groupDir);
            Directory.CreateSymbolicLink(Path.Combine(groupDir, "devices", uuid), dir);
            File.WriteAllText(tree.Paths.Group(g), "");
        }
        return tree;
    }

    /// <summary>Removes an instance as the kernel does on a remove write.</summary>
    public static void RemoveMdevInstance(this FakeHostTree tree, string uuid)
    {
        string dir = new DirectoryInfo(tree.Paths.MdevDevice(uuid)).ResolveLinkTarget(true)!.FullName;
        string typeDir = new DirectoryInfo(Path.Combine(dir, "mdev_type")).ResolveLinkTarget(true)!.FullName;
        File.Delete(Path.Combine(typeDir, "devices", uuid));
        File.Delete(tree.Paths.MdevDevice(uuid));
        Directory.Delete(dir, recursive: true);
    }
}

/// <summary>
/// The kernel's side of the mdev sysfs files over a <see cref="FakeHostTree"/>: a UUID written to a type's create
/// file makes the instance (EEXIST for a UUID that exists, EUSERS when available_instances is 0, EINVAL for text that
/// is not a UUID) and takes one from available_instances; 1 written to an instance's remove file removes it and gives
/// one back. Every write is recorded.
/// </summary>
internal sealed class SimulatedMdevKernel(FakeHostTree tree, int group = 20, string driver = "seed_mdev") : IPciSysfsWriter
{
    /// <summary>Every write, in order, as (path relative to the sysfs root, text).</summary>
    public List<(string File, string Text)> Writes { get; } = new();
    /// <summary>Writes that fail: (path relative to the sysfs root) and the errno.</summary>
    public Dictionary<string, Errno> Failures { get; } = new(StringComparer.Ordinal);
    /// <summary>When false, a create is accepted but the instance never appears (a driver whose create failed late).</summary>
    public bool Appears { get; set; } = true;

    public Errno Write(string path, string text)
    {
        string file = Path.GetRelativePath(tree.Paths.SysfsRoot, path);
        Writes.Add((file, text));
        if (Failures.TryGetValue(file, out var failure)) return failure;
        if (Path.GetFileName(path) == "create")
        {
            string typeDir = Path.GetDirectoryName(path)!;
            if (!Guid.TryParse(text.Trim(), out var guid)) return Errno.EINVAL;
            string uuid = guid.ToString("D");
            if (Directory.Exists(tree.Paths.MdevDevice(uuid))) return Errno.EEXIST;
            uint available = uint.Parse(File.ReadAllText(Path.Combine(typeDir, "available_instances")).Trim());
            if (available == 0) return Errno.EUSERS;
            File.WriteAllText(Path.Combine(typeDir, "available_instances"), available - 1 + "\n");
            if (!Appears) return Errno.None;
            string typeId = Path.GetFileName(typeDir);
            string parent = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(new DirectoryInfo(typeDir).FullName))!);
            tree.MdevInstance(parent, typeId, uuid, group++, driver);
            return Errno.None;
        }
        if (Path.GetFileName(path) == "remove" && Path.GetFileName(Path.GetDirectoryName(path)) is { } uuidName && MdevUuid.IsUuid(uuidName))
        {
            if (text.Trim() != "1") return Errno.EINVAL;
            if (!Directory.Exists(tree.Paths.MdevDevice(uuidName))) return Errno.ENODEV;
            string instance = new DirectoryInfo(tree.Paths.MdevDevice(uuidName)).ResolveLinkTarget(true)!.FullName;
            string typeDir = new DirectoryInfo(Path.Combine(instance, "mdev_type")).ResolveLinkTarget(true)!.FullName;
            uint available = uint.Parse(File.ReadAllText(Path.Combine(typeDir, "available_instances")).Trim());
            tree.RemoveMdevInstance(uuidName);
            File.WriteAllText(Path.Combine(typeDir, "available_instances"), available + 1 + "\n");
            return Errno.None;
        }
        return Errno.ENOENT;
    }
}
