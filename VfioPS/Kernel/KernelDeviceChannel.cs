using System;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Native;

namespace VfioPS.Kernel;

/// <summary>
/// A VFIO device fd from the kernel (group path): every ioctl goes to it unchanged. Disposing closes the fd, which
/// makes vfio-pci disable every IRQ and reset the function, then releases the group reference it holds.
/// </summary>
internal sealed class KernelDeviceChannel : IVfioDeviceChannel
{
    private readonly SafeFileDescriptorHandle _device;
    private readonly VfioGroupTable.Lease _group;

    public KernelDeviceChannel(SafeFileDescriptorHandle device, VfioGroupTable.Lease group)
    {
        _device = device;
        _group = group;
    }

    public string Kind => "Kernel";

    public IoctlResult Ioctl(uint request, Span<byte> argument) => KernelSyscalls.Ioctl(_device, request, argument);

    /// <summary>pread(2) on the device fd: region access at the offset VFIO_DEVICE_GET_REGION_INFO gives.</summary>
    public Errno Read(Span<byte> buffer, long offset) => KernelSyscalls.Pread(_device, buffer, offset);

    /// <summary>pwrite(2) on the device fd.</summary>
    public Errno Write(ReadOnlySpan<byte> buffer, long offset) => KernelSyscalls.Pwrite(_device, buffer, offset);

    public void Dispose()
    {
        _device.Dispose();
        _group.Dispose();
    }
}
