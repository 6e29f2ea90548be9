using VfioPS.Abi;

namespace VfioPS.Channels;

/// <summary>
/// The answer to one pread(2) or pwrite(2) on a device fd: how many bytes moved, or the errno when the call
/// returned -1. A transfer shorter than asked is an answer of its own, never folded into an error: vfio-pci clips
/// an access that runs past the end of a BAR to the bytes that are there and returns that count.
/// </summary>
public readonly record struct RegionIoResult(long Transferred, Errno Errno)
{
    public static RegionIoResult Fail(Errno errno) => new(-1, errno);
    public static RegionIoResult Moved(long count) => new(count, Errno.None);
    public bool IsError => Transferred < 0;

    public override string ToString() => IsError ? Errno.ToString() : $"{Transferred} bytes";
}
