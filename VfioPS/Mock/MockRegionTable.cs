using System;
using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Collections.Generic;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Mock;

/// <summary>
/// The bytes a mock region answers with past the 32-byte struct when its chain fits: cap_offset (32 for a chain the
/// mock laid out) and the chain itself, written from offset 32 with absolute next fields.
/// </summary>
public sealed record MockRegionCapabilityImage(uint CapOffset, byte[] Tail)
{
    /// <summary>The argsz a caller needs to receive the whole chain: 32 + the chain's size.</summary>
    public uint RequiredArgsz => (uint)(VfioRegionInfoCodec.Size + Tail.Length);
}

/// <summary>One region of a mock device: an errno it is refused with, or flags, size, offset and an optional chain.</summary>
public sealed record MockRegionProfile(uint Index, Errno Refusal, VfioRegionFlags Flags, ulong Size, ulong Offset, MockRegionCapabilityImage? Capabilities);

/// <summary>
/// The regions of a mock device and its VFIO_DEVICE_GET_REGION_INFO answer, as vfio_pci_ioctl_get_region_info gives it
/// (vfio-abi.md §2.3, measured on Debian's 6.1 in the kernel lane): minsz 32, EINVAL below it, for an index at or past
/// num_regions and for an index the device refuses (VGA without VGA); the 32 bytes are always copied back, with
/// argsz, index and cap_offset as the caller passed them (the kernel fills its copy of the caller's struct and only
/// writes cap_offset when the region has a chain); with a chain: the caps flag, and either the chain at 32 with
/// cap_offset 32 and argsz kept, or argsz raised to 32 + the chain's size and cap_offset 0. Nothing is written past
/// the chain. Immutable, shared by every device of a profile.
/// </summary>
public sealed class MockRegionTable
{
    /// <summary>A device without regions: every index is refused with EINVAL.</summary>
    public static MockRegionTable Empty { get; } = new(new Dictionary<uint, MockRegionProfile>());

    public MockRegionTable(IReadOnlyDictionary<uint, MockRegionProfile> regions) => Regions = regions.ToFrozenDictionary();

    /// <summary>Indexes without an entry are refused with EINVAL.</summary>
    public IReadOnlyDictionary<uint, MockRegionProfile> Regions { get; }

    /// <summary>VFIO_PCI_INDEX_TO_OFFSET: vfio-pci places region <paramref name="index"/> at index &lt;&lt; 40 in the device fd.</summary>
    public static ulong PciOffset(uint index) => (ulong)index << 40;

    /// <summary>The GET_REGION_INFO answer; <paramref name="argsz"/> is already known to fit in <paramref name="argument"/>.</summary>
    public IoctlResult GetRegionInfo(Span<byte> argument, uint argsz, uint numRegions)
    {
        // copy_from_user of minsz bytes: a buffer shorter than the struct is a fault, as in the kernel.
        if (argument.Length < VfioRegionInfoCodec.Size) return IoctlResult.Fail(Errno.EFAULT);
        if (argsz < VfioRegionInfoCodec.Size) return IoctlResult.Fail(Errno.EINVAL);

        uint index = BinaryPrimitives.ReadUInt32LittleEndian(argument.Slice(VfioRegionInfoCodec.IndexOffset));
        if (index >= numRegions) return IoctlResult.Fail(Errno.EINVAL);
        if (!Regions.TryGetValue(index, out var region)) return IoctlResult.Fail(Errno.EINVAL);
        if (region.Refusal != Errno.None) return IoctlResult.Fail(region.Refusal);

        BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(VfioRegionInfoCodec.FlagsOffset), (uint)region.Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(argument.Slice(VfioRegionInfoCodec.SizeOffset), region.Size);
        BinaryPrimitives.WriteUInt64LittleEndian(argument.Slice(VfioRegionInfoCodec.OffsetOffset), region.Offset);
        if (region.Capabilities is not { } chain) return IoctlResult.Success;

        if (argsz >= chain.RequiredArgsz)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(VfioRegionInfoCodec.CapOffsetOffset), chain.CapOffset);
            chain.Tail.CopyTo(argument.Slice(VfioRegionInfoCodec.Size));
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(VfioRegionInfoCodec.ArgszOffset), chain.RequiredArgsz);
            BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(VfioRegionInfoCodec.CapOffsetOffset), 0);
        }
        return IoctlResult.Success;
    }
}
