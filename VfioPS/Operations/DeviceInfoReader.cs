using System;
using System.Collections.Generic;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Operations;

/// <summary>What VFIO_DEVICE_GET_INFO said: the struct, its capability chain (empty without the caps flag) and the chain fault.</summary>
public sealed record DeviceInfoResult(VfioDeviceInfoData Data, IReadOnlyList<VfioDeviceCapability> Capabilities, ChainFault? Fault);

/// <summary>VFIO_DEVICE_GET_INFO with the mainline 24-byte struct (a pre-2023 kernel copies back 20, an old one 16).</summary>
public static class DeviceInfoReader
{
    public static VfioDeviceInfoData Read(IVfioDeviceChannel channel, string deviceName) => Query(channel, deviceName).Data;

    /// <summary>
    /// GET_INFO and, when VFIO_DEVICE_FLAGS_CAPS is set, its capability chain through the bounds-checked walk:
    /// PCI_ATOMIC_COMP decoded, the s390 zPCI ids and unknown ones kept raw. The first capability sits at
    /// sizeof(struct vfio_device_info): 24 in mainline, 20 in kernels built before the 2023 alignment change
    /// (6.1 among them), so the walk accepts any offset from 20 on.
    /// </summary>
    public static DeviceInfoResult ReadWithCapabilities(IVfioDeviceChannel channel, string deviceName)
    {
        var (data, answer) = Query(channel, deviceName);
        if ((data.Flags & VfioDeviceFlags.Caps) == 0) return new DeviceInfoResult(data, Array.Empty<VfioDeviceCapability>(), null);
        var walk = CapabilityChainReader.WalkAnswer(answer, data.CapOffset ?? 0, VfioDeviceInfoCodec.SizeWithCapOffset, VfioDeviceInfoCapabilityCodec.DecodedSize);
        var capabilities = new VfioDeviceCapability[walk.Capabilities.Count];
        for (int i = 0; i < capabilities.Length; i++)
        {
            var raw = walk.Capabilities[i];
            VfioPciAtomicCompFlags? atomic = raw.Header.Id == VfioDeviceInfoCapabilityCodec.PciAtomicCompId
                ? VfioDeviceInfoCapabilityCodec.DecodeAtomicComp(raw.Data)
                : null;
            capabilities[i] = new VfioDeviceCapability(deviceName, raw.Header.Id, raw.Header.Version, raw.Offset, raw.Header.Next, atomic, raw.Data);
        }
        return new DeviceInfoResult(data, capabilities, walk.Fault);
    }

    private static (VfioDeviceInfoData Data, byte[] Answer) Query(IVfioDeviceChannel channel, string deviceName)
    {
        var answer = InfoQuery.Negotiate(channel, VfioIoctl.DeviceGetInfo, VfioDeviceInfoCodec.Size,
            (buffer, argsz) => VfioDeviceInfoCodec.EncodeRequest(buffer, argsz),
            buffer => (VfioDeviceInfoCodec.Decode(buffer).Flags & VfioDeviceFlags.Caps) != 0,
            $"VFIO_DEVICE_GET_INFO on '{deviceName}'", deviceName);
        if (answer.Result.IsError)
            throw VfioException.FromIoctl("VfioGetDeviceInfoFailed", $"VFIO_DEVICE_GET_INFO on '{deviceName}'", answer.Result.Errno, deviceName);
        return (VfioDeviceInfoCodec.Decode(answer.Buffer), answer.Buffer);
    }
}
