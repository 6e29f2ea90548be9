using System;
using System.Buffers.Binary;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Operations;

/// <summary>An INFO ioctl's answer: the buffer as the device left it (its length is the argsz passed), or the errno.</summary>
internal readonly record struct InfoAnswer(IoctlResult Result, byte[] Buffer);

/// <summary>
/// One INFO request as <see cref="InfoQuery"/> sends it. A struct the reader fills in, so a read allocates no
/// closures, and the text naming the call for errors is only made when there is an error to report.
/// </summary>
internal interface IInfoRequest
{
    void Encode(Span<byte> buffer, uint argsz);
    bool HasCaps(ReadOnlySpan<byte> answer);
    /// <summary>"VFIO_DEVICE_GET_IRQ_INFO for index 5 of 'mock:gvt-vgpu/1'", for messages.</summary>
    string Describe();
}

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
        var first = new byte[initialArgsz];
        var query = new DelegateRequest(encode, hasCaps, what);
        Negotiate(channel, request, first, ref query, target, out var result, out byte[]? grown);
        return new InfoAnswer(result, grown ?? first);
    }

    /// <summary>
    /// Sends <paramref name="first"/> (its length is the first argsz; the caller may stackalloc it) and, if the device
    /// asks for more, one heap buffer of the size asked (<paramref name="grown"/>). Returns the answer: the buffer the
    /// last call filled, or that errored.
    /// </summary>
    public static Span<byte> Negotiate<TRequest>(IVfioDeviceChannel channel, uint request, Span<byte> first, ref TRequest query,
        object target, out IoctlResult result, out byte[]? grown) where TRequest : struct, IInfoRequest
    {
        grown = null;
        Span<byte> buffer = first;
        for (int attempt = 0; ; attempt++)
        {
            int argsz = buffer.Length;
            query.Encode(buffer, (uint)argsz);
            result = channel.Ioctl(request, buffer);
            if (result.IsError) return buffer;

            uint reported = BinaryPrimitives.ReadUInt32LittleEndian(buffer);
            if (!query.HasCaps(buffer) || reported <= (uint)argsz) return buffer;

            if (reported > MaxArgsz)
                throw new VfioException("VfioArgszTooLarge", VfioErrorKind.LimitsExceeded,
                    $"{query.Describe()}: the device asked for a {reported}-byte buffer, more than the {MaxArgsz} bytes VfioPS allows; the answer was not read.",
                    target);
            if (attempt > 0)
                throw new VfioException("VfioArgszNegotiationFailed", VfioErrorKind.ProtocolError,
                    $"{query.Describe()}: the device asked for {reported} bytes after it was given the {argsz} bytes it asked for before.",
                    target);
            grown = new byte[reported];
            buffer = grown;
        }
    }

    private readonly struct DelegateRequest : IInfoRequest
    {
        private readonly EncodeRequest _encode;
        private readonly CapsFlagTest _hasCaps;
        private readonly string _what;

        public DelegateRequest(EncodeRequest encode, CapsFlagTest hasCaps, string what)
        {
            _encode = encode;
            _hasCaps = hasCaps;
            _what = what;
        }

        public void Encode(Span<byte> buffer, uint argsz) => _encode(buffer, argsz);
        public bool HasCaps(ReadOnlySpan<byte> answer) => _hasCaps(answer);
        public string Describe() => _what;
    }
}
