using System;
using System.Buffers.Binary;

namespace VfioPS.Abi;

/// <summary>Decoded struct vfio_info_cap_header.</summary>
public readonly record struct VfioCapabilityHeader(ushort Id, ushort Version, uint Next);

/// <summary>Decoded struct vfio_irq_info_cap_type (the seed's TYPE capability).</summary>
public readonly record struct VfioIrqCapTypeData(VfioCapabilityHeader Header, uint Type, uint Subtype);

/// <summary>
/// struct vfio_info_cap_header {u16 id@0; u16 version@2; u32 next@4} (8 bytes, align 4), and the seed's
/// struct vfio_irq_info_cap_type {header@0; u32 type@8; u32 subtype@12} (16 bytes).
/// Offsets in the chain (cap_offset, next) count from the start of the INFO buffer, not of the capability.
/// </summary>
public static class VfioCapabilityCodec
{
    public const int HeaderIdOffset = 0;
    public const int HeaderVersionOffset = 2;
    public const int HeaderNextOffset = 4;
    public const int HeaderSize = 8;

    public const int CapTypeTypeOffset = 8;
    public const int CapTypeSubtypeOffset = 12;
    public const int CapTypeSize = 16;

    /// <summary>VFIO_IRQ_INFO_CAP_TYPE as the seed numbers it (3; v5/v6 of the series renumbered it to 1).</summary>
    public const ushort IrqInfoCapType = 3;

    /// <summary>VFIO_IRQ_TYPE_GFX and its VFIO_IRQ_SUBTYPE_GFX_DISPLAY_IRQ, from the seed's series.</summary>
    public const uint IrqTypeGfx = 1;
    public const uint IrqSubtypeGfxDisplayIrq = 1;

    public static void EncodeHeader(Span<byte> buffer, in VfioCapabilityHeader header)
    {
        if (buffer.Length < HeaderSize) throw new ArgumentException($"A capability header needs {HeaderSize} bytes.", nameof(buffer));
        BinaryPrimitives.WriteUInt16LittleEndian(buffer.Slice(HeaderIdOffset), header.Id);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer.Slice(HeaderVersionOffset), header.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(HeaderNextOffset), header.Next);
    }

    public static VfioCapabilityHeader DecodeHeader(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < HeaderSize) throw new ArgumentException($"A capability header has {HeaderSize} bytes.", nameof(buffer));
        return new VfioCapabilityHeader(
            BinaryPrimitives.ReadUInt16LittleEndian(buffer.Slice(HeaderIdOffset)),
            BinaryPrimitives.ReadUInt16LittleEndian(buffer.Slice(HeaderVersionOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(HeaderNextOffset)));
    }

    public static void EncodeIrqCapType(Span<byte> buffer, in VfioIrqCapTypeData cap)
    {
        if (buffer.Length < CapTypeSize) throw new ArgumentException($"vfio_irq_info_cap_type needs {CapTypeSize} bytes.", nameof(buffer));
        EncodeHeader(buffer, cap.Header);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(CapTypeTypeOffset), cap.Type);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(CapTypeSubtypeOffset), cap.Subtype);
    }

    public static VfioIrqCapTypeData DecodeIrqCapType(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < CapTypeSize) throw new ArgumentException($"vfio_irq_info_cap_type has {CapTypeSize} bytes.", nameof(buffer));
        return new VfioIrqCapTypeData(
            DecodeHeader(buffer),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(CapTypeTypeOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(CapTypeSubtypeOffset)));
    }
}
