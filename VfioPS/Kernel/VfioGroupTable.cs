using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Native;

namespace VfioPS.Kernel;

/// <summary>
/// The VFIO groups this process has open. A group can be opened once per system, so its fd and its container
/// are process-wide, reference-counted and locked: several devices of one group share them, and the last device
/// to close releases both.
/// </summary>
internal static class VfioGroupTable
{
    private static readonly object s_gate = new();
    private static readonly Dictionary<string, Entry> s_groups = new(StringComparer.Ordinal);

    private const int VfioApiVersion = 0;
    private const int Type1Iommu = 1;
    private const int Type1v2Iommu = 3;
    private const uint GroupFlagsViable = 1;

    private sealed class Entry
    {
        public required string Path;
        public required SafeFileDescriptorHandle Group;
        public required SafeFileDescriptorHandle Container;
        public int References;
    }

    /// <summary>One device's hold on a group; disposing it releases the group with the last device.</summary>
    internal sealed class Lease : IDisposable
    {
        private readonly string _path;
        private int _released;

        public Lease(string path, SafeFileDescriptorHandle group)
        {
            _path = path;
            Group = group;
        }

        public SafeFileDescriptorHandle Group { get; }

        public void Dispose()
        {
            if (System.Threading.Interlocked.Exchange(ref _released, 1) != 0) return;
            lock (s_gate)
            {
                if (!s_groups.TryGetValue(_path, out var entry) || --entry.References > 0) return;
                s_groups.Remove(_path);
                // Closing the group fd unsets its container; then the container goes.
                entry.Group.Dispose();
                entry.Container.Dispose();
            }
        }
    }

    /// <summary>The device a group is opened for, as the group's errors name it.</summary>
    /// <param name="Name">The PCI address or the mdev UUID.</param>
    /// <param name="UnusableReason">Why sysfs says the device cannot be used, for the not-viable error; null when it did not say.</param>
    /// <param name="BindHint">What the device must be bound to for its group node to exist ("vfio-pci", "its parent's mdev driver").</param>
    internal sealed record GroupMember(string Name, int? IommuGroup, string? UnusableReason, string BindHint)
    {
        public static GroupMember Of(VfioPciDevice device) => new(device.Address, device.IommuGroup, device.UnusableReason, PciDeviceEnumerator.VfioPciDriver);
    }

    /// <summary>Opens (or shares) the group at <paramref name="groupPath"/> with a container and an IOMMU set.</summary>
    public static Lease Acquire(VfioHostPaths paths, string groupPath, VfioPciDevice device, IKernelNodes? nodes = null)
        => Acquire(paths, groupPath, GroupMember.Of(device), nodes);

