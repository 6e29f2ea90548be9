using System;
using System.Buffers.Binary;

namespace VfioPS.Abi;

/// <summary>vfio_region_info.flags (include/uapi/linux/vfio.h). Bits the module does not know are kept, not dropped.</summary>
[Flags]
public enum VfioRegionFlags : uint
{
    None = 0,
    Read = 1u << 0,
    Write = 1u << 1,
    Mmap = 1u << 2,
    Caps = 1u << 3,
}

/// <summary>The fixed vfio-pci region indexes. Indexes at or above <see cref="VfioPciRegion.NumFixed"/> are device specific.</summary>
public enum VfioPciRegionIndex : uint
{
    Bar0 = 0,
    Bar1 = 1,
    Bar2 = 2,
    Bar3 = 3,
    Bar4 = 4,
    Bar5 = 5,
    Rom = 6,
    Config = 7,
    Vga = 8,
}

public static class VfioPciRegion
{
    /// <summary>VFIO_PCI_NUM_REGIONS = 9: "Fixed user ABI, region indexes >=9 use device specific cap to define content".</summary>
    public const uint NumFixed = 9;
}

/// <summary>Decoded struct vfio_region_info.</summary>
public readonly record struct VfioRegionInfoData(uint Argsz, VfioRegionFlags Flags, uint Index, uint CapOffset, ulong Size, ulong Offset);

/// <summary>
/// struct vfio_region_info: argsz@0 flags@4 index@8 cap_offset@12 size@16 (u64) offset@24 (u64); 32 bytes, align 8.
/// cap_offset took the place of a reserved word, so the struct never changed size: the kernel's minsz is the whole
/// struct, it always copies 32 bytes back, and a capability chain starts at 32.
/// </summary>
public static class VfioRegionInfoCodec
{
    public const int ArgszOffset = 0;
    public const int FlagsOffset = 4;
    public const int IndexOffset = 8;
    public const int CapOffsetOffset = 12;
    public const int SizeOffset = 16;
    public const int OffsetOffset = 24;

    /// <summary>sizeof(struct vfio_region_info), and the kernel's minsz (offsetofend(offset)).</summary>
    public const int Size = 32;

    /// <summary>Zeroes the buffer and writes argsz and index, ready for VFIO_DEVICE_GET_REGION_INFO.</summary>
    public static void EncodeRequest(Span<byte> buffer, uint argsz, uint index)
    {
        if (buffer.Length < Size) throw new ArgumentException($"A vfio_region_info buffer needs at least {Size} bytes.", nameof(buffer));
        buffer.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(ArgszOffset), argsz);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(IndexOffset), index);
    }

    /// <summary>Writes the 32-byte struct.</summary>
    public static void Encode(Span<byte> buffer, in VfioRegionInfoData info)
    {
        if (buffer.Length < Size) throw new ArgumentException($"A vfio_region_info buffer needs at least {Size} bytes.", nameof(buffer));
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(ArgszOffset), info.Argsz);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(FlagsOffset), (uint)info.Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(IndexOffset), info.Index);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(CapOffsetOffset), info.CapOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.Slice(SizeOffset), info.Size);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.Slice(OffsetOffset), info.Offset);
    }

    public static VfioRegionInfoData Decode(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < Size) throw new ArgumentException($"A vfio_region_info answer has at least {Size} bytes.", nameof(buffer));
        return new VfioRegionInfoData(
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(ArgszOffset)),
            (VfioRegionFlags)BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(FlagsOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(IndexOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(CapOffsetOffset)),
            BinaryPrimitives.ReadUInt64LittleEndian(buffer.Slice(SizeOffset)),
            BinaryPrimitives.ReadUInt64LittleEndian(buffer.Slice(OffsetOffset)));
    }
}
