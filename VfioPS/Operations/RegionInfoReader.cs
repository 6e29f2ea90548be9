using System;
using System.Collections.Generic;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Operations;

/// <summary>A region as read, and the chain fault found on the way, if any.</summary>
public sealed record RegionInfoResult(VfioRegionInfo Info, ChainFault? Fault);

/// <summary>
/// VFIO_DEVICE_GET_REGION_INFO for one index. The first call passes the 32-byte struct (the kernel's minsz, with
/// cap_offset zeroed: vfio-pci leaves it as passed when a region has no chain); a region with a chain that does not
/// fit answers with the caps flag and the argsz it needs, and the one retry (<see cref="InfoQuery"/>) reads it whole.
/// The chain goes through the same bounds-checked walk as IRQ capabilities.
/// </summary>
public static class RegionInfoReader
{
    public const int InitialArgsz = VfioRegionInfoCodec.Size;

    /// <summary>The fixed-or-device-specific boundary of vfio-pci: regions from 9 on are described by a TYPE capability.</summary>
    public static bool IsDeviceSpecific(uint index) => index >= VfioPciRegion.NumFixed;

    /// <summary>Every region index of the device, 0..num_regions-1, in order.</summary>
    public static IEnumerable<uint> AllIndexes(VfioDevice device)
    {
        for (uint index = 0; index < device.NumRegions; index++)
            yield return index;
    }

    private static readonly string RefusedReason = $"the device answered {ErrnoText.Format(Errno.EINVAL)}";

    /// <summary>The size the walk may trust for a region capability: fixed for TYPE and MSIX_MAPPABLE; SPARSE_MMAP is checked by its nr_areas.</summary>
    public static int CapabilitySize(ushort id) => VfioRegionCapabilityCodec.FixedSize(id);

    private readonly struct RegionInfoRequest : IInfoRequest
    {
        private readonly uint _index;
        private readonly string _device;

        public RegionInfoRequest(uint index, string device)
        {
            _index = index;
            _device = device;
        }

        public void Encode(Span<byte> buffer, uint argsz) => VfioRegionInfoCodec.EncodeRequest(buffer, argsz, _index);
        public bool HasCaps(ReadOnlySpan<byte> answer) => (VfioRegionInfoCodec.Decode(answer).Flags & VfioRegionFlags.Caps) != 0;
        public string Describe() => $"VFIO_DEVICE_GET_REGION_INFO for region {_index} of '{_device}'";
    }

    public static RegionInfoResult Read(VfioDevice device, uint index)
    {
        if (index >= device.NumRegions)
            throw new VfioException("VfioRegionIndexOutOfRange", VfioErrorKind.InvalidArgument,
                $"The device '{device.Name}' has regions 0..{(long)device.NumRegions - 1} (num_regions {device.NumRegions}); index {index} is not one of them.",
                device.Name);

        var channel = device.OpenChannel;
        Span<byte> first = stackalloc byte[InitialArgsz];
        var query = new RegionInfoRequest(index, device.Name);
        Span<byte> answer = InfoQuery.Negotiate(channel, VfioIoctl.DeviceGetRegionInfo, first, ref query, device.Name, out var result, out _);

        bool isPci = (device.Flags & VfioDeviceFlags.Pci) != 0;
        if (result.IsError)
        {
            // A region below num_regions that the device refuses (VGA on a device without VGA) is a fact about the
            // device, as rust-vmm treats it, not a failure of the call.
            if (result.Errno == Errno.EINVAL)
            {
                var refused = new VfioRegionInfo(device.Name, index, RegionNames.For(index, isPci, null, null), 0, 0, VfioRegionFlags.None,
                    IsDeviceSpecific(index), null, null, null, false, Array.Empty<VfioRegionCapability>(), supported: false, unsupportedReason: RefusedReason);
                return new RegionInfoResult(refused, null);
            }
            throw VfioException.FromIoctl("VfioGetRegionInfoFailed", query.Describe(), result.Errno, device.Name);
        }

        var data = VfioRegionInfoCodec.Decode(answer);
        var capabilities = Array.Empty<VfioRegionCapability>();
        ChainFault? fault = null;
        uint? type = null, subtype = null;
        VfioSparseMmapArea[]? areas = null;
        bool msixMappable = false;
        if ((data.Flags & VfioRegionFlags.Caps) != 0)
        {
            var walk = CapabilityChainReader.WalkAnswer(answer, data.CapOffset, VfioRegionInfoCodec.Size, CapabilitySize);
            fault = walk.Fault;
            var decoded = new List<VfioRegionCapability>(walk.Capabilities.Count);
            foreach (var raw in walk.Capabilities)
            {
                uint? capType = null, capSubtype = null;
                VfioSparseMmapArea[]? capAreas = null;
                byte[] bytes = raw.Data;
                switch (raw.Header.Id)
                {
                    case VfioRegionCapabilityCodec.SparseMmapId:
                        if (SparseFault(raw) is { } sparseFault)
                        {
                            // Capabilities before it are kept; the walk's own fault, if any, lies further along the chain.
                            fault = sparseFault;
                            goto done;
                        }
                        capAreas = VfioRegionCapabilityCodec.DecodeSparseAreas(bytes);
                        bytes = bytes.AsSpan(0, (int)VfioRegionCapabilityCodec.SparseSize((uint)capAreas.Length)).ToArray();
                        areas ??= capAreas;
                        break;
                    case VfioRegionCapabilityCodec.TypeId:
                        var capTypeData = VfioRegionCapabilityCodec.DecodeType(bytes);
                        capType = capTypeData.Type;
                        capSubtype = capTypeData.Subtype;
                        if (type is null) { type = capType; subtype = capSubtype; }
                        break;
                    case VfioRegionCapabilityCodec.MsixMappableId:
                        msixMappable = true;
                        break;
                }
                decoded.Add(new VfioRegionCapability(device.Name, index, raw.Header.Id, raw.Header.Version, raw.Offset, raw.Header.Next,
                    capType, capSubtype, capAreas, bytes));
            }
        done:
            capabilities = decoded.ToArray();
        }

        var info = new VfioRegionInfo(device.Name, index, RegionNames.For(index, isPci, type, subtype), data.Size, data.Offset, data.Flags,
            IsDeviceSpecific(index), type, subtype, areas, msixMappable, capabilities, supported: true, unsupportedReason: null);
        return new RegionInfoResult(info, fault);
    }

    /// <summary>A SPARSE_MMAP capability whose nr_areas claims more areas than its bytes hold (nothing else bounds it).</summary>
    private static ChainFault? SparseFault(RawCapability raw)
    {
        if (raw.Data.Length < VfioRegionCapabilityCodec.SparseAreasOffset)
            return new ChainFault(ChainFaultKind.OutOfBounds, raw.Offset,
                $"the SPARSE_MMAP capability at offset {raw.Offset} needs {VfioRegionCapabilityCodec.SparseAreasOffset} bytes for its header and nr_areas but only {raw.Data.Length} are there");
        uint count = VfioRegionCapabilityCodec.DecodeSparseAreaCount(raw.Data);
        long needed = VfioRegionCapabilityCodec.SparseSize(count);
        if (needed > raw.Data.Length)
            return new ChainFault(ChainFaultKind.OutOfBounds, raw.Offset,
                $"the SPARSE_MMAP capability at offset {raw.Offset} has nr_areas {count}, which needs {needed} bytes, but only {raw.Data.Length} are there");
        return null;
    }
}
