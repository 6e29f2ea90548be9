using System;
using System.Buffers.Binary;

namespace VfioPS.Abi;

/// <summary>vfio_device_info_cap_pci_atomic_comp.flags: the AtomicOp completer widths the device's root port supports.</summary>
[Flags]
public enum VfioPciAtomicCompFlags : uint
{
    None = 0,
    Comp32 = 1u << 0,
    Comp64 = 1u << 1,
    Comp128 = 1u << 2,
}

/// <summary>
/// Capabilities of the VFIO_DEVICE_INFO chain (first at 24, the size of vfio_device_info): the s390 zPCI ones (ids 1-4,
/// include/uapi/linux/vfio_zdev.h; kept raw here) and PCI_ATOMIC_COMP (id 5) = header + u32 flags@8 + u32 reserved@12.
/// </summary>
public static class VfioDeviceInfoCapabilityCodec
{
    public const ushort ZpciBaseId = 1;
    public const ushort ZpciGroupId = 2;
    public const ushort ZpciUtilId = 3;
    public const ushort ZpciPfipId = 4;
    public const ushort PciAtomicCompId = 5;

    public const int AtomicCompFlagsOffset = 8;
    public const int AtomicCompReservedOffset = 12;
    public const int AtomicCompSize = 16;

    /// <summary>The size of a device-info capability the module decodes, by id; 0 for the ones kept raw.</summary>
    public static int DecodedSize(ushort id) => id == PciAtomicCompId ? AtomicCompSize : 0;

    public static VfioPciAtomicCompFlags DecodeAtomicComp(ReadOnlySpan<byte> capability)
    {
        if (capability.Length < AtomicCompSize) throw new ArgumentException($"vfio_device_info_cap_pci_atomic_comp has {AtomicCompSize} bytes.", nameof(capability));
        return (VfioPciAtomicCompFlags)BinaryPrimitives.ReadUInt32LittleEndian(capability.Slice(AtomicCompFlagsOffset));
    }

    public static byte[] EncodeAtomicComp(ushort version, VfioPciAtomicCompFlags flags)
    {
        var bytes = new byte[AtomicCompSize];
        VfioCapabilityCodec.EncodeHeader(bytes, new VfioCapabilityHeader(PciAtomicCompId, version, 0));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(AtomicCompFlagsOffset), (uint)flags);
        return bytes;
    }

    /// <summary>The kernel's names for the device-info capability ids, for display.</summary>
    public static string Name(ushort id) => id switch
    {
        ZpciBaseId => "ZpciBase",
        ZpciGroupId => "ZpciGroup",
        ZpciUtilId => "ZpciUtil",
        ZpciPfipId => "ZpciPfip",
        PciAtomicCompId => "PciAtomicComp",
        _ => "Unknown",
    };
}
