using System;
using System.Text;
using VfioPS.Abi;
using VfioPS.Operations;

namespace VfioPS.Kernel;

/// <summary>Opens real VFIO devices through the group path: validated address, sysfs checks, group, device fd.</summary>
public static class KernelDevices
{
    public static VfioDevice Open(string address, Guid? vfToken = null, VfioHostPaths? paths = null)
    {
        paths ??= VfioHostPaths.Default;
        if (!PciAddress.TryNormalize(address, out string bdf))
            throw new VfioException("VfioPciAddressInvalid", VfioErrorKind.InvalidArgument,
                $"'{address}' is not a PCI address; write it as DDDD:BB:DD.F, for example 0000:00:10.0.", address);
        if (VfioDeviceRegistry.TryGet(bdf, out _))
            throw new VfioException("VfioDeviceAlreadyOpen", VfioErrorKind.ResourceBusy,
                $"{bdf} is already open in this process; use that device object (a VFIO device can be opened once).", bdf);

        var device = PciDeviceEnumerator.Find(paths, bdf)
            ?? throw new VfioException("VfioDeviceNotFound", VfioErrorKind.ObjectNotFound, $"There is no PCI device {bdf} in {paths.PciDevices}.", bdf);
        if (device.Driver != PciDeviceEnumerator.VfioPciDriver)
            throw new VfioException("VfioDeviceNotBound", VfioErrorKind.InvalidOperation,
                $"{bdf} ({device.Id}) is {(device.Driver is null ? "not bound to any driver" : "bound to " + device.Driver)}; bind it to vfio-pci first " +
                $"(for example: echo vfio-pci > {paths.PciDevice(bdf)}/driver_override; echo {bdf} > /sys/bus/pci/drivers_probe).", bdf);
        if (device.GroupPath is null)
            throw new VfioException("VfioGroupNotFound", VfioErrorKind.ObjectNotFound, $"{bdf} has no IOMMU group (is the IOMMU enabled?).", bdf);

        var lease = VfioGroupTable.Acquire(paths, device.GroupPath, device);
        try
        {
            // VFIO_GROUP_GET_DEVICE_FD takes the device name, with " vf_token=<uuid>" for a VF whose PF is on vfio-pci.
            string name = vfToken is Guid token ? $"{bdf} vf_token={token:D}" : bdf;
            byte[] nameBytes = Encoding.ASCII.GetBytes(name + "\0");
            var result = KernelSyscalls.Ioctl(lease.Group, VfioIoctl.GroupGetDeviceFd, nameBytes);
            if (result.IsError)
            {
                throw result.Errno switch
                {
                    Errno.EBUSY => new VfioException("VfioDeviceBusy", VfioErrorKind.ResourceBusy,
                        $"{bdf} is in use (VFIO_GROUP_GET_DEVICE_FD answered EBUSY){VfioGroupTable.HolderText(device.GroupPath)}.", bdf, result.Errno),
                    Errno.EACCES or Errno.EPERM when vfToken is null => new VfioException("VfioVfTokenRequired", VfioErrorKind.PermissionDenied,
                        $"{bdf} refused to open ({ErrnoText.Format(result.Errno)}); a VF whose PF is bound to vfio-pci needs -VfToken <uuid>.", bdf, result.Errno),
                    _ => VfioException.FromIoctl("VfioGetDeviceFdFailed", $"VFIO_GROUP_GET_DEVICE_FD for {bdf}", result.Errno, bdf),
                };
            }
            var channel = new KernelDeviceChannel(new Native.SafeFileDescriptorHandle(result.ReturnValue), lease);
            try
            {
                var info = DeviceInfoReader.Read(channel, bdf);
                var opened = new VfioDevice(bdf, null, channel, info);
                VfioDeviceRegistry.Register(opened);
                return opened;
            }
            catch
            {
                channel.Dispose();
                throw;
            }
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }
}
