namespace VfioPS.Abi;

/// <summary>
/// The Linux errno values VFIO answers with. These are the asm-generic numbers, identical on x86_64, arm64
/// and arm, so the mock device and the kernel channel share them without a native lookup.
/// </summary>
public enum Errno
{
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    ENODEV = 19,
    EINVAL = 22,
    ENOSPC = 28,
    ERANGE = 34,
    ENOTTY = 25,
    ENOSYS = 38,
    EUSERS = 87,
    EOPNOTSUPP = 95,
}

/// <summary>Human text for errno values, as strerror(3) words them (glibc), so messages read like the kernel's.</summary>
public static class ErrnoText
{
    public static string Describe(Errno errno) => errno switch
    {
        Errno.None => "Success",
        Errno.EPERM => "Operation not permitted",
        Errno.ENOENT => "No such file or directory",
        Errno.EINTR => "Interrupted system call",
        Errno.EIO => "Input/output error",
        Errno.ENXIO => "No such device or address",
        Errno.EBADF => "Bad file descriptor",
        Errno.EAGAIN => "Resource temporarily unavailable",
        Errno.ENOMEM => "Cannot allocate memory",
        Errno.EACCES => "Permission denied",
        Errno.EFAULT => "Bad address",
        Errno.EBUSY => "Device or resource busy",
        Errno.EEXIST => "File exists",
        Errno.ENODEV => "No such device",
        Errno.EINVAL => "Invalid argument",
        Errno.ENOSPC => "No space left on device",
        Errno.ERANGE => "Numerical result out of range",
        Errno.ENOTTY => "Inappropriate ioctl for device",
        Errno.ENOSYS => "Function not implemented",
        Errno.EUSERS => "Too many users",
        Errno.EOPNOTSUPP => "Operation not supported",
        _ => "errno " + (int)errno,
    };

    /// <summary>"EINVAL (Invalid argument)"; unnamed values print as "errno 123".</summary>
    public static string Format(Errno errno)
        => System.Enum.IsDefined(typeof(Errno), errno) ? $"{errno} ({Describe(errno)})" : Describe(errno);
}
