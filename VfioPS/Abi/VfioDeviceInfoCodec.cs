using System;
using System.Buffers.Binary;

namespace VfioPS.Abi;

/// <summary>Decoded struct vfio_device_info. CapOffset is null when the answer was the 16-byte form.</summary>
public readonly record struct VfioDeviceInfoData(
    uint Argsz, VfioDeviceFlags Flags, uint NumRegions, uint NumIrqs, uint? CapOffset);

/// <summary>
/// struct vfio_device_info: argsz@0 flags@4 num_regions@8 num_irqs@12 cap_offset@16 pad@20.
/// 24 bytes in mainline, 20 before the 2023 capability alignment change, 16 up to num_irqs (the kernel's minsz).
/// </summary>
public static class VfioDeviceInfoCodec
{
    public const int ArgszOffset = 0;
    public const int FlagsOffset = 4;
    public const int NumRegionsOffset = 8;
    public const int NumIrqsOffset = 12;
    public const int CapOffsetOffset = 16;
    public const int PadOffset = 20;

    /// <summary>offsetofend(num_irqs): the kernel's minsz.</summary>
    public const int MinSize = 16;
    /// <summary>The form with cap_offset but no pad (headers before Aug 2023).</summary>
    public const int SizeWithCapOffset = 20;
    /// <summary>sizeof(struct vfio_device_info) in mainline.</summary>
    public const int Size = 24;

    /// <summary>Zeroes <paramref name="buffer"/> and writes argsz, ready for VFIO_DEVICE_GET_INFO.</summary>
    public static void EncodeRequest(Span<byte> buffer, uint argsz)
    {
        if (buffer.Length < MinSize) throw new ArgumentException($"A vfio_device_info buffer needs at least {MinSize} bytes.", nameof(buffer));
        buffer.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(ArgszOffset), argsz);
    }

    /// <summary>Writes every field that fits in <paramref name="buffer"/> (16, 20 or 24 bytes or more).</summary>
    public static void Encode(Span<byte> buffer, in VfioDeviceInfoData info)
    {
        if (buffer.Length < MinSize) throw new ArgumentException($"A vfio_device_info buffer needs at least {MinSize} bytes.", nameof(buffer));
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(ArgszOffset), info.Argsz);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(FlagsOffset), (uint)info.Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(NumRegionsOffset), info.NumRegions);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(NumIrqsOffset), info.NumIrqs);
        if (buffer.Length >= SizeWithCapOffset)
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(CapOffsetOffset), info.CapOffset ?? 0);
        if (buffer.Length >= Size)
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(PadOffset), 0);
    }

    /// <summary>Reads the fields present in <paramref name="buffer"/>; cap_offset only from the 20-byte form on.</summary>
    public static VfioDeviceInfoData Decode(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < MinSize) throw new ArgumentException($"A vfio_device_info answer has at least {MinSize} bytes.", nameof(buffer));
        return new VfioDeviceInfoData(
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(ArgszOffset)),
            (VfioDeviceFlags)BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(FlagsOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(NumRegionsOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(NumIrqsOffset)),
            buffer.Length >= SizeWithCapOffset ? BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(CapOffsetOffset)) : null);
    }
}
