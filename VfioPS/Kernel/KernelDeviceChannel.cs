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

    public void Dispose()
    {
        _device.Dispose();
        _group.Dispose();
    }
}
