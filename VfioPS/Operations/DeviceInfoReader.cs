using System;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Operations;

/// <summary>VFIO_DEVICE_GET_INFO with the mainline 24-byte struct (a pre-2023 kernel copies back 20, an old one 16).</summary>
public static class DeviceInfoReader
{
    public static VfioDeviceInfoData Read(IVfioDeviceChannel channel, string deviceName)
    {
        var answer = InfoQuery.Negotiate(channel, VfioIoctl.DeviceGetInfo, VfioDeviceInfoCodec.Size,
            (buffer, argsz) => VfioDeviceInfoCodec.EncodeRequest(buffer, argsz),
            buffer => (VfioDeviceInfoCodec.Decode(buffer).Flags & VfioDeviceFlags.Caps) != 0,
            $"VFIO_DEVICE_GET_INFO on '{deviceName}'", deviceName);
        if (answer.Result.IsError)
            throw VfioException.FromIoctl("VfioGetDeviceInfoFailed", $"VFIO_DEVICE_GET_INFO on '{deviceName}'", answer.Result.Errno, deviceName);
        return VfioDeviceInfoCodec.Decode(answer.Buffer);
    }
}
