using System;
using VfioPS.Abi;

namespace VfioPS;

/// <summary>One capability of a region's chain, in chain order. Unknown ids are kept with their raw bytes.</summary>
public sealed class VfioRegionCapability
{
    internal VfioRegionCapability(string device, uint index, ushort id, ushort version, uint offset, uint next,
        uint? type, uint? subtype, VfioSparseMmapArea[]? areas, byte[] data)
    {
        Device = device;
        Index = index;
        Id = id;
        Version = version;
        Offset = offset;
        Next = next;
        Type = type;
        Subtype = subtype;
        Areas = areas;
        Data = data;
    }

    /// <summary>The device's name (an address or a mock name such as mock:gvt-vgpu/1).</summary>
    public string Device { get; }
    /// <summary>The region index the capability describes.</summary>
    public uint Index { get; }
    public ushort Id { get; }
    public ushort Version { get; }
    /// <summary>Where the capability's header sits, counted from the start of the vfio_region_info answer.</summary>
    public uint Offset { get; }
    /// <summary>The header's next field: the offset of the following capability, 0 for the last.</summary>
    public uint Next { get; }

    /// <summary>SparseMmap (1), Type (2), MsixMappable (3), Nvlink2Ssatgt (4), Nvlink2Lnkspd (5), or Unknown.</summary>
    public string Name => Id switch
    {
        VfioRegionCapabilityCodec.SparseMmapId => "SparseMmap",
        VfioRegionCapabilityCodec.TypeId => "Type",
        VfioRegionCapabilityCodec.MsixMappableId => "MsixMappable",
        VfioRegionCapabilityCodec.Nvlink2SsatgtId => "Nvlink2Ssatgt",
        VfioRegionCapabilityCodec.Nvlink2LnkspdId => "Nvlink2Lnkspd",
        _ => "Unknown",
    };

    /// <summary>vfio_region_info_cap_type.type; null for other capabilities.</summary>
    public uint? Type { get; }
    /// <summary>vfio_region_info_cap_type.subtype; null for other capabilities.</summary>
    public uint? Subtype { get; }
    /// <summary>The mmap-able areas of a SPARSE_MMAP capability (offsets inside the region); null for other capabilities.</summary>
    public VfioSparseMmapArea[]? Areas { get; }
    /// <summary>The capability's bytes, header included: its size for known ids, else up to the next capability or the end of the answer.</summary>
    public byte[] Data { get; }

    public override string ToString() => $"{Device} region {Index} capability {Id} v{Version} @{Offset}";
}
