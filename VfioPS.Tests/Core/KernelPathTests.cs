using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Kernel;
using VfioPS.Mock;
using VfioPS.Native;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// A kernel, as far as the open paths see it: nodes that open to real (eventfd) fds, the container and group
/// ioctls, VFIO_GROUP_GET_DEVICE_FD, the cdev's BIND_IOMMUFD gate, and device ioctls answered by the mock e1000e.
/// Debian's 6.1 in the kernel lane has no cdev, so this is where the cdev path is exercised.
/// </summary>
internal sealed class FakeKernelNodes : IKernelNodes
{
    private readonly Dictionary<int, string> _paths = new();
    private readonly Dictionary<int, MockDeviceChannel> _devices = new();
    private readonly HashSet<int> _boundCdevs = new();
    public readonly List<string> Opened = new();
    public readonly List<string> DeviceNames = new();
    public readonly List<(uint Argsz, uint Flags, int Iommufd, byte[] Token)> Binds = new();
    public readonly List<SafeFileDescriptorHandle> Handles = new();
    private readonly string _profile;

    /// <param name="profile">The built-in mock profile that answers for every device opened (e1000e; gvt-vgpu for a device with a display IRQ).</param>
    public FakeKernelNodes(string profile = "e1000e") => _profile = profile;

    public SafeFileDescriptorHandle? Open(string path, out Errno errno)
    {
        errno = Errno.None;
        var fd = FileDescriptors.CreateEventFd();
        _paths[fd.Fd] = path;
        Opened.Add(path);
        Handles.Add(fd);
        return fd;
    }

    public IoctlResult IoctlValue(SafeFileDescriptorHandle fd, uint request, int value)
    {
        if (request == VfioIoctl.GetApiVersion) return new IoctlResult(0, Errno.None);
        if (request == VfioIoctl.CheckExtension) return new IoctlResult(value == 3 ? 1 : 0, Errno.None);
        if (request == VfioIoctl.SetIommu) return value == 3 ? IoctlResult.Success : IoctlResult.Fail(Errno.EINVAL);
        return IoctlResult.Fail(Errno.ENOTTY);
    }

    public IoctlResult Ioctl(SafeFileDescriptorHandle fd, uint request, Span<byte> argument)
    {
        if (_devices.TryGetValue(fd.Fd, out var device))
        {
            bool isCdev = _paths.TryGetValue(fd.Fd, out var path) && path.Contains("/vfio/devices/", StringComparison.Ordinal);
            if (request == VfioIoctl.DeviceBindIommufd && isCdev)
            {
                uint argsz = BinaryPrimitives.ReadUInt32LittleEndian(argument), flags = BinaryPrimitives.ReadUInt32LittleEndian(argument.Slice(4));
                byte[] token = Array.Empty<byte>();
                if ((flags & 1) != 0)
                {
                    token = new byte[16];
                    Marshal.Copy((IntPtr)(long)BinaryPrimitives.ReadUInt64LittleEndian(argument.Slice(16)), token, 0, 16);
                }
                Binds.Add((argsz, flags, BinaryPrimitives.ReadInt32LittleEndian(argument.Slice(8)), token));
                _boundCdevs.Add(fd.Fd);
                return IoctlResult.Success;
            }
            // vfio_device_fops_unl_ioctl: everything but BIND is EINVAL on a cdev until it is bound.
            if (isCdev && !_boundCdevs.Contains(fd.Fd)) return IoctlResult.Fail(Errno.EINVAL);
            return device.Ioctl(request, argument);
        }
        if (request == VfioIoctl.GroupGetStatus)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(4), 1); // viable
            return IoctlResult.Success;
        }
        if (request == VfioIoctl.GroupSetContainer) return IoctlResult.Success;
        if (request == VfioIoctl.GroupGetDeviceFd)
        {
            string name = System.Text.Encoding.ASCII.GetString(argument).TrimEnd('\0');
            DeviceNames.Add(name);
            var deviceFd = FileDescriptors.CreateEventFd();
            int number = deviceFd.Fd;
            deviceFd.SetHandleAsInvalid(); // the channel takes ownership of the number
            _devices[number] = new MockDeviceChannel(MockProfileReader.LoadBuiltIn(_profile));
            return new IoctlResult(number, Errno.None);
        }
        return IoctlResult.Fail(Errno.ENOTTY);
    }

    /// <summary>Marks an opened cdev node as a device answered by the mock e1000e.</summary>
    public void TreatAsDevice(string path)
    {
        foreach (var (fd, p) in _paths)
            if (p == path && !_devices.ContainsKey(fd)) _devices[fd] = new MockDeviceChannel(MockProfileReader.LoadBuiltIn(_profile));
    }
}

