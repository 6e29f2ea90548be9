using System;
using System.Collections.Generic;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Operations;

/// <summary>The decoded answer to VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: no slot or bus reset (ENODEV), or the devices.</summary>
public sealed record HotResetInfo(bool Available, VfioPciHotResetFlags Flags, IReadOnlyList<VfioPciDependentDevice> Devices)
{
    public static HotResetInfo None { get; } = new(false, VfioPciHotResetFlags.None, Array.Empty<VfioPciDependentDevice>());
}

/// <summary>
/// VFIO_DEVICE_GET_PCI_HOT_RESET_INFO with the kernel's retry protocol: the first call carries the header alone (12
/// bytes; QEMU starts the same way), a device with a slot or bus reset answers ENOSPC with the count in the header, and
/// the second call carries room for that many entries. A count that grew in between (a device hot-added) gets
/// ENOSPC again and another try, up to <see cref="MaxAttempts"/>. ENODEV on the first call is not an error: the device
/// has no slot or bus reset (q35's root bus: no bridge above the device).
/// </summary>
public static class HotResetInfoReader
{
    public const int MaxAttempts = 4;

    public static HotResetInfo Read(VfioDevice device)
    {
        var channel = device.OpenChannel;
        int argsz = VfioPciHotResetInfoCodec.HeaderSize;
        for (int attempt = 1; ; attempt++)
        {
            var buffer = new byte[argsz];
            VfioPciHotResetInfoCodec.EncodeRequest(buffer, (uint)argsz);
            var result = channel.Ioctl(VfioIoctl.DeviceGetPciHotResetInfo, buffer);
            // ENODEV on the first call is the answer "no slot or bus reset"; after an ENOSPC that counted the devices
            // behind one, it is a failure (the device or its bridge went away), not a reset that never existed.
            if (result.IsError && result.Errno == Errno.ENODEV && attempt == 1) return HotResetInfo.None;
            var header = VfioPciHotResetInfoCodec.DecodeHeader(buffer);
            if (result.IsError && result.Errno == Errno.ENOSPC)
            {
                if (header.Count > (InfoQuery.MaxArgsz - VfioPciHotResetInfoCodec.HeaderSize) / VfioPciHotResetInfoCodec.DeviceSize)
                    throw new VfioException("VfioArgszTooLarge", VfioErrorKind.LimitsExceeded,
                        $"VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on '{device.Name}': the device reports {header.Count} affected devices, more than the {InfoQuery.MaxArgsz}-byte answer VfioPS allows.",
                        device.Name);
                int needed = VfioPciHotResetInfoCodec.SizeFor(header.Count);
                if (needed <= argsz || attempt >= MaxAttempts)
                    throw new VfioException("VfioArgszNegotiationFailed", VfioErrorKind.ProtocolError,
                        $"VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on '{device.Name}': still ENOSPC after {attempt} calls (the last asked for {header.Count} devices with {argsz} bytes); the devices behind its slot or bus keep changing.",
                        device.Name, Errno.ENOSPC);
                argsz = needed;
                continue;
            }
            if (result.IsError)
                throw VfioException.FromIoctl("VfioHotResetInfoFailed", $"VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on '{device.Name}'", result.Errno, device.Name);
            if (result.ReturnValue != 0)
                throw new VfioException("VfioHotResetInfoFailed", VfioErrorKind.DeviceError,
                    $"VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on '{device.Name}' returned {result.ReturnValue}.", device.Name);
            if (VfioPciHotResetInfoCodec.SizeFor(header.Count) > argsz)
                throw new VfioException("VfioHotResetInfoMalformed", VfioErrorKind.InvalidData,
                    $"VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on '{device.Name}' succeeded with count {header.Count}, which does not fit the {argsz} bytes it was given.", device.Name);
            var devices = new VfioPciDependentDevice[header.Count];
            for (int i = 0; i < devices.Length; i++) devices[i] = VfioPciHotResetInfoCodec.DecodeDevice(buffer, i);
            return new HotResetInfo(true, header.Flags, devices);
        }
    }
}
