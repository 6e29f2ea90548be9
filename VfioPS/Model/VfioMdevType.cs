using System;

namespace VfioPS;

/// <summary>
/// A mediated device type a parent device offers, as sysfs describes it
/// (/sys/class/mdev_bus/&lt;parent&gt;/mdev_supported_types/&lt;type-id&gt;).
/// </summary>
public sealed class VfioMdevType
{
    internal VfioMdevType(string parent, string typeId, string? name, string? description, uint? availableInstances, string? deviceApi, string[] instances)
    {
        Parent = parent;
        TypeId = typeId;
        Name = name;
        Description = description;
        AvailableInstances = availableInstances;
        DeviceApi = deviceApi;
        Instances = instances;
    }

    /// <summary>The parent device's name in /sys/class/mdev_bus (a PCI address for a PCI parent); binds to New-VfioMdev -Parent.</summary>
    public string Parent { get; }
    /// <summary>The type's folder name, "&lt;driver&gt;-&lt;name&gt;" (seed_mdev-display); binds to New-VfioMdev -TypeId.</summary>
    public string TypeId { get; }
    /// <summary>The type's name attribute; null when the driver has none (it is optional).</summary>
    public string? Name { get; }
    /// <summary>The type's description attribute, on one line; null when the driver has none (it is optional).</summary>
    public string? Description { get; }
    /// <summary>How many more instances of the type can be created now; null when the file cannot be read.</summary>
    public uint? AvailableInstances { get; }
    /// <summary>The VFIO device API of an instance ("vfio-pci", "vfio-platform", ...).</summary>
    public string? DeviceApi { get; }
    /// <summary>The UUIDs of the type's existing instances (its devices folder), sorted.</summary>
    public string[] Instances { get; }

    public override string ToString() => Parent + "/" + TypeId;
}
