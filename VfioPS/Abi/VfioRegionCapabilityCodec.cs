using System;
using System.Buffers.Binary;

namespace VfioPS.Abi;

/// <summary>One mmap-able area of a region (struct vfio_region_sparse_mmap_area): offset inside the region, size.</summary>
public readonly record struct VfioSparseMmapArea(ulong Offset, ulong Size);

/// <summary>Decoded struct vfio_region_info_cap_type.</summary>
public readonly record struct VfioRegionCapTypeData(VfioCapabilityHeader Header, uint Type, uint Subtype);

/// <summary>
/// The region capabilities of include/uapi/linux/vfio.h, each after the 8-byte vfio_info_cap_header:
/// SPARSE_MMAP (id 1) = u32 nr_areas@8, u32 reserved@12, areas[{u64 offset, u64 size}]@16;
/// TYPE (id 2) = u32 type@8, u32 subtype@12 (16 bytes); MSIX_MAPPABLE (id 3) = the header alone;
/// NVLINK2_SSATGT (4) and NVLINK2_LNKSPD (5) are deprecated and kept raw.
/// </summary>
public static class VfioRegionCapabilityCodec
{
    public const ushort SparseMmapId = 1;
    public const ushort TypeId = 2;
    public const ushort MsixMappableId = 3;
    public const ushort Nvlink2SsatgtId = 4;
    public const ushort Nvlink2LnkspdId = 5;

    public const int SparseNrAreasOffset = 8;
    public const int SparseReservedOffset = 12;
    public const int SparseAreasOffset = 16;
    public const int SparseAreaSize = 16;

    public const int TypeTypeOffset = 8;
    public const int TypeSubtypeOffset = 12;
    public const int TypeSize = 16;

    public const int MsixMappableSize = VfioCapabilityCodec.HeaderSize;

    /// <summary>VFIO_REGION_TYPE_PCI_VENDOR_TYPE: the high bit, OR-ed with the PCI vendor id in the low 16 bits.</summary>
    public const uint PciVendorType = 1u << 31;
    public const uint PciVendorMask = 0xffff;
    /// <summary>VFIO_REGION_TYPE_GFX, VFIO_REGION_TYPE_CCW, VFIO_REGION_TYPE_MIGRATION_DEPRECATED.</summary>
    public const uint TypeGfx = 1;
    public const uint TypeCcw = 2;
    public const uint TypeMigrationDeprecated = 3;
    /// <summary>VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION / _HOST_CFG / _LPC_CFG (type PCI_VENDOR_TYPE | 0x8086).</summary>
    public const uint SubtypeIntelIgdOpregion = 1;
    public const uint SubtypeIntelIgdHostCfg = 2;
    public const uint SubtypeIntelIgdLpcCfg = 3;
    /// <summary>VFIO_REGION_SUBTYPE_GFX_EDID.</summary>
    public const uint SubtypeGfxEdid = 1;
    /// <summary>VFIO_REGION_SUBTYPE_CCW_ASYNC_CMD / _SCHIB / _CRW.</summary>
    public const uint SubtypeCcwAsyncCmd = 1;
    public const uint SubtypeCcwSchib = 2;
    public const uint SubtypeCcwCrw = 3;
    /// <summary>VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED.</summary>
    public const uint SubtypeMigrationDeprecated = 1;

    /// <summary>The size of a region capability whose layout is fixed, by id; 0 for SPARSE_MMAP (it varies) and unknown ids.</summary>
    public static int FixedSize(ushort id) => id switch
    {
        TypeId => TypeSize,
        MsixMappableId => MsixMappableSize,
        _ => 0,
    };

    /// <summary>nr_areas of a SPARSE_MMAP capability, from its bytes (header included).</summary>
    public static uint DecodeSparseAreaCount(ReadOnlySpan<byte> capability)
    {
        if (capability.Length < SparseAreasOffset) throw new ArgumentException($"A SPARSE_MMAP capability has at least {SparseAreasOffset} bytes.", nameof(capability));
        return BinaryPrimitives.ReadUInt32LittleEndian(capability.Slice(SparseNrAreasOffset));
    }

    /// <summary>The bytes a SPARSE_MMAP capability with <paramref name="areaCount"/> areas occupies.</summary>
    public static long SparseSize(uint areaCount) => SparseAreasOffset + (long)areaCount * SparseAreaSize;

    /// <summary>The areas of a SPARSE_MMAP capability; the caller checks first that the bytes hold nr_areas of them.</summary>
    public static VfioSparseMmapArea[] DecodeSparseAreas(ReadOnlySpan<byte> capability)
    {
        uint count = DecodeSparseAreaCount(capability);
        if (SparseSize(count) > capability.Length)
            throw new ArgumentException($"A SPARSE_MMAP capability with {count} areas needs {SparseSize(count)} bytes, not {capability.Length}.", nameof(capability));
        var areas = new VfioSparseMmapArea[count];
        for (int i = 0; i < areas.Length; i++)
        {
            var area = capability.Slice(SparseAreasOffset + i * SparseAreaSize);
            areas[i] = new VfioSparseMmapArea(BinaryPrimitives.ReadUInt64LittleEndian(area), BinaryPrimitives.ReadUInt64LittleEndian(area.Slice(8)));
        }
        return areas;
    }

    /// <summary>Writes a SPARSE_MMAP capability (header with next 0, nr_areas, reserved 0, the areas).</summary>
    public static byte[] EncodeSparseMmap(ushort version, ReadOnlySpan<VfioSparseMmapArea> areas)
    {
        var bytes = new byte[SparseSize((uint)areas.Length)];
        VfioCapabilityCodec.EncodeHeader(bytes, new VfioCapabilityHeader(SparseMmapId, version, 0));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(SparseNrAreasOffset), (uint)areas.Length);
        for (int i = 0; i < areas.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(SparseAreasOffset + i * SparseAreaSize), areas[i].Offset);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(SparseAreasOffset + i * SparseAreaSize + 8), areas[i].Size);
        }
        return bytes;
    }

    public static VfioRegionCapTypeData DecodeType(ReadOnlySpan<byte> capability)
    {
        if (capability.Length < TypeSize) throw new ArgumentException($"vfio_region_info_cap_type has {TypeSize} bytes.", nameof(capability));
        return new VfioRegionCapTypeData(
            VfioCapabilityCodec.DecodeHeader(capability),
            BinaryPrimitives.ReadUInt32LittleEndian(capability.Slice(TypeTypeOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(capability.Slice(TypeSubtypeOffset)));
    }

    public static byte[] EncodeType(ushort version, uint type, uint subtype)
    {
        var bytes = new byte[TypeSize];
        VfioCapabilityCodec.EncodeHeader(bytes, new VfioCapabilityHeader(TypeId, version, 0));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(TypeTypeOffset), type);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(TypeSubtypeOffset), subtype);
        return bytes;
    }
}
