using System;
using VfioPS.Abi;

namespace VfioPS;

/// <summary>
/// What went wrong, in the terms PowerShell's ErrorCategory uses. The core stays free of PowerShell types; the
/// cmdlet layer maps each kind to the ErrorCategory of the same name.
/// </summary>
public enum VfioErrorKind
{
    NotSpecified,
    InvalidArgument,
    ObjectNotFound,
    PermissionDenied,
    ResourceBusy,
    ResourceUnavailable,
    NotImplemented,
    InvalidData,
    InvalidOperation,
    LimitsExceeded,
    ProtocolError,
    DeviceError,
    NotInstalled,
    ResourceExists,
}

/// <summary>
/// The one exception type the core throws. ErrorId is a stable PascalCase id (it becomes the ErrorRecord's id),
/// Errno is what the device answered when the failure came from an ioctl, Target names the device or file.
/// </summary>
public sealed class VfioException : Exception
{
    public VfioException(string errorId, VfioErrorKind kind, string message, object? target = null, Errno errno = Errno.None, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
        Errno = errno;
    }

    public string ErrorId { get; }
    public VfioErrorKind Kind { get; }
    public object? Target { get; }
    public Errno Errno { get; }

    /// <summary>The category an errno belongs to, as the module maps it everywhere.</summary>
    public static VfioErrorKind KindFromErrno(Errno errno) => errno switch
    {
        Errno.EINVAL or Errno.EBADF or Errno.EFAULT or Errno.ERANGE => VfioErrorKind.InvalidArgument,
        Errno.ENOENT or Errno.ENODEV or Errno.ENXIO => VfioErrorKind.ObjectNotFound,
        Errno.EACCES or Errno.EPERM => VfioErrorKind.PermissionDenied,
        Errno.EBUSY or Errno.EAGAIN => VfioErrorKind.ResourceBusy,
        Errno.ENOTTY or Errno.EOPNOTSUPP or Errno.ENOSYS => VfioErrorKind.NotImplemented,
        Errno.ENOMEM or Errno.ENOSPC => VfioErrorKind.ResourceUnavailable,
        _ => VfioErrorKind.DeviceError,
    };

    /// <summary>A failed ioctl: the id names the operation, the category follows the errno.</summary>
    public static VfioException FromIoctl(string errorId, string what, Errno errno, object? target)
        => new(errorId, KindFromErrno(errno), $"{what} failed: {ErrnoText.Format(errno)}.", target, errno);
}
