using System;
using System.Globalization;

namespace VfioPS.Commands;

/// <summary>What -EventFd accepts: eventfd objects from New-VfioEventFd, or fd numbers (-1 de-assigns a vector).</summary>
public sealed class VfioEventFdArgument
{
    public VfioEventFdArgument(VfioEventFd eventFd)
    {
        EventFd = eventFd ?? throw new ArgumentNullException(nameof(eventFd));
        Fd = eventFd.Fd;
    }

    public VfioEventFdArgument(int fd) => Fd = fd;

    public VfioEventFdArgument(long fd) => Fd = fd is >= int.MinValue and <= int.MaxValue
        ? (int)fd
        : throw new ArgumentOutOfRangeException(nameof(fd), fd, "An fd number is a 32-bit integer.");

    /// <summary>From the command line, where PowerShell passes -1 as the string "-1".</summary>
    public VfioEventFdArgument(string fd) => Fd = int.TryParse(fd?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n)
        ? n
        : throw new ArgumentException($"'{fd}' is not an fd number; give an eventfd object from New-VfioEventFd or a number (-1 de-assigns).", nameof(fd));

    /// <summary>The object, when one was given; its binding is recorded on it.</summary>
    public VfioEventFd? EventFd { get; }
    public int Fd { get; }

    public override string ToString() => Fd.ToString(CultureInfo.InvariantCulture);
}
