using System;
using System.Buffers.Binary;

namespace VfioPS.Abi;

/// <summary>Decoded struct vfio_irq_info. CapOffset is null when the answer was the 16-byte mainline form.</summary>
public readonly record struct VfioIrqInfoData(uint Argsz, VfioIrqFlags Flags, uint Index, uint Count, uint? CapOffset);

/// <summary>
/// struct vfio_irq_info: argsz@0 flags@4 index@8 count@12, and in the seed's proposal as corrected in review
/// cap_offset APPENDED @16. Count stays at 12, so a caller that passes argsz 16 reads every field where it always
/// did, and a kernel following the proposal writes nothing past byte 16 for it.
/// </summary>
public static class VfioIrqInfoCodec
{
    public const int ArgszOffset = 0;
    public const int FlagsOffset = 4;
    public const int IndexOffset = 8;
    public const int CountOffset = 12;
    public const int CapOffsetOffset = 16;

    /// <summary>sizeof(struct vfio_irq_info) in mainline, and the kernel's minsz (offsetofend(count)).</summary>
    public const int MainlineSize = 16;
    /// <summary>sizeof with cap_offset appended: offsetofend(cap_offset).</summary>
    public const int ExtendedSize = 20;

    /// <summary>Zeroes the buffer (so the word at 16 reads 0 after a kernel that leaves it alone) and writes argsz and index.</summary>
    public static void EncodeRequest(Span<byte> buffer, uint argsz, uint index)
    {
        if (buffer.Length < MainlineSize) throw new ArgumentException($"A vfio_irq_info buffer needs at least {MainlineSize} bytes.", nameof(buffer));
        buffer.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(ArgszOffset), argsz);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(IndexOffset), index);
    }

    /// <summary>Writes the 16-byte fields, and cap_offset when the buffer has the 20-byte form and CapOffset is set.</summary>
    public static void Encode(Span<byte> buffer, in VfioIrqInfoData info)
    {
        if (buffer.Length < MainlineSize) throw new ArgumentException($"A vfio_irq_info buffer needs at least {MainlineSize} bytes.", nameof(buffer));
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(ArgszOffset), info.Argsz);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(FlagsOffset), (uint)info.Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(IndexOffset), info.Index);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(CountOffset), info.Count);
        if (info.CapOffset is uint capOffset && buffer.Length >= ExtendedSize)
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(CapOffsetOffset), capOffset);
    }

    public static VfioIrqInfoData Decode(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < MainlineSize) throw new ArgumentException($"A vfio_irq_info answer has at least {MainlineSize} bytes.", nameof(buffer));
        return new VfioIrqInfoData(
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(ArgszOffset)),
            (VfioIrqFlags)BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(FlagsOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(IndexOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(CountOffset)),
            buffer.Length >= ExtendedSize ? BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(CapOffsetOffset)) : null);
    }
}
