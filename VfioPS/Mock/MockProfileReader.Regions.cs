using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using VfioPS.Abi;
using VfioPS.Operations;

namespace VfioPS.Mock;

// The "regions" key and the device-info capabilities ("device.capabilities") of a mock profile.
public static partial class MockProfileReader
{
    private sealed partial class ProfileParser
    {
        /// <summary>$.regions: one entry per region index; absent, the device refuses every region (EINVAL).</summary>
        private MockRegionTable RegionTable(JsonElement root, uint numRegions)
        {
            if (!root.TryGetProperty("regions", out var array)) return MockRegionTable.Empty;
            if (array.ValueKind != JsonValueKind.Array) throw Invalid("$.regions", "must be an array of region entries");
            var regions = new Dictionary<uint, MockRegionProfile>();
            int i = 0;
            foreach (var entry in array.EnumerateArray())
            {
                var region = Region(entry, $"$.regions[{i}]", numRegions);
                if (!regions.TryAdd(region.Index, region)) throw Invalid($"$.regions[{i}].index", $"repeats index {region.Index}");
                i++;
            }
            return new MockRegionTable(regions);
        }

        private MockRegionProfile Region(JsonElement entry, string path, uint numRegions)
        {
            RequireObject(entry, path, "index", "errno", "flags", "size", "offset", "capabilities", "rawCapabilities", "comment");
            uint index = UInt(Required(entry, path, "index"), path + ".index");
            if (index >= numRegions) throw Invalid(path + ".index", $"is {index}, but $.device.numRegions is {numRegions}: indexes go from 0 to {(long)numRegions - 1}");

            if (entry.TryGetProperty("errno", out var errnoElement))
            {
                foreach (string other in new[] { "flags", "size", "offset", "capabilities", "rawCapabilities" })
                    if (entry.TryGetProperty(other, out _)) throw Invalid($"{path}.{other}", "cannot be given with errno: a refused region answers nothing else");
                return new MockRegionProfile(index, ErrnoValue(errnoElement, path + ".errno"), VfioRegionFlags.None, 0, 0, null);
            }

            var flags = (VfioRegionFlags)Flags<VfioRegionFlags>(Required(entry, path, "flags"), path + ".flags");
            ulong size = U64(Required(entry, path, "size"), path + ".size");
            ulong offset = entry.TryGetProperty("offset", out var o) ? U64(o, path + ".offset") : MockRegionTable.PciOffset(index);
            bool hasCaps = entry.TryGetProperty("capabilities", out var caps);
            bool hasRaw = entry.TryGetProperty("rawCapabilities", out var raw);
            if (hasCaps && hasRaw) throw Invalid(path + ".rawCapabilities", "cannot be given together with capabilities: use one or the other");
            MockRegionCapabilityImage? image = hasCaps ? RegionChain(caps, path + ".capabilities")
                : hasRaw ? RawRegionChain(raw, path + ".rawCapabilities") : null;
            bool capsFlag = (flags & VfioRegionFlags.Caps) != 0;
            if (image is not null && !capsFlag)
                throw Invalid(path + ".flags", "lacks Caps although the region has a capability chain: the kernel sets VFIO_REGION_INFO_FLAG_CAPS whenever it has one");
            if (image is null && capsFlag)
                throw Invalid(path + ".flags", "has Caps but the region has no capabilities or rawCapabilities");
            return new MockRegionProfile(index, Errno.None, flags, size, offset, image);
        }

