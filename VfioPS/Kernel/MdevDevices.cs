using VfioPS.Operations;

namespace VfioPS.Kernel;

/// <summary>
/// Opens a mediated device by its UUID: /sys/bus/mdev/devices/&lt;uuid&gt;, the IOMMU group of its iommu_group link,
/// then the group path with the UUID as the device name (VFIO_GROUP_GET_DEVICE_FD). An mdev is bound to its
/// parent's mdev driver (seed_mdev, mtty, i915's GVT-g), never to vfio-pci, so no driver name is required.
/// </summary>
internal static class MdevDevices
{
    /// <summary>What the group errors say the device must be bound to for its group node to exist.</summary>
    private const string BindHint = "its parent's mdev driver";

    public static VfioDevice Open(string uuid, VfioHostPaths paths, VfioOpenPath path, IKernelNodes nodes)
    {
        if (VfioDeviceRegistry.TryGet(uuid, out _))
            throw new VfioException("VfioDeviceAlreadyOpen", VfioErrorKind.ResourceBusy,
                $"{uuid} is already open in this process; use that device object (a VFIO device can be opened once).", uuid);
        var mdev = MdevEnumerator.Find(paths, uuid)
            ?? throw new VfioException("VfioDeviceNotFound", VfioErrorKind.ObjectNotFound,
                $"There is no mediated device {uuid} in {paths.MdevDevices}; Get-VfioMdev lists them and New-VfioMdev creates one.", uuid);
        if (path == VfioOpenPath.Cdev)
            throw new VfioException("VfioCdevNotAvailable", VfioErrorKind.InvalidArgument,
                $"{uuid} is a mediated device: VfioPS opens those through their IOMMU group; use -Path Group (or Auto).", uuid);
        if (mdev.Driver is null)
            throw new VfioException("VfioDeviceNotBound", VfioErrorKind.InvalidOperation,
                $"{uuid} ({mdev.Parent}/{mdev.TypeId}) is bound to no driver; its parent's mdev driver registers it with VFIO when it binds " +
                $"(load the parent's driver, or write {uuid} to /sys/bus/mdev/drivers/<driver>/bind).", uuid);
        if (mdev.IommuGroup is not int group)
            throw new VfioException("VfioGroupNotFound", VfioErrorKind.ObjectNotFound,
                $"{uuid} has no iommu_group link: {mdev.Driver} has not registered it with VFIO.", uuid);
        var channel = KernelDevices.OpenThroughGroup(paths, paths.Group(group), new VfioGroupTable.GroupMember(uuid, group, null, BindHint), null, nodes);
        return KernelDevices.Register(channel, uuid, group);
    }
}
