using System;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Operations;

/// <summary>
/// Reads and writes of a device region through the channel (pread/pwrite at the region's fd offset from
/// VFIO_DEVICE_GET_REGION_INFO), checked first against what the region info says: the region exists and has a size,
/// its Read or Write flag is set, and the access lies inside it. A typed access is naturally aligned, so the device
/// sees one access of that width where the kernel can issue one (vfio-pci 6.1 splits 8-byte accesses into two
/// 4-byte ones; later kernels issue one 8-byte access). The kernel's own errno comes back with the operation's id.
/// </summary>
public static class RegionAccess
{
    /// <summary>The most bytes one call moves: far above a config space or an option ROM, well below memory trouble.</summary>
    public const int MaxLength = 16 * 1024 * 1024;

    /// <summary>The region's info, after checking that it can be <paramref name="write"/>-accessed at [offset, offset + length).</summary>
    public static VfioRegionInfo Locate(VfioDevice device, uint index, ulong offset, long length, bool write)
    {
        var info = RegionInfoReader.Read(device, index).Info;
        string where = $"{info.Name} (region {index}) of '{device.Name}'";
        if (!info.Supported)
            throw new VfioException("VfioRegionNotPresent", VfioErrorKind.ObjectNotFound,
                $"The device has no {where}: VFIO_DEVICE_GET_REGION_INFO answered {info.UnsupportedReason}.", device.Name);
        if (info.Size == 0)
            throw new VfioException("VfioRegionNotPresent", VfioErrorKind.ObjectNotFound,
                $"{Capitalize(where)} has size 0: the device does not implement it.", device.Name);
        var needed = write ? VfioRegionFlags.Write : VfioRegionFlags.Read;
        if ((info.Flags & needed) == 0)
            throw new VfioException(write ? "VfioRegionNotWritable" : "VfioRegionNotReadable", VfioErrorKind.InvalidOperation,
                $"{Capitalize(where)} cannot be {(write ? "written" : "read")}: its flags are {info.Flags}.", device.Name);
        if (length <= 0 || length > MaxLength)
            throw new VfioException("VfioRegionLengthInvalid", VfioErrorKind.InvalidArgument,
                $"An access moves 1 to {MaxLength} bytes; {length} were asked for.", device.Name);
        if (offset >= info.Size || (ulong)length > info.Size - offset)
            throw new VfioException("VfioRegionOutOfRange", VfioErrorKind.InvalidArgument,
                $"Offset 0x{offset:x} and {length} byte(s) run past the end of {where}, which has 0x{info.Size:x} bytes.", device.Name);
        // pread/pwrite take a signed 64-bit offset: a region the device places beyond it cannot be reached.
        if (info.Offset > long.MaxValue || offset > (ulong)long.MaxValue - info.Offset)
            throw new VfioException("VfioRegionOutOfRange", VfioErrorKind.InvalidArgument,
                $"{Capitalize(where)} starts at fd offset 0x{info.Offset:x}; offset 0x{offset:x} in it is beyond what pread/pwrite can reach.", device.Name);
        return info;
    }

    /// <summary>Reads <paramref name="length"/> bytes; <paramref name="width"/> 1, 2, 4 or 8 makes it a typed value (length = width).</summary>
    public static VfioRegionData Read(VfioDevice device, uint index, ulong offset, int length, int width = 0)
    {
        CheckWidth(device, offset, width, ref length);
        var info = Locate(device, index, offset, length, write: false);
        var buffer = new byte[length];
        var result = BarClaimRetry.Run(device, index, () => device.OpenChannel.Read(buffer, (long)(info.Offset + offset)));
        Check(device, info, offset, length, result, write: false);
        return new VfioRegionData(device.Name, index, info.Name, offset, width, buffer);
    }

    /// <summary>Writes <paramref name="data"/>; <paramref name="width"/> as for <see cref="Read"/> (for the record and the alignment check).</summary>
    public static VfioRegionData Write(VfioDevice device, uint index, ulong offset, byte[] data, int width = 0)
    {
        int length = data.Length;
        CheckWidth(device, offset, width, ref length);
        var info = Locate(device, index, offset, length, write: true);
        var result = BarClaimRetry.Run(device, index, () => device.OpenChannel.Write(data, (long)(info.Offset + offset)));
        Check(device, info, offset, length, result, write: true);
        return new VfioRegionData(device.Name, index, info.Name, offset, width, (byte[])data.Clone());
    }

    /// <summary>A value of <paramref name="width"/> bytes, little-endian, refusing one that does not fit.</summary>
    public static byte[] Encode(ulong value, int width, string device)
    {
        if (width is not (1 or 2 or 4 or 8))
            throw new VfioException("VfioRegionWidthInvalid", VfioErrorKind.InvalidArgument, $"A width is 1, 2, 4 or 8 bytes, not {width}.", device);
        if (width < 8 && value >> (8 * width) != 0)
            throw new VfioException("VfioRegionValueTooWide", VfioErrorKind.InvalidArgument,
                $"0x{value:x} does not fit in {width} byte(s).", device);
        var bytes = new byte[width];
        for (int i = 0; i < width; i++) bytes[i] = (byte)(value >> (8 * i));
        return bytes;
    }

    private static void CheckWidth(VfioDevice device, ulong offset, int width, ref int length)
    {
        if (width == 0) return;
        if (width is not (1 or 2 or 4 or 8))
            throw new VfioException("VfioRegionWidthInvalid", VfioErrorKind.InvalidArgument, $"A width is 1, 2, 4 or 8 bytes, not {width}.", device.Name);
        if (offset % (ulong)width != 0)
            throw new VfioException("VfioRegionUnaligned", VfioErrorKind.InvalidArgument,
                $"A {width}-byte value must sit at a multiple of {width}; offset 0x{offset:x} is not. Use -Length (or -Bytes) for unaligned bytes: the kernel splits them into smaller accesses.",
                device.Name);
        length = width;
    }

    private static void Check(VfioDevice device, VfioRegionInfo info, ulong offset, int length, RegionIoResult result, bool write)
    {
        string what = $"{(write ? "pwrite" : "pread")} of {length} byte(s) at 0x{offset:x} of {info.Name} (region {info.Index}) of '{device.Name}'";
        if (result.IsError)
        {
            string hint = result.Errno == Errno.EIO && info.Index <= 6
                ? " vfio-pci refuses memory BAR and ROM access while memory decoding is off in the command register (bit 1 at config offset 4): Set-VfioPciConfig can turn it on."
                : result.Errno == Errno.EBUSY && info.Index <= BarClaimRetry.LastBarIndex
                ? $" vfio-pci could not claim the BAR's resource ({BarClaimRetry.Attempts} tries): another driver holds it; /proc/iomem or /proc/ioports names it."
                : "";
            var e = VfioException.FromIoctl(write ? "VfioRegionWriteFailed" : "VfioRegionReadFailed", what, result.Errno, device.Name);
            throw hint.Length == 0 ? e : new VfioException(e.ErrorId, e.Kind, e.Message + hint, device.Name, e.Errno);
        }
        if (result.Transferred != length)
            throw new VfioException("VfioRegionShortTransfer", VfioErrorKind.DeviceError,
                $"{Capitalize(what)} moved {result.Transferred} byte(s).", device.Name);
    }

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text.Substring(1);
}
