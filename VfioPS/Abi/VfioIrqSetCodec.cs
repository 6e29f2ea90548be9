using System;
using System.Buffers.Binary;

namespace VfioPS.Abi;

/// <summary>vfio_irq_set.flags: one data type (bits 0-2) and one action (bits 3-5).</summary>
[Flags]
public enum VfioIrqSetFlags : uint
{
    None = 0,
    DataNone = 1u << 0,
    DataBool = 1u << 1,
    DataEventFd = 1u << 2,
    ActionMask = 1u << 3,
    ActionUnmask = 1u << 4,
    ActionTrigger = 1u << 5,
}

/// <summary>Decoded vfio_irq_set header.</summary>
public readonly record struct VfioIrqSetHeader(uint Argsz, VfioIrqSetFlags Flags, uint Index, uint Start, uint Count);

/// <summary>
/// struct vfio_irq_set {u32 argsz@0; u32 flags@4; u32 index@8; u32 start@12; u32 count@16; u8 data[]@20}.
/// DATA_BOOL carries one byte per vector, DATA_EVENTFD one s32 per vector, DATA_NONE nothing.
/// </summary>
public static class VfioIrqSetCodec
{
    public const int ArgszOffset = 0;
    public const int FlagsOffset = 4;
    public const int IndexOffset = 8;
    public const int StartOffset = 12;
    public const int CountOffset = 16;
    public const int DataOffset = 20;
    /// <summary>offsetofend(count): the kernel's minsz.</summary>
    public const int HeaderSize = 20;

    public const uint DataTypeMask = 0x07;
    public const uint ActionTypeMask = 0x38;

    /// <summary>Bytes per vector of a data type; -1 for anything but exactly one data type bit.</summary>
    public static int ElementSize(VfioIrqSetFlags flags) => ((uint)flags & DataTypeMask) switch
    {
        (uint)VfioIrqSetFlags.DataNone => 0,
        (uint)VfioIrqSetFlags.DataBool => 1,
        (uint)VfioIrqSetFlags.DataEventFd => 4,
        _ => -1,
    };

    public static void EncodeHeader(Span<byte> buffer, in VfioIrqSetHeader header)
    {
        if (buffer.Length < HeaderSize) throw new ArgumentException($"A vfio_irq_set needs at least {HeaderSize} bytes.", nameof(buffer));
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(ArgszOffset), header.Argsz);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(FlagsOffset), (uint)header.Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(IndexOffset), header.Index);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(StartOffset), header.Start);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(CountOffset), header.Count);
    }

    public static VfioIrqSetHeader DecodeHeader(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < HeaderSize) throw new ArgumentException($"A vfio_irq_set has at least {HeaderSize} bytes.", nameof(buffer));
        return new VfioIrqSetHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(ArgszOffset)),
            (VfioIrqSetFlags)BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(FlagsOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(IndexOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(StartOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(CountOffset)));
    }

    /// <summary>A whole DATA_NONE request: the 20-byte header, argsz 20.</summary>
    public static byte[] EncodeNone(VfioIrqSetFlags action, uint index, uint start, uint count)
    {
        var buffer = new byte[HeaderSize];
        EncodeHeader(buffer, new VfioIrqSetHeader(HeaderSize, action | VfioIrqSetFlags.DataNone, index, start, count));
        return buffer;
    }

    /// <summary>A whole DATA_BOOL request: one byte per vector after the header.</summary>
    public static byte[] EncodeBool(VfioIrqSetFlags action, uint index, uint start, ReadOnlySpan<bool> values)
    {
        var buffer = new byte[HeaderSize + values.Length];
        EncodeHeader(buffer, new VfioIrqSetHeader((uint)buffer.Length, action | VfioIrqSetFlags.DataBool, index, start, (uint)values.Length));
        for (int i = 0; i < values.Length; i++) buffer[DataOffset + i] = values[i] ? (byte)1 : (byte)0;
        return buffer;
    }

    /// <summary>A whole DATA_EVENTFD request: one s32 fd per vector after the header (-1 de-assigns).</summary>
    public static byte[] EncodeEventFds(VfioIrqSetFlags action, uint index, uint start, ReadOnlySpan<int> fds)
    {
        var buffer = new byte[HeaderSize + fds.Length * sizeof(int)];
        EncodeHeader(buffer, new VfioIrqSetHeader((uint)buffer.Length, action | VfioIrqSetFlags.DataEventFd, index, start, (uint)fds.Length));
        for (int i = 0; i < fds.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(DataOffset + i * sizeof(int)), fds[i]);
        return buffer;
    }

    /// <summary>The kernel names of a flags word, for messages: "ACTION_TRIGGER|DATA_EVENTFD".</summary>
    public static string Describe(VfioIrqSetFlags flags)
    {
        var parts = new System.Collections.Generic.List<string>();
        if ((flags & VfioIrqSetFlags.ActionMask) != 0) parts.Add("ACTION_MASK");
        if ((flags & VfioIrqSetFlags.ActionUnmask) != 0) parts.Add("ACTION_UNMASK");
        if ((flags & VfioIrqSetFlags.ActionTrigger) != 0) parts.Add("ACTION_TRIGGER");
        if ((flags & VfioIrqSetFlags.DataNone) != 0) parts.Add("DATA_NONE");
        if ((flags & VfioIrqSetFlags.DataBool) != 0) parts.Add("DATA_BOOL");
        if ((flags & VfioIrqSetFlags.DataEventFd) != 0) parts.Add("DATA_EVENTFD");
        uint unknown = (uint)flags & ~(DataTypeMask | ActionTypeMask);
        if (unknown != 0) parts.Add("0x" + unknown.ToString("X"));
        return parts.Count == 0 ? "0" : string.Join("|", parts);
    }
}
