using System;
using VfioPS.Abi;

namespace VfioPS.Channels;

/// <summary>
/// Restarts a call that a signal interrupted (EINTR), as a caller of ioctl(2), pread(2) and pwrite(2) must: the kernel
/// returns EINTR only before the call did anything (a VFIO ioctl copies its answer back last), so the same call is
/// sent again. Bounded, so a signal storm ends as an EINTR error instead of a hang. Every device the module opens
/// talks through one of these, GET_INFO at open included.
/// </summary>
internal sealed class RestartingChannel : IVfioDeviceChannel, IChannelDecorator
{
    /// <summary>How many times one call is restarted before its EINTR is reported.</summary>
    public const int MaxRestarts = 16;

    private readonly IVfioDeviceChannel _inner;

    public RestartingChannel(IVfioDeviceChannel inner) => _inner = inner;

    public IVfioDeviceChannel Inner => _inner;

    public string Kind => _inner.Kind;

    public IoctlResult Ioctl(uint request, Span<byte> argument)
    {
        var result = _inner.Ioctl(request, argument);
        for (int restart = 0; restart < MaxRestarts && result.IsError && result.Errno == Errno.EINTR; restart++)
            result = _inner.Ioctl(request, argument);
        return result;
    }

    public RegionIoResult Read(Span<byte> buffer, long offset)
    {
        var result = _inner.Read(buffer, offset);
        for (int restart = 0; restart < MaxRestarts && result.IsError && result.Errno == Errno.EINTR; restart++)
            result = _inner.Read(buffer, offset);
        return result;
    }

    public RegionIoResult Write(ReadOnlySpan<byte> buffer, long offset)
    {
        var result = _inner.Write(buffer, offset);
        for (int restart = 0; restart < MaxRestarts && result.IsError && result.Errno == Errno.EINTR; restart++)
            result = _inner.Write(buffer, offset);
        return result;
    }

    public void Dispose() => _inner.Dispose();
}
