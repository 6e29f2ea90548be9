using System;
using System.Buffers.Binary;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Mock;

/// <summary>
/// The VFIO_DEVICE_INFO capability chain of a mock device whose profile declares one (the 6.1 lane devices have none).
/// It answers GET_INFO as mainline vfio_pci_ioctl_get_info does once there are capabilities (vfio-abi.md §2.2): the
/// 24-byte struct with the pad, the caps flag, and either the chain at 24 with cap_offset 24, or argsz raised to
/// 24 + the chain's size and cap_offset 0; min(argsz, 24) bytes of the struct are copied back.
/// </summary>
/// <param name="Tail">The chain as written from offset 24, next fields absolute, each capability padded to 8 bytes.</param>
public sealed record MockDeviceCapabilities(byte[] Tail)
{
    /// <summary>Where the first capability sits: sizeof(struct vfio_device_info) in mainline.</summary>
    public const int FirstOffset = VfioDeviceInfoCodec.Size;

    public uint RequiredArgsz => (uint)(FirstOffset + Tail.Length);

    public IoctlResult GetInfo(Span<byte> argument, uint argsz, MockDeviceProfile profile)
    {
        if (argument.Length < VfioDeviceInfoCodec.MinSize) return IoctlResult.Fail(Errno.EFAULT);
        if (argsz < VfioDeviceInfoCodec.MinSize) return IoctlResult.Fail(Errno.EINVAL);

        Span<byte> info = stackalloc byte[VfioDeviceInfoCodec.Size];
        info.Clear();
        bool fits = argsz >= RequiredArgsz;
        VfioDeviceInfoCodec.Encode(info, new VfioDeviceInfoData(fits ? argsz : RequiredArgsz, profile.DeviceFlags | VfioDeviceFlags.Caps,
            profile.NumRegions, profile.NumIrqs, fits ? (uint)FirstOffset : 0));
        if (fits) Tail.CopyTo(argument.Slice(FirstOffset));
        info.Slice(0, (int)Math.Min(argsz, (uint)VfioDeviceInfoCodec.Size)).CopyTo(argument);
        return IoctlResult.Success;
    }
}
