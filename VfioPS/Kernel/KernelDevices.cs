using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using VfioPS.Abi;
using VfioPS.Native;
using VfioPS.Operations;

namespace VfioPS.Kernel;

/// <summary>How a real device is opened.</summary>
public enum VfioOpenPath
{
    /// <summary>The device cdev when the kernel has one and /dev/iommu exists, else the group.</summary>
    Auto,
    /// <summary>/dev/vfio/vfio + /dev/vfio/&lt;group&gt; + VFIO_GROUP_GET_DEVICE_FD.</summary>
    Group,
    /// <summary>/dev/vfio/devices/vfioN + /dev/iommu + VFIO_DEVICE_BIND_IOMMUFD.</summary>
    Cdev,
}

/// <summary>Opens real VFIO devices: validated address, sysfs checks, then the group path or the cdev path.</summary>
public static class KernelDevices
{
    public static VfioDevice Open(string address, Guid? vfToken = null, VfioHostPaths? paths = null, VfioOpenPath path = VfioOpenPath.Auto)
        => Open(address, vfToken, paths, path, LinuxKernelNodes.Instance);

    internal static VfioDevice Open(string address, Guid? vfToken, VfioHostPaths? paths, VfioOpenPath path, IKernelNodes nodes)
    {
        paths ??= VfioHostPaths.Default;
        // A mediated device is named by its UUID; its lookup is MdevDevices' (the PCI checks below do not apply to it).
        if (MdevUuid.TryNormalize(address, out string uuid)) return MdevDevices.Open(uuid, paths, path, nodes);
        if (!PciAddress.TryNormalize(address, out string bdf))
            throw new VfioException("VfioPciAddressInvalid", VfioErrorKind.InvalidArgument,
                $"'{address}' is not a PCI address; write it as DDDD:BB:DD.F, for example 0000:00:10.0 (or a mediated device's UUID).", address);
        if (VfioDeviceRegistry.TryGet(bdf, out _))
            throw new VfioException("VfioDeviceAlreadyOpen", VfioErrorKind.ResourceBusy,
                $"{bdf} is already open in this process; use that device object (a VFIO device can be opened once).", bdf);

        var device = PciDeviceEnumerator.Find(paths, bdf)
            ?? throw new VfioException("VfioDeviceNotFound", VfioErrorKind.ObjectNotFound, $"There is no PCI device {bdf} in {paths.PciDevices}.", bdf);
        if (!PciDeviceEnumerator.IsVfioDriver(device.Driver))
            throw new VfioException("VfioDeviceNotBound", VfioErrorKind.InvalidOperation,
                $"{bdf} ({device.Id}) is {(device.Driver is null ? "not bound to any driver" : "bound to " + device.Driver)}; bind it to vfio-pci first " +
                $"(for example: echo vfio-pci > {paths.PciDevice(bdf)}/driver_override; echo {bdf} > /sys/bus/pci/drivers_probe).", bdf);

        // libvfn's rule: the cdev when both it and /dev/iommu are there.
        bool useCdev = path switch
        {
            VfioOpenPath.Cdev => true,
            VfioOpenPath.Group => false,
            _ => device.CdevPath is not null && File.Exists(device.CdevPath) && File.Exists(paths.Iommufd),
        };
        var channel = useCdev ? OpenCdev(paths, device, vfToken, nodes) : OpenGroup(paths, device, vfToken, nodes);
        return Register(channel, bdf, device.IommuGroup);
    }

