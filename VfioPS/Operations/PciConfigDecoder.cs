using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;

namespace VfioPS.Operations;

/// <summary>
/// Decodes PCI config space bytes (a copy of what the CONFIG region returned) into a <see cref="VfioPciConfig"/>.
/// Pure: no device, no I/O. The capability walks follow the same rules as the VFIO chain walk: every pointer is
/// checked against the space before it is read, each offset is visited once (a cycle ends the walk), and the depth is
/// capped by how many capabilities could fit; whatever stopped a walk early is reported in Faults, and everything read
/// before it is kept.
/// </summary>
public static class PciConfigDecoder
{
    /// <summary>Config space of a conventional function.</summary>
    public const int ConventionalSize = 256;
    /// <summary>The type-0 header: the first standard capability sits at or after it.</summary>
    public const int HeaderSize = 0x40;
    public const int ExtendedStart = 0x100;

    public static VfioPciConfig Decode(string device, ReadOnlySpan<byte> config)
    {
        if (config.Length < HeaderSize)
            throw new VfioException("VfioPciConfigTooShort", VfioErrorKind.InvalidData,
                $"Config space of '{device}' has {config.Length} bytes; the standard header alone has {HeaderSize}.", device);
        byte[] bytes = config.ToArray();
        var faults = new List<string>();
        var bars = Bars(bytes);
        var standard = (bytes[0x06] & 0x10) != 0 ? StandardList(device, bytes, faults) : new List<VfioPciCapability>();
        // A header dword at 0x100 must be there whole before the extended list is looked at.
        var extended = bytes.Length >= ExtendedStart + 4 ? ExtendedList(device, bytes, faults) : new List<VfioPciCapability>();
        return new VfioPciConfig(device, bytes, bars, standard.ToArray(), extended.ToArray(), faults.ToArray());
    }

    private static ushort U16(byte[] b, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(offset));
    private static uint U32(byte[] b, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(offset));

    private static VfioPciBar[] Bars(byte[] b)
    {
        int count = (b[0x0E] & 0x7F) switch { 0 => 6, 1 => 2, _ => 0 };
        var bars = new VfioPciBar[count];
        bool upper = false;
        for (int i = 0; i < count; i++)
        {
            uint register = U32(b, 0x10 + 4 * i);
            if (upper)
            {
                bars[i] = new VfioPciBar(i, register, null, isUpperHalf: true);
                upper = false;
                continue;
            }
            bool is64 = (register & 0x1) == 0 && ((register >> 1) & 0x3) == 0x2 && i + 1 < count;
            bars[i] = new VfioPciBar(i, register, is64 ? U32(b, 0x10 + 4 * (i + 1)) : null, isUpperHalf: false);
            upper = is64;
        }
        return bars;
    }

    /// <summary>
    /// The list from the pointer at 0x34: dword-aligned pointers (the low two bits are reserved) in 0x40..0xFF, and
    /// inside the bytes given (a config space read short, under 256 bytes, ends the list where the bytes end).
    /// </summary>
    private static List<VfioPciCapability> StandardList(string device, byte[] b, List<string> faults)
    {
        int limit = Math.Min(b.Length, ConventionalSize);
        var found = new List<(int Offset, byte Id, byte Next)>();
        var visited = new HashSet<int>();
        int pointer = b[0x34] & 0xFC;
        // At most one capability per dword between the header and the end of the 256-byte space.
        int budget = (ConventionalSize - HeaderSize) / 4;
        while (pointer != 0)
        {
            if (pointer < HeaderSize || pointer + 2 > limit)
            {
                faults.Add(limit < ConventionalSize && pointer >= HeaderSize && pointer < ConventionalSize
                    ? $"capability pointer 0x{pointer:x2} is past the {limit} bytes of config space read"
                    : $"capability pointer 0x{pointer:x2} is outside 0x40..0xff");
                break;
            }
            if (!visited.Add(pointer))
            {
                faults.Add($"capability list loops back to 0x{pointer:x2}");
                break;
            }
            if (budget-- == 0)
            {
                faults.Add("capability list is longer than 48 entries");
                break;
            }
            found.Add((pointer, b[pointer], b[pointer + 1]));
            pointer = b[pointer + 1] & 0xFC;
        }
        var starts = found.Select(f => f.Offset).ToArray();
        return found.Select(f => Standard(device, b, f.Offset, f.Id, f.Next, Extent(b, limit, f.Offset, f.Id, starts), limit)).ToList();
    }

    /// <summary>How many bytes a standard capability spans: its defined length where the id says, else up to the next one.</summary>
    private static int Extent(byte[] b, int limit, int offset, byte id, int[] starts)
    {
        int next = starts.Where(s => s > offset).DefaultIfEmpty(limit).Min();
        // The length fields sit in the capability's first dword; one cut off by the end of the bytes defines nothing.
        int defined = offset + 4 > limit ? next - offset : id switch
        {
            0x01 => 8,
            0x05 => MsiLength(U16(b, offset + 2)),
            0x11 => 12,
            0x10 => (b[offset + 2] & 0xF) >= 2 ? 0x3C : 0x24,
            0x09 => Math.Max(3, (int)b[offset + 2]),
            _ => next - offset,
        };
        return Math.Max(2, Math.Min(defined, limit - offset));
    }

