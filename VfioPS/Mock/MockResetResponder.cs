using System;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Mock;

/// <summary>
/// VFIO_DEVICE_RESET and VFIO_DEVICE_GET_PCI_HOT_RESET_INFO as vfio-pci answers them (drivers/vfio/pci/vfio_pci_core.c
/// vfio_pci_ioctl_reset and vfio_pci_ioctl_get_pci_hot_reset_info), from the profile's device flags and "reset" key.
/// </summary>
internal static class MockResetResponder
{
    /// <summary>
    /// vfio_pci_ioctl_reset: no argument; EINVAL unless reset_works (what VFIO_DEVICE_FLAGS_RESET reports), else the
    /// function reset. The reset leaves vfio-pci's IRQ state alone: the eventfd triggers stay bound and a loopback
    /// after it still signals them (measured in the kernel lane on 6.1 for INTx, MSI and MSI-X), so the mock's IRQ
    /// state does not change either.
    /// </summary>
    public static IoctlResult Reset(MockDeviceProfile profile)
        => (profile.DeviceFlags & VfioDeviceFlags.Reset) != 0 ? IoctlResult.Success : IoctlResult.Fail(Errno.EINVAL);

    /// <summary>
    /// vfio_pci_ioctl_get_pci_hot_reset_info: the 12-byte header is copied in (EFAULT if the buffer is shorter);
    /// argsz below 12 is EINVAL; a device without slot or bus reset is ENODEV with nothing written. A buffer that
    /// cannot hold every affected device gets ENOSPC with the header written back (argsz as given, flags 0, count
    /// the number of devices) and nothing else, as the kernel lane measured on 6.1 and on 6.12.117 (group path).
    /// <paramref name="fillsWhatFits"/> models a driver that writes the entries that fit before answering ENOSPC, an
    /// answer the reader must survive too. Enough room: header
    /// and entries, 0.
    /// </summary>
    public static IoctlResult GetHotResetInfo(MockDeviceProfile profile, Span<byte> argument, bool fillsWhatFits = false)
    {
        if (argument.Length < VfioPciHotResetInfoCodec.HeaderSize) return IoctlResult.Fail(Errno.EFAULT);
        var request = VfioPciHotResetInfoCodec.DecodeHeader(argument);
        if (request.Argsz < VfioPciHotResetInfoCodec.HeaderSize) return IoctlResult.Fail(Errno.EINVAL);

        var reset = profile.Reset;
        if (reset.HotResetErrno != Errno.None) return IoctlResult.Fail(reset.HotResetErrno);

        var devices = reset.HotResetDevices;
        uint count = (uint)devices.Count;
        long fits = ((long)request.Argsz - VfioPciHotResetInfoCodec.HeaderSize) / VfioPciHotResetInfoCodec.DeviceSize;
        bool enough = fits >= count;
        if (enough || fillsWhatFits)
        {
            int write = (int)Math.Min(fits, count);
            // The mock may only touch the buffer it was given (argsz <= its length is checked by the channel).
            for (int i = 0; i < write; i++) VfioPciHotResetInfoCodec.EncodeDevice(argument, i, devices[i]);
        }
        VfioPciHotResetInfoCodec.EncodeHeader(argument, new VfioPciHotResetInfoHeader(request.Argsz, VfioPciHotResetFlags.None, count));
        return enough ? IoctlResult.Success : IoctlResult.Fail(Errno.ENOSPC);
    }
}