    /// <summary>Reads the opened device's info and registers it under <paramref name="name"/>; the channel is closed on failure.</summary>
    internal static VfioDevice Register(KernelDeviceChannel kernelChannel, string name, int? iommuGroup)
    {
        // Every device talks through a RestartingChannel: EINTR is restarted, not reported (GET_INFO at open included).
        var channel = new Channels.RestartingChannel(kernelChannel);
        try
        {
            var info = DeviceInfoReader.ReadWithCapabilities(channel, name);
            var opened = new VfioDevice(name, null, channel, info.Data, info.Capabilities, info.Fault) { IommuGroup = iommuGroup };
            VfioDeviceRegistry.Register(opened);
            return opened;
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    private static KernelDeviceChannel OpenGroup(VfioHostPaths paths, VfioPciDevice device, Guid? vfToken, IKernelNodes nodes)
    {
        if (device.GroupPath is null)
            throw new VfioException("VfioGroupNotFound", VfioErrorKind.ObjectNotFound, $"{device.Address} has no IOMMU group (is the IOMMU enabled?).", device.Address);
        return OpenThroughGroup(paths, device.GroupPath, VfioGroupTable.GroupMember.Of(device), vfToken, nodes);
    }

    /// <summary>
    /// The group path for any VFIO device: the group (shared with the other open devices of it) and
    /// VFIO_GROUP_GET_DEVICE_FD with the device's name, a PCI address or an mdev UUID.
    /// </summary>
    internal static KernelDeviceChannel OpenThroughGroup(VfioHostPaths paths, string groupPath, VfioGroupTable.GroupMember device, Guid? vfToken, IKernelNodes nodes)
    {
        string bdf = device.Name;
        var lease = VfioGroupTable.Acquire(paths, groupPath, device, nodes);
        try
        {
            // VFIO_GROUP_GET_DEVICE_FD takes the device name, with " vf_token=<uuid>" for a VF whose PF is on vfio-pci.
            string name = vfToken is Guid token ? $"{bdf} vf_token={token:D}" : bdf;
            byte[] nameBytes = Encoding.ASCII.GetBytes(name + "\0");
            var result = nodes.Ioctl(lease.Group, VfioIoctl.GroupGetDeviceFd, nameBytes);
            if (result.IsError)
            {
                throw result.Errno switch
                {
                    Errno.EBUSY => new VfioException("VfioDeviceBusy", VfioErrorKind.ResourceBusy,
                        $"{bdf} is in use (VFIO_GROUP_GET_DEVICE_FD answered EBUSY){VfioGroupTable.HolderText(groupPath)}.", bdf, result.Errno),
                    Errno.EACCES or Errno.EPERM when vfToken is null => new VfioException("VfioVfTokenRequired", VfioErrorKind.PermissionDenied,
                        $"{bdf} refused to open ({ErrnoText.Format(result.Errno)}); a VF whose PF is bound to vfio-pci needs -VfToken <uuid>.", bdf, result.Errno),
                    _ => VfioException.FromIoctl("VfioGetDeviceFdFailed", $"VFIO_GROUP_GET_DEVICE_FD for {bdf}", result.Errno, bdf),
                };
            }
            return new KernelDeviceChannel(new SafeFileDescriptorHandle(result.ReturnValue), lease, "Kernel group", nodes);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The cdev path: open /dev/vfio/devices/vfioN and /dev/iommu, then VFIO_DEVICE_BIND_IOMMUFD (every other device
    /// ioctl is EINVAL before it). IRQ work needs no IOAS attach: that only matters for DMA.
    /// </summary>
    private static unsafe KernelDeviceChannel OpenCdev(VfioHostPaths paths, VfioPciDevice device, Guid? vfToken, IKernelNodes nodes)
    {
        string bdf = device.Address;
        if (device.CdevPath is null)
            throw new VfioException("VfioCdevNotAvailable", VfioErrorKind.ObjectNotFound,
                $"{bdf} has no VFIO device cdev (no vfio-dev in sysfs): this kernel has no VFIO_DEVICE_CDEV; use the group path.", bdf);
        var deviceFd = OpenNode(nodes, device.CdevPath, bdf, "the device cdev");
        SafeFileDescriptorHandle? iommufd = null;
        try
        {
            iommufd = OpenNode(nodes, paths.Iommufd, bdf, "the iommufd node");
            byte[] token = vfToken is Guid t ? VfioBindIommufdCodec.TokenBytes(t) : Array.Empty<byte>();
            Channels.IoctlResult bind;
            // The token is read by the kernel through the pointer in the request: keep it pinned for the call.
            fixed (byte* tokenPointer = token)
            {
                byte[] request = VfioBindIommufdCodec.Encode(iommufd.Fd, vfToken is null ? null : (ulong)tokenPointer);
                bind = nodes.Ioctl(deviceFd, VfioIoctl.DeviceBindIommufd, request);
            }
            if (bind.IsError)
                throw bind.Errno switch
                {
                    Errno.EBUSY => new VfioException("VfioDeviceBusy", VfioErrorKind.ResourceBusy,
                        $"{bdf} is in use (VFIO_DEVICE_BIND_IOMMUFD answered EBUSY){VfioGroupTable.HolderText(device.CdevPath)}.", bdf, Errno.EBUSY),
                    _ => VfioException.FromIoctl("VfioBindIommufdFailed", $"VFIO_DEVICE_BIND_IOMMUFD for {bdf} on {device.CdevPath}", bind.Errno, bdf),
                };
            return new KernelDeviceChannel(deviceFd, iommufd, "Kernel cdev", nodes);
        }
        catch
        {
            iommufd?.Dispose();
            deviceFd.Dispose();
            throw;
        }
    }

    private static SafeFileDescriptorHandle OpenNode(IKernelNodes nodes, string path, string bdf, string what)
        => VfioGroupTable.OpenNode(nodes, path, bdf, "VfioDeviceBusy", errno => new VfioException("VfioCdevNotAvailable", VfioErrorKind.ObjectNotFound,
            $"{path} ({what}) does not exist: the kernel has no iommufd/VFIO device cdev support; use the group path.", bdf, errno));
}
