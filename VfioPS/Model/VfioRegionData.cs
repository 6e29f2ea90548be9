using System;

namespace VfioPS;

/// <summary>
/// Bytes read from (or written to) a device region: where, how wide, and the value. A typed read (-Width 1, 2, 4 or 8)
/// carries the little-endian value; a byte read (-Length) carries only the bytes.
/// </summary>
public sealed class VfioRegionData
{
    internal VfioRegionData(string device, uint index, string region, ulong offset, int width, byte[] bytes)
    {
        Device = device;
        Index = index;
        Region = region;
        Offset = offset;
        Width = width;
        Bytes = bytes;
    }

    public string Device { get; }
    /// <summary>The region index (vfio-pci: BAR0..BAR5 = 0..5, ROM 6, CONFIG 7, VGA 8).</summary>
    public uint Index { get; }
    /// <summary>BAR0..BAR5, ROM, CONFIG, VGA, or the device-specific region's name.</summary>
    public string Region { get; }
    /// <summary>The offset inside the region (not inside the device fd).</summary>
    public ulong Offset { get; }
    /// <summary>1, 2, 4 or 8 for a typed value; 0 for raw bytes.</summary>
    public int Width { get; }
    public byte[] Bytes { get; }

    /// <summary>The little-endian value of a typed access; null for raw bytes.</summary>
    public ulong? Value
    {
        get
        {
            if (Width == 0) return null;
            ulong value = 0;
            for (int i = 0; i < Bytes.Length && i < 8; i++) value |= (ulong)Bytes[i] << (8 * i);
            return value;
        }
    }

    /// <summary>The value as 0x-prefixed hex padded to its width, or the bytes as hex pairs.</summary>
    public string Hex => Width == 0 ? Convert.ToHexString(Bytes).ToLowerInvariant() : "0x" + Value!.Value.ToString("x" + (Width * 2), System.Globalization.CultureInfo.InvariantCulture);

    public override string ToString() => $"{Device} {Region}+0x{Offset:x}: {Hex}";
}
