namespace VfioPS;

/// <summary>A mediated device instance, as sysfs describes it (/sys/bus/mdev/devices/&lt;uuid&gt;).</summary>
public sealed class VfioMdev
{
    internal VfioMdev(string uuid, string? parent, string? typeId, string? typeName, int? iommuGroup, string? driver)
    {
        Uuid = uuid;
        Parent = parent;
        TypeId = typeId;
        TypeName = typeName;
        IommuGroup = iommuGroup;
        Driver = driver;
    }

    /// <summary>The instance's UUID, lowercase: its sysfs name and its VFIO device name; binds to Remove-VfioMdev -Uuid and Open-VfioDevice.</summary>
    public string Uuid { get; }
    /// <summary>The parent device's name (the folder that holds the type); null when sysfs does not show it.</summary>
    public string? Parent { get; }
    /// <summary>The type id (the folder its mdev_type link names).</summary>
    public string? TypeId { get; }
    /// <summary>The type's name attribute; null when the driver has none.</summary>
    public string? TypeName { get; }
    /// <summary>The IOMMU group VFIO gave the instance (its iommu_group link); null before a driver registers it.</summary>
    public int? IommuGroup { get; }
    /// <summary>The mdev driver the instance is bound to: its parent's driver (seed_mdev, mtty, ...), not vfio-pci.</summary>
    public string? Driver { get; }

    public override string ToString() => Uuid;
}