        /// <summary>A region chain laid out as the kernel does: first capability at 32, each padded to 8, next fields absolute.</summary>
        private MockRegionCapabilityImage RegionChain(JsonElement caps, string path)
        {
            if (caps.ValueKind != JsonValueKind.Array || caps.GetArrayLength() == 0)
                throw Invalid(path, "must be a non-empty array of capabilities");
            var bodies = new List<byte[]>();
            int i = 0;
            foreach (var cap in caps.EnumerateArray())
            {
                string capPath = $"{path}[{i++}]";
                RequireObject(cap, capPath, "id", "version", "type", "subtype", "areas", "data", "comment");
                var (id, version) = CapabilityId(cap, capPath);
                byte[] body;
                switch (id)
                {
                    case VfioRegionCapabilityCodec.SparseMmapId:
                        OnlyThese(cap, capPath, id, "areas");
                        body = VfioRegionCapabilityCodec.EncodeSparseMmap(version, Areas(Required(cap, capPath, "areas"), capPath + ".areas"));
                        break;
                    case VfioRegionCapabilityCodec.TypeId:
                        OnlyThese(cap, capPath, id, "type", "subtype");
                        body = VfioRegionCapabilityCodec.EncodeType(version,
                            UInt(Required(cap, capPath, "type"), capPath + ".type"), UInt(Required(cap, capPath, "subtype"), capPath + ".subtype"));
                        break;
                    case VfioRegionCapabilityCodec.MsixMappableId:
                        OnlyThese(cap, capPath, id);
                        body = new byte[VfioRegionCapabilityCodec.MsixMappableSize];
                        VfioCapabilityCodec.EncodeHeader(body, new VfioCapabilityHeader(id, version, 0));
                        break;
                    default:
                        OnlyThese(cap, capPath, id, "data");
                        body = HeaderAndPayload(cap, capPath, id, version);
                        break;
                }
                bodies.Add(body);
            }
            byte[] tail = LayOut(bodies, VfioRegionInfoCodec.Size, path);
            return new MockRegionCapabilityImage(VfioRegionInfoCodec.Size, tail);
        }

        private MockRegionCapabilityImage RawRegionChain(JsonElement raw, string path)
        {
            RequireObject(raw, path, "capOffset", "bytes");
            uint capOffset = UInt(Required(raw, path, "capOffset"), path + ".capOffset");
            byte[] tail = Hex(Required(raw, path, "bytes"), path + ".bytes");
            // No layout checks on purpose: raw chains exist to describe malformed answers.
            if (tail.Length > InfoQuery.MaxArgsz * 4)
                throw Invalid(path + ".bytes", $"has {tail.Length} bytes; raw chains are limited to {InfoQuery.MaxArgsz * 4}");
            return new MockRegionCapabilityImage(capOffset, tail);
        }

        /// <summary>$.device.capabilities: the VFIO_DEVICE_INFO chain; Caps in $.device.flags exactly when it is given.</summary>
        private MockDeviceCapabilities? DeviceCapabilities(JsonElement device, VfioDeviceFlags flags)
        {
            bool capsFlag = (flags & VfioDeviceFlags.Caps) != 0;
            if (!device.TryGetProperty("capabilities", out var caps))
            {
                if (capsFlag)
                    throw Invalid("$.device.flags", "has Caps but $.device.capabilities is not given; the kernel sets VFIO_DEVICE_FLAGS_CAPS only when it has a chain to return");
                return null;
            }
            const string path = "$.device.capabilities";
            if (!capsFlag)
                throw Invalid("$.device.flags", "lacks Caps although $.device.capabilities is given: the kernel sets VFIO_DEVICE_FLAGS_CAPS whenever it has a chain");
            if (caps.ValueKind != JsonValueKind.Array || caps.GetArrayLength() == 0)
                throw Invalid(path, "must be a non-empty array of capabilities");
            var bodies = new List<byte[]>();
            int i = 0;
            foreach (var cap in caps.EnumerateArray())
            {
                string capPath = $"{path}[{i++}]";
                RequireObject(cap, capPath, "id", "version", "flags", "data", "comment");
                var (id, version) = CapabilityId(cap, capPath);
                if (id == VfioDeviceInfoCapabilityCodec.PciAtomicCompId)
                {
                    OnlyThese(cap, capPath, id, "flags");
                    var atomic = (VfioPciAtomicCompFlags)Flags<VfioPciAtomicCompFlags>(Required(cap, capPath, "flags"), capPath + ".flags");
                    bodies.Add(VfioDeviceInfoCapabilityCodec.EncodeAtomicComp(version, atomic));
                }
                else
                {
                    OnlyThese(cap, capPath, id, "data");
                    bodies.Add(HeaderAndPayload(cap, capPath, id, version));
                }
            }
            return new MockDeviceCapabilities(LayOut(bodies, MockDeviceCapabilities.FirstOffset, path));
        }

