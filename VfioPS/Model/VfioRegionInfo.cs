using System;
using System.Collections.Generic;
using VfioPS.Abi;

namespace VfioPS;

/// <summary>One region of a device, as VFIO_DEVICE_GET_REGION_INFO answered it, with its capability chain decoded.</summary>
public sealed class VfioRegionInfo
{
    internal VfioRegionInfo(string device, uint index, string name, ulong size, ulong offset, VfioRegionFlags flags, bool isDeviceSpecific,
        uint? type, uint? subtype, VfioSparseMmapArea[]? sparseMmapAreas, bool msixMappable,
        IReadOnlyList<VfioRegionCapability> capabilities, bool supported, string? unsupportedReason)
    {
        Device = device;
        Index = index;
        Name = name;
        Size = size;
        Offset = offset;
        Flags = flags;
        IsDeviceSpecific = isDeviceSpecific;
        Type = type;
        Subtype = subtype;
        SparseMmapAreas = sparseMmapAreas;
        MsixMappable = msixMappable;
        Capabilities = capabilities is VfioRegionCapability[] array ? array : new List<VfioRegionCapability>(capabilities).ToArray();
        Supported = supported;
        UnsupportedReason = unsupportedReason;
    }

    /// <summary>The device's name; binds by property name to -Device of the other VfioPS cmdlets.</summary>
    public string Device { get; }
    public uint Index { get; }
    /// <summary>BAR0..BAR5, ROM, CONFIG, VGA for the fixed vfio-pci indexes; TYPE/SUBTYPE (e.g. GFX/EDID) or RegionN for the others.</summary>
    public string Name { get; }
    /// <summary>The region's size in bytes; 0 for a BAR or ROM the device does not implement.</summary>
    public ulong Size { get; }
    /// <summary>Where the region starts in the device fd, for pread/pwrite/mmap (vfio-pci: index &lt;&lt; 40).</summary>
    public ulong Offset { get; }
    public VfioRegionFlags Flags { get; }
    /// <summary>True for indexes beyond the fixed vfio-pci ones (index &gt;= 9), which a TYPE capability describes.</summary>
    public bool IsDeviceSpecific { get; }
    /// <summary>From the TYPE capability; null when the region has none.</summary>
    public uint? Type { get; }
    public uint? Subtype { get; }
    /// <summary>The mmap-able areas from a SPARSE_MMAP capability; null when the region has none (then, with Mmap, all of it maps).</summary>
    public VfioSparseMmapArea[]? SparseMmapAreas { get; }
    /// <summary>True when the region carries MSIX_MAPPABLE: the MSI-X table in this BAR may be mmap-ed too.</summary>
    public bool MsixMappable { get; }
    public VfioRegionCapability[] Capabilities { get; }
    /// <summary>False only when the device refused the index (EINVAL), e.g. VGA on a device without VGA.</summary>
    public bool Supported { get; }
    /// <summary>Why the region is not supported ("EINVAL (Invalid argument)"), null when it is.</summary>
    public string? UnsupportedReason { get; }

    public override string ToString() => $"{Device} {Name} (region {Index})";
}
