using System;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Native;

namespace VfioPS.Kernel;

/// <summary>
/// The syscalls the kernel paths make on VFIO nodes. The real implementation is <see cref="LinuxKernelNodes"/>;
/// tests substitute one that answers like a kernel with the cdev path, which Debian's 6.1 in the lane lacks.
/// </summary>
internal interface IKernelNodes
{
    SafeFileDescriptorHandle? Open(string path, out Errno errno);
    IoctlResult Ioctl(SafeFileDescriptorHandle fd, uint request, Span<byte> argument);
    IoctlResult IoctlValue(SafeFileDescriptorHandle fd, uint request, int value);
}

internal sealed class LinuxKernelNodes : IKernelNodes
{
    public static LinuxKernelNodes Instance { get; } = new();

    public SafeFileDescriptorHandle? Open(string path, out Errno errno) => KernelSyscalls.Open(path, out errno);
    public IoctlResult Ioctl(SafeFileDescriptorHandle fd, uint request, Span<byte> argument) => KernelSyscalls.Ioctl(fd, request, argument);
    public IoctlResult IoctlValue(SafeFileDescriptorHandle fd, uint request, int value) => KernelSyscalls.IoctlValue(fd, request, value);
}