        private (ushort Id, ushort Version) CapabilityId(JsonElement cap, string capPath)
        {
            uint id = UInt(Required(cap, capPath, "id"), capPath + ".id");
            if (id == 0 || id > ushort.MaxValue) throw Invalid(capPath + ".id", $"is {id}; capability ids are 1 to 65535");
            uint version = cap.TryGetProperty("version", out var v) ? UInt(v, capPath + ".version") : 1;
            if (version > ushort.MaxValue) throw Invalid(capPath + ".version", $"is {version}; versions are 16-bit");
            return ((ushort)id, (ushort)version);
        }

        /// <summary>Refuses the payload properties that belong to other capability ids ("comment" is always allowed).</summary>
        private void OnlyThese(JsonElement cap, string capPath, ushort id, params string[] allowed)
        {
            foreach (var property in cap.EnumerateObject())
            {
                if (property.Name is "id" or "version" or "comment" || Array.IndexOf(allowed, property.Name) >= 0) continue;
                throw Invalid($"{capPath}.{property.Name}", allowed.Length == 0
                    ? $"is not used by capability {id}: it has a header only"
                    : $"is not used by capability {id} (it takes {string.Join(", ", allowed)})");
            }
        }

        private byte[] HeaderAndPayload(JsonElement cap, string capPath, ushort id, ushort version)
        {
            byte[] payload = cap.TryGetProperty("data", out var data) ? Hex(data, capPath + ".data") : Array.Empty<byte>();
            var body = new byte[VfioCapabilityCodec.HeaderSize + payload.Length];
            VfioCapabilityCodec.EncodeHeader(body, new VfioCapabilityHeader(id, version, 0));
            payload.CopyTo(body, VfioCapabilityCodec.HeaderSize);
            return body;
        }

        /// <summary>Chains capability bodies from <paramref name="firstOffset"/> on, each padded to 8 bytes, next fields absolute.</summary>
        private byte[] LayOut(List<byte[]> bodies, int firstOffset, string path)
        {
            var tail = new List<byte>();
            for (int c = 0; c < bodies.Count; c++)
            {
                int offset = firstOffset + tail.Count;
                int padded = (bodies[c].Length + 7) & ~7;
                uint next = c + 1 < bodies.Count ? (uint)(offset + padded) : 0;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bodies[c].AsSpan(VfioCapabilityCodec.HeaderNextOffset), next);
                tail.AddRange(bodies[c]);
                tail.AddRange(new byte[padded - bodies[c].Length]);
            }
            if (firstOffset + tail.Count > InfoQuery.MaxArgsz)
                throw Invalid(path, $"adds up to {firstOffset + tail.Count} bytes; a mock answer is at most {InfoQuery.MaxArgsz}");
            return tail.ToArray();
        }

        private VfioSparseMmapArea[] Areas(JsonElement areas, string path)
        {
            if (areas.ValueKind != JsonValueKind.Array) throw Invalid(path, "must be an array of {\"offset\", \"size\"} areas");
            var list = new List<VfioSparseMmapArea>();
            int i = 0;
            foreach (var area in areas.EnumerateArray())
            {
                string areaPath = $"{path}[{i++}]";
                RequireObject(area, areaPath, "offset", "size");
                list.Add(new VfioSparseMmapArea(U64(Required(area, areaPath, "offset"), areaPath + ".offset"), U64(Required(area, areaPath, "size"), areaPath + ".size")));
            }
            return list.ToArray();
        }

        /// <summary>A 64-bit size or offset: a whole number, or a string of hex digits after 0x (region offsets are 1 &lt;&lt; 40 apart).</summary>
        private ulong U64(JsonElement element, string path)
        {
            if (element.ValueKind == JsonValueKind.Number && element.TryGetUInt64(out ulong value)) return value;
            if (element.ValueKind == JsonValueKind.String)
            {
                string text = element.GetString()!;
                if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && text.Length > 2
                    && ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value))
                    return value;
            }
            throw Invalid(path, $"must be a whole number from 0 to {ulong.MaxValue} or a hex string such as \"0x20000\", not {Describe(element)}");
        }
    }
}