    private static int MsiLength(ushort control) => 10 + ((control & 0x80) != 0 ? 4 : 0) + ((control & 0x100) != 0 ? 10 : 0);

    private static VfioPciCapability Standard(string device, byte[] b, int offset, byte id, byte next, int length, int limit)
    {
        byte[] bytes = b.AsSpan(offset, length).ToArray();
        ushort o = (ushort)offset;
        bool Has(int relative, int size) => relative + size <= length;
        switch (id)
        {
            case 0x05 when Has(0, 10):
            {
                ushort control = U16(b, offset + 2);
                bool is64 = (control & 0x80) != 0, masking = (control & 0x100) != 0;
                ulong address = U32(b, offset + 4);
                if (is64 && Has(8, 4)) address |= (ulong)U32(b, offset + 8) << 32;
                int dataAt = is64 ? 12 : 8;
                ushort data = Has(dataAt, 2) ? U16(b, offset + dataAt) : (ushort)0;
                uint? mask = masking && Has(dataAt + 4, 4) ? U32(b, offset + dataAt + 4) : null;
                uint? pending = masking && Has(dataAt + 8, 4) ? U32(b, offset + dataAt + 8) : null;
                return new VfioPciMsiCapability(device, o, next, bytes, control, address, data, mask, pending);
            }
            case 0x11 when Has(0, 12):
                return new VfioPciMsixCapability(device, o, next, bytes, U16(b, offset + 2), U32(b, offset + 4), U32(b, offset + 8));
            case 0x01 when Has(0, 6):
                return new VfioPciPowerManagementCapability(device, o, next, bytes, U16(b, offset + 2), U16(b, offset + 4));
            case 0x10 when Has(0, 12):
            {
                bool link = offset + 0x14 <= limit;
                return new VfioPciExpressCapability(device, o, next, bytes, U16(b, offset + 2), U32(b, offset + 4), U16(b, offset + 8),
                    U16(b, offset + 0x0A), link ? U32(b, offset + 0x0C) : null, link ? U16(b, offset + 0x10) : null, link ? U16(b, offset + 0x12) : null);
            }
            default:
                return new VfioPciCapability(device, false, o, id, 0, next, bytes);
        }
    }

    /// <summary>
    /// The extended list from 0x100: a header dword of 0 (or all ones, nothing there) means no extended capabilities;
    /// next pointers are dword-aligned offsets in 0x100..end, 0 ends the list.
    /// </summary>
    private static List<VfioPciCapability> ExtendedList(string device, byte[] b, List<string> faults)
    {
        var found = new List<(int Offset, uint Header)>();
        var visited = new HashSet<int>();
        int offset = ExtendedStart;
        int budget = (b.Length - ExtendedStart) / 4;
        uint first = U32(b, ExtendedStart);
        if (first is 0 or 0xFFFFFFFF) return new List<VfioPciCapability>();
        while (true)
        {
            if (offset < ExtendedStart || offset + 4 > b.Length)
            {
                faults.Add($"extended capability pointer 0x{offset:x3} is outside 0x100..0x{b.Length - 1:x3}");
                break;
            }
            if (!visited.Add(offset))
            {
                faults.Add($"extended capability list loops back to 0x{offset:x3}");
                break;
            }
            if (budget-- == 0)
            {
                faults.Add("extended capability list is longer than config space allows");
                break;
            }
            uint header = U32(b, offset);
            found.Add((offset, header));
            int next = (int)(header >> 20) & 0xFFC;
            if (next == 0) break;
            offset = next;
        }
        var starts = found.Select(f => f.Offset).ToArray();
        var list = new List<VfioPciCapability>();
        foreach (var (at, header) in found)
        {
            ushort id = (ushort)(header & 0xFFFF);
            byte version = (byte)((header >> 16) & 0xF);
            ushort next = (ushort)((header >> 20) & 0xFFF);
            int end = starts.Where(s => s > at).DefaultIfEmpty(b.Length).Min();
            int defined = id switch { 0x0001 => 0x2C, 0x0003 => 0x0C, _ => Math.Min(end - at, 0x100) };
            int length = Math.Max(4, Math.Min(defined, b.Length - at));
            byte[] bytes = b.AsSpan(at, length).ToArray();
            if (id == 0x0001 && length >= 0x1C)
            {
                var registers = Enumerable.Range(0, 6).Select(i => U32(b, at + 4 + 4 * i)).ToArray();
                list.Add(new VfioPciAerCapability(device, (ushort)at, version, next, bytes, registers));
            }
            else
            {
                list.Add(new VfioPciCapability(device, true, (ushort)at, id, version, next, bytes));
            }
        }
        return list;
    }
}