/// <summary>Fake nodes that turn the cdev node into a device as soon as it is opened.</summary>
internal sealed class CdevKernelNodes : IKernelNodes
{
    private readonly FakeKernelNodes _inner = new();
    public FakeKernelNodes Inner => _inner;

    public SafeFileDescriptorHandle? Open(string path, out Errno errno)
    {
        var fd = _inner.Open(path, out errno);
        if (path.Contains("/vfio/devices/", StringComparison.Ordinal)) _inner.TreatAsDevice(path);
        return fd;
    }

    public IoctlResult Ioctl(SafeFileDescriptorHandle fd, uint request, Span<byte> argument) => _inner.Ioctl(fd, request, argument);
    public IoctlResult IoctlValue(SafeFileDescriptorHandle fd, uint request, int value) => _inner.IoctlValue(fd, request, value);
}

public sealed class KernelPathTests
{
    [Fact]
    public void AutoTakesTheCdevWhereTheKernelHasItAndBindsToTheIommufd()
    {
        using var tree = new FakeHostTree().Device("0000:00:10.0", "8086:10d3", "020000", "vfio-pci", 3, cdev: "vfio0");
        File.WriteAllText(tree.Paths.Iommufd, "");
        var nodes = new CdevKernelNodes();
        using (var device = KernelDevices.Open("0000:00:10.0", null, tree.Paths, VfioOpenPath.Auto, nodes))
        {
            Assert.Equal("Kernel cdev", device.Channel);
            Assert.Equal(new[] { tree.Paths.Cdev("vfio0"), tree.Paths.Iommufd }, nodes.Inner.Opened);
            var bind = Assert.Single(nodes.Inner.Binds);
            Assert.Equal((16u, 0u), (bind.Argsz, bind.Flags));
            Assert.Equal(nodes.Inner.Handles[1].Fd, bind.Iommufd);
            // After the bind the device answers like any other: GET_INFO ran, and GET_IRQ_INFO works.
            Assert.Equal(5u, device.NumIrqs);
            Assert.Equal(5u, VfioPS.Operations.IrqInfoReader.Read(device, 2).Info.Count);
        }
        Assert.All(nodes.Inner.Handles, h => Assert.True(h.IsClosed));
    }

    [Fact]
    public void TheVfTokenGoesInTheTwentyFourByteBind()
    {
        using var tree = new FakeHostTree().Device("0000:00:10.0", "8086:10d3", "020000", "vfio-pci", 3, cdev: "vfio0");
        File.WriteAllText(tree.Paths.Iommufd, "");
        var nodes = new CdevKernelNodes();
        var token = Guid.Parse("01020304-0506-0708-090a-0b0c0d0e0f10");
        using var device = KernelDevices.Open("0000:00:10.0", token, tree.Paths, VfioOpenPath.Cdev, nodes);
        var bind = Assert.Single(nodes.Inner.Binds);
        Assert.Equal((24u, 1u), (bind.Argsz, bind.Flags));
        Assert.Equal(Bytes.Hex("01020304 05060708 090A0B0C 0D0E0F10"), bind.Token);
    }

    [Fact]
    public void TwoDevicesOfOneGroupShareTheGroupAndTheContainer()
    {
        using var tree = new FakeHostTree()
            .Device("0000:00:14.0", "1234:11e8", "00ff00", "vfio-pci", 9)
            .Device("0000:00:14.1", "1234:11e8", "00ff00", "vfio-pci", 9);
        var nodes = new FakeKernelNodes();
        var token = Guid.Parse("11111111-2222-3333-4444-555555555555");
        var first = KernelDevices.Open("0000:00:14.0", null, tree.Paths, VfioOpenPath.Auto, nodes);
        var second = KernelDevices.Open("0000:00:14.1", token, tree.Paths, VfioOpenPath.Group, nodes);
        Assert.Equal("Kernel group", first.Channel);
        Assert.Equal(new[] { tree.Paths.Container, tree.Paths.Group(9) }, nodes.Opened);
        Assert.Equal(new[] { "0000:00:14.0", "0000:00:14.1 vf_token=11111111-2222-3333-4444-555555555555" }, nodes.DeviceNames);
        first.Dispose();
        Assert.All(nodes.Handles, h => Assert.False(h.IsClosed));          // the group stays for the second device
        Assert.Equal(1u, VfioPS.Operations.IrqInfoReader.Read(second, 0).Info.Count);   // e1000e INTx, still answering
        second.Dispose();
        Assert.All(nodes.Handles, h => Assert.True(h.IsClosed));           // the last device released group and container
    }
}
