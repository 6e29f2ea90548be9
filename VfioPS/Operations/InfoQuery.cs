using System;
using System.Buffers.Binary;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Operations;

/// <summary>An INFO ioctl's answer: the buffer as the device left it (its length is the argsz passed), or the errno.</summary>
internal readonly record struct InfoAnswer(IoctlResult Result, byte[] Buffer);

/// <summary>
/// The VFIO argsz protocol for INFO ioctls with capability chains (vfio-abi.md §2.1): a device whose chain does
/// not fit sets its caps flag, raises argsz to the size it needs and returns 0. The caller retries once with
/// that size. A second "too small" or a size past <see cref="MaxArgsz"/> is refused instead of allocated.
/// </summary>
internal static class InfoQuery
{
    /// <summary>The largest answer the module will allocate for: far above any real chain (the kernel's are &lt; 1 KiB).</summary>
    public const int MaxArgsz = 64 * 1024;

    public delegate void EncodeRequest(Span<byte> buffer, uint argsz);
    public delegate bool CapsFlagTest(ReadOnlySpan<byte> answer);

    public static InfoAnswer Negotiate(IVfioDeviceChannel channel, uint request, int initialArgsz,
        EncodeRequest encode, CapsFlagTest hasCaps, string what, object target)
    {
        int argsz = initialArgsz;
        for (int attempt = 0; ; attempt++)
        {
            var buffer = new byte[argsz];
            encode(buffer, (uint)argsz);
            var result = channel.Ioctl(request, buffer);
            if (result.IsError) return new InfoAnswer(result, buffer);

            uint reported = BinaryPrimitives.ReadUInt32LittleEndian(buffer);
            if (!hasCaps(buffer) || reported <= (uint)argsz) return new InfoAnswer(result, buffer);

            if (reported > MaxArgsz)
                throw new VfioException("VfioArgszTooLarge", VfioErrorKind.LimitsExceeded,
                    $"{what}: the device asked for a {reported}-byte buffer, more than the {MaxArgsz} bytes VfioPS allows; the answer was not read.",
                    target);
            if (attempt > 0)
                throw new VfioException("VfioArgszNegotiationFailed", VfioErrorKind.ProtocolError,
                    $"{what}: the device asked for {reported} bytes after it was given the {argsz} bytes it asked for before.",
                    target);
            argsz = (int)reported;
        }
    }
}
