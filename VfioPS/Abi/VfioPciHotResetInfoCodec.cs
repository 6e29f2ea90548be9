using System;
using System.Buffers.Binary;

namespace VfioPS.Abi;

/// <summary>vfio_pci_hot_reset_info.flags (include/uapi/linux/vfio.h). Set only on a device opened through its cdev (6.6+).</summary>
[Flags]
public enum VfioPciHotResetFlags : uint
{
    None = 0,
    /// <summary>VFIO_PCI_HOT_RESET_FLAG_DEV_ID: the entries carry iommufd device ids, not IOMMU group ids.</summary>
    DevId = 1u << 0,
    /// <summary>VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED: every affected device is owned by the caller's iommufd context.</summary>
    DevIdOwned = 1u << 1,
}

/// <summary>The header of struct vfio_pci_hot_reset_info as the device left it.</summary>
public readonly record struct VfioPciHotResetInfoHeader(uint Argsz, VfioPciHotResetFlags Flags, uint Count);

/// <summary>
/// struct vfio_pci_dependent_device: group_id (or devid with FLAG_DEV_ID) @0, segment @4, bus @6, devfn @7.
/// </summary>
public readonly record struct VfioPciDependentDevice(uint GroupIdOrDevId, ushort Segment, byte Bus, byte DevFn)
{
    public byte Slot => (byte)(DevFn >> 3);
    public byte Function => (byte)(DevFn & 7);

    /// <summary>DDDD:BB:SS.F, as sysfs names the device.</summary>
    public string Address => $"{Segment:x4}:{Bus:x2}:{Slot:x2}.{Function}";
}

/// <summary>
/// VFIO_DEVICE_GET_PCI_HOT_RESET_INFO (0x3B70 on a device fd): struct vfio_pci_hot_reset_info is argsz@0 flags@4
/// count@8 and the devices[] array from offset 12, 8 bytes an entry (u32 alignment, so no padding). The kernel's
/// minsz is offsetofend(count) = 12 = sizeof(struct vfio_pci_hot_reset_info); a buffer that cannot hold every
/// affected device gets ENOSPC with the count written into the header, and the caller retries with
/// 12 + 8 * count bytes.
/// </summary>
public static class VfioPciHotResetInfoCodec
{
    public const int ArgszOffset = 0;
    public const int FlagsOffset = 4;
    public const int CountOffset = 8;
    public const int DevicesOffset = 12;

    /// <summary>offsetofend(count): the kernel's minsz and sizeof the header.</summary>
    public const int HeaderSize = 12;
    /// <summary>sizeof(struct vfio_pci_dependent_device).</summary>
    public const int DeviceSize = 8;

    public const int DeviceGroupIdOffset = 0;
    public const int DeviceSegmentOffset = 4;
    public const int DeviceBusOffset = 6;
    public const int DeviceDevFnOffset = 7;

    /// <summary>VFIO_PCI_DEVID_OWNED: with FLAG_DEV_ID, an affected device the caller owns without an iommufd device id.</summary>
    public const uint DevIdOwned = 0;
    /// <summary>VFIO_PCI_DEVID_NOT_OWNED: with FLAG_DEV_ID, an affected device the caller does not own.</summary>
    public const uint DevIdNotOwned = 0xFFFFFFFF;

    /// <summary>The argsz that holds <paramref name="count"/> entries.</summary>
    public static int SizeFor(uint count) => checked(HeaderSize + (int)count * DeviceSize);

    /// <summary>Zeroes <paramref name="buffer"/> and writes argsz, ready for the ioctl.</summary>
    public static void EncodeRequest(Span<byte> buffer, uint argsz)
    {
        if (buffer.Length < HeaderSize) throw new ArgumentException($"A vfio_pci_hot_reset_info buffer needs at least {HeaderSize} bytes.", nameof(buffer));
        buffer.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(ArgszOffset), argsz);
    }

    public static void EncodeHeader(Span<byte> buffer, in VfioPciHotResetInfoHeader header)
    {
        if (buffer.Length < HeaderSize) throw new ArgumentException($"A vfio_pci_hot_reset_info buffer needs at least {HeaderSize} bytes.", nameof(buffer));
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(ArgszOffset), header.Argsz);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(FlagsOffset), (uint)header.Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(CountOffset), header.Count);
    }

    public static VfioPciHotResetInfoHeader DecodeHeader(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < HeaderSize) throw new ArgumentException($"A vfio_pci_hot_reset_info answer has at least {HeaderSize} bytes.", nameof(buffer));
        return new VfioPciHotResetInfoHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(ArgszOffset)),
            (VfioPciHotResetFlags)BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(FlagsOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(CountOffset)));
    }

    /// <summary>Writes entry <paramref name="index"/> of devices[] (offset 12 + 8 * index).</summary>
    public static void EncodeDevice(Span<byte> buffer, int index, in VfioPciDependentDevice device)
    {
        var entry = buffer.Slice(DevicesOffset + index * DeviceSize, DeviceSize);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.Slice(DeviceGroupIdOffset), device.GroupIdOrDevId);
        BinaryPrimitives.WriteUInt16LittleEndian(entry.Slice(DeviceSegmentOffset), device.Segment);
        entry[DeviceBusOffset] = device.Bus;
        entry[DeviceDevFnOffset] = device.DevFn;
    }

    /// <summary>Reads entry <paramref name="index"/> of devices[]; the caller checks that it lies inside the answer.</summary>
    public static VfioPciDependentDevice DecodeDevice(ReadOnlySpan<byte> buffer, int index)
    {
        var entry = buffer.Slice(DevicesOffset + index * DeviceSize, DeviceSize);
        return new VfioPciDependentDevice(
            BinaryPrimitives.ReadUInt32LittleEndian(entry.Slice(DeviceGroupIdOffset)),
            BinaryPrimitives.ReadUInt16LittleEndian(entry.Slice(DeviceSegmentOffset)),
            entry[DeviceBusOffset],
            entry[DeviceDevFnOffset]);
    }
}
