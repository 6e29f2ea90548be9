using System;
using VfioPS.Abi;

namespace VfioPS.Channels;

/// <summary>
/// The answer to one ioctl: the syscall's return value, and the errno when it returned -1. SET_IRQS can return
/// a positive value (fewer MSI vectors than asked), so success is ReturnValue == 0, not "not -1".
/// </summary>
public readonly record struct IoctlResult(int ReturnValue, Errno Errno)
{
    public static IoctlResult Success { get; } = new(0, Errno.None);
    public static IoctlResult Fail(Errno errno) => new(-1, errno);
    public bool IsError => ReturnValue == -1;
}

/// <summary>
/// The seam between VfioPS and a device, at the ioctl byte level: a request number and the argument buffer,
/// answered with a return value or an errno, as ioctl(2) on a VFIO device fd would. The kernel channel and the
/// loopback mock device both implement it; nothing above it knows which one it talks to.
/// </summary>
public interface IVfioDeviceChannel : IDisposable
{
    /// <summary>What the channel talks to, for messages: "mock", "vfio group", "vfio cdev".</summary>
    string Kind { get; }

    /// <summary>
    /// Issues <paramref name="request"/> with <paramref name="argument"/> as the pointer argument. The device may
    /// read and write the buffer in place. A device never writes past <paramref name="argument"/>: an argsz that
    /// claims more than the buffer holds fails with EFAULT rather than corrupting memory.
    /// </summary>
    IoctlResult Ioctl(uint request, Span<byte> argument);

    /// <summary>
    /// pread(2) at <paramref name="offset"/> of the device fd: region access, at the offsets
    /// VFIO_DEVICE_GET_REGION_INFO gives (vfio-pci puts region index N at N &lt;&lt; 40). The device may move fewer
    /// bytes than the buffer holds; the result says how many. A channel without regions answers as the kernel does
    /// for a file that cannot be read: EINVAL.
    /// </summary>
    RegionIoResult Read(Span<byte> buffer, long offset) => RegionIoResult.Fail(Errno.EINVAL);

    /// <summary>pwrite(2) at <paramref name="offset"/> of the device fd; as <see cref="Read"/>.</summary>
    RegionIoResult Write(ReadOnlySpan<byte> buffer, long offset) => RegionIoResult.Fail(Errno.EINVAL);
}
