using System;
using VfioPS.Abi;
using VfioPS.Kernel;

namespace VfioPS.Operations;

/// <summary>
/// VFIO_DEVICE_RESET on an open device, refused before the ioctl with a clear error when the device does not report
/// VFIO_DEVICE_FLAGS_RESET (the kernel would answer EINVAL). The reset leaves vfio-pci's IRQ state as it was:
/// vfio_pci_ioctl_reset only resets the function (pci_try_reset_function saves and restores its config space, MSI
/// and MSI-X included) and touches no eventfd trigger. The lane measured it on 6.1: after the reset a loopback on
/// INTx, MSI and MSI-X still signals the bound eventfd. So the module's IRQ record is kept as it is.
/// </summary>
public static class DeviceResetter
{
    /// <summary>The device's reset methods: sysfs reset_method for a real device, the profile's for a mock (empty when it does not say).</summary>
    public static string[] ResetMethods(VfioDevice device, VfioHostPaths? paths = null)
    {
        if (device.MockChannel is { } mock) return mock.Profile.Reset.Methods is { } methods ? [.. methods] : Array.Empty<string>();
        return PciAddress.TryNormalize(device.Name, out string bdf) ? PciDeviceEnumerator.ReadResetMethods(paths ?? VfioHostPaths.Default, bdf) : Array.Empty<string>();
    }

    /// <summary>The error for a device without VFIO_DEVICE_FLAGS_RESET, naming its reset methods or saying it has none.</summary>
    public static VfioException NotSupported(VfioDevice device, string[] methods)
    {
        var profile = device.MockChannel?.Profile;
        string list = string.Join(" ", methods);
        string methodSentence = profile switch
        {
            null when methods.Length == 0 => "It has no reset method: sysfs has no reset_method for it (no FLR, no PM reset, no bus reset).",
            null => $"sysfs reset_method lists {list}, but none of them worked when vfio-pci enabled it.",
            { Reset.Methods: null } => $"Its mock profile '{profile.Name}' names no reset methods.",
            _ when methods.Length == 0 => $"It has no reset method: its mock profile '{profile.Name}' lists none.",
            _ => $"Its mock profile '{profile.Name}' lists {list}, but none of them worked when vfio-pci enabled it.",
        };
        return new VfioException("VfioDeviceResetNotSupported", VfioErrorKind.NotImplemented,
            $"'{device.Name}' cannot be reset: VFIO_DEVICE_GET_INFO does not report VFIO_DEVICE_FLAGS_RESET, so VFIO_DEVICE_RESET would fail with EINVAL. " +
            methodSentence + " Get-VfioResetScope shows whether a slot or bus reset would reach it.", device.Name);
    }

    /// <summary>Resets the device (one VFIO_DEVICE_RESET); the IRQ record is left as it is (see the class comment).</summary>
    public static void Reset(VfioDevice device, VfioHostPaths? paths = null)
    {
        var channel = device.OpenChannel;
        if ((device.Flags & VfioDeviceFlags.Reset) == 0) throw NotSupported(device, ResetMethods(device, paths));
        var result = channel.Ioctl(VfioIoctl.DeviceReset, Span<byte>.Empty);
        if (result.ReturnValue != 0)
        {
            if (result.IsError)
                throw result.Errno == Errno.EAGAIN
                    ? new VfioException("VfioDeviceResetFailed", VfioErrorKind.ResourceBusy,
                        $"VFIO_DEVICE_RESET on '{device.Name}' failed: EAGAIN (the kernel could not lock the device or its bus for the reset; try again).", device.Name, Errno.EAGAIN)
                    : VfioException.FromIoctl("VfioDeviceResetFailed", $"VFIO_DEVICE_RESET on '{device.Name}'", result.Errno, device.Name);
            throw new VfioException("VfioDeviceResetFailed", VfioErrorKind.DeviceError,
                $"VFIO_DEVICE_RESET on '{device.Name}' returned {result.ReturnValue}.", device.Name);
        }
    }
}