    /// <summary>As above, for any device of a group: a PCI function or a mediated device.</summary>
    internal static Lease Acquire(VfioHostPaths paths, string groupPath, GroupMember device, IKernelNodes? nodes = null)
    {
        nodes ??= LinuxKernelNodes.Instance;
        lock (s_gate)
        {
            if (s_groups.TryGetValue(groupPath, out var existing))
            {
                existing.References++;
                return new Lease(groupPath, existing.Group);
            }

            var container = OpenOrThrow(nodes, paths.Container, device, isGroup: false);
            SafeFileDescriptorHandle? group = null;
            try
            {
                var version = nodes.IoctlValue(container, VfioIoctl.GetApiVersion, 0);
                if (version.ReturnValue != VfioApiVersion)
                    throw new VfioException("VfioApiVersionMismatch", VfioErrorKind.NotImplemented,
                        $"{paths.Container} reports VFIO API version {version.ReturnValue}; VfioPS speaks version {VfioApiVersion}.", device.Name);

                group = OpenOrThrow(nodes, groupPath, device, isGroup: true);
                Span<byte> status = stackalloc byte[8];
                BinaryPrimitives.WriteUInt32LittleEndian(status, 8);
                var statusResult = nodes.Ioctl(group, VfioIoctl.GroupGetStatus, status);
                if (statusResult.IsError) throw VfioException.FromIoctl("VfioGroupStatusFailed", $"VFIO_GROUP_GET_STATUS on {groupPath}", statusResult.Errno, device.Name);
                if ((BinaryPrimitives.ReadUInt32LittleEndian(status.Slice(4)) & GroupFlagsViable) == 0)
                    throw new VfioException("VfioGroupNotViable", VfioErrorKind.InvalidOperation,
                        $"IOMMU group {device.IommuGroup} ({groupPath}) is not viable: " +
                        (device.UnusableReason ?? "another device of the group is bound to a host driver") +
                        ". Bind every device of the group to vfio-pci (or unbind it) first.", device.Name);

                Span<byte> containerFd = stackalloc byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(containerFd, container.Fd);
                var set = nodes.Ioctl(group, VfioIoctl.GroupSetContainer, containerFd);
                if (set.IsError) throw VfioException.FromIoctl("VfioGroupSetContainerFailed", $"VFIO_GROUP_SET_CONTAINER on {groupPath}", set.Errno, device.Name);

                int iommu = nodes.IoctlValue(container, VfioIoctl.CheckExtension, Type1v2Iommu).ReturnValue > 0 ? Type1v2Iommu
                    : nodes.IoctlValue(container, VfioIoctl.CheckExtension, Type1Iommu).ReturnValue > 0 ? Type1Iommu : 0;
                if (iommu == 0)
                    throw new VfioException("VfioIommuUnsupported", VfioErrorKind.NotImplemented,
                        $"The VFIO container supports neither TYPE1v2 nor TYPE1 IOMMU; VfioPS needs one of them.", device.Name);
                var setIommu = nodes.IoctlValue(container, VfioIoctl.SetIommu, iommu);
                if (setIommu.IsError) throw VfioException.FromIoctl("VfioSetIommuFailed", "VFIO_SET_IOMMU", setIommu.Errno, device.Name);

                s_groups[groupPath] = new Entry { Path = groupPath, Group = group, Container = container, References = 1 };
                return new Lease(groupPath, group);
            }
            catch
            {
                group?.Dispose();
                container.Dispose();
                throw;
            }
        }
    }

    private static SafeFileDescriptorHandle OpenOrThrow(IKernelNodes nodes, string path, GroupMember device, bool isGroup)
        => OpenNode(nodes, path, device.Name, "VfioGroupBusy",
            errno => isGroup
                ? new VfioException("VfioGroupNotFound", VfioErrorKind.ObjectNotFound,
                    $"{path} does not exist: IOMMU group {device.IommuGroup} has no VFIO group node (is {device.Name} bound to {device.BindHint}?).", device.Name, errno)
                : new VfioException("VfioNotAvailable", VfioErrorKind.ObjectNotFound,
                    $"{path} does not exist: the VFIO driver is not loaded (modprobe vfio-pci) or this system has no IOMMU enabled.", device.Name, errno));

    /// <summary>
    /// Opens a VFIO node or throws what a person needs to know: which file is missing (<paramref name="notFound"/>),
    /// that access to which file is needed, or which process holds it.
    /// </summary>
    internal static SafeFileDescriptorHandle OpenNode(IKernelNodes nodes, string path, string bdf, string busyId, Func<Errno, VfioException> notFound)
    {
        var fd = nodes.Open(path, out var errno);
        if (fd is not null) return fd;
        throw errno switch
        {
            Errno.ENOENT or Errno.ENODEV or Errno.ENXIO => notFound(errno),
            Errno.EACCES or Errno.EPERM => new VfioException("VfioPermissionDenied", VfioErrorKind.PermissionDenied,
                $"Permission denied opening {path}: the user needs read and write access to it (run as root, or give the user access with a udev rule or group).", bdf, errno),
            Errno.EBUSY => new VfioException(busyId, VfioErrorKind.ResourceBusy,
                $"{path} is in use" + HolderText(path) + ": a VFIO group or device can be opened by one process at a time (a running VM holds its devices).", bdf, errno),
            _ => new VfioException("VfioOpenFailed", VfioException.KindFromErrno(errno), $"Opening {path} failed: {ErrnoText.Format(errno)}.", bdf, errno),
        };
    }

    /// <summary>" by process 1234 (qemu-system-x86)" when /proc shows who holds the file; empty otherwise.</summary>
    internal static string HolderText(string path)
    {
        var holders = ProcessHolders.Find("/proc", path);
        return holders.Count == 0 ? string.Empty : " by process " + string.Join(", ", holders.Select(h => $"{h.Pid} ({h.Command})").Distinct());
    }
}
