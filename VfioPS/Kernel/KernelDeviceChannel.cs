using System;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Native;

namespace VfioPS.Kernel;

/// <summary>
/// A VFIO device fd from the kernel (group path or cdev): every ioctl goes to it unchanged. Disposing closes the
/// fd, which makes vfio-pci disable every IRQ and reset the function, then releases what kept it usable (the group
/// reference, or the iommufd it is bound to).
/// </summary>
internal sealed class KernelDeviceChannel : IVfioDeviceChannel
{
    private readonly SafeFileDescriptorHandle _device;
    private readonly IDisposable _owner;
    private readonly IKernelNodes _nodes;

    public KernelDeviceChannel(SafeFileDescriptorHandle device, IDisposable owner, string kind, IKernelNodes? nodes = null)
    {
        _device = device;
        _owner = owner;
        Kind = kind;
        _nodes = nodes ?? LinuxKernelNodes.Instance;
    }

    /// <summary>"Kernel group" or "Kernel cdev".</summary>
    public string Kind { get; }

    public IoctlResult Ioctl(uint request, Span<byte> argument) => _nodes.Ioctl(_device, request, argument);

    /// <summary>pread(2) on the device fd: region access at the offset VFIO_DEVICE_GET_REGION_INFO gives.</summary>
    public RegionIoResult Read(Span<byte> buffer, long offset) => KernelSyscalls.Pread(_device, buffer, offset);

    /// <summary>pwrite(2) on the device fd.</summary>
    public RegionIoResult Write(ReadOnlySpan<byte> buffer, long offset) => KernelSyscalls.Pwrite(_device, buffer, offset);

    public void Dispose()
    {
        _device.Dispose();
        _owner.Dispose();
    }
}
