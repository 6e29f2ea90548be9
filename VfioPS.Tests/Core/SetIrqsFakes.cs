using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using VfioPS.Native;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// vfio_irq_set requests written byte by byte from vfio-abi.md §1.2 (not through the codec, so a codec mistake cannot
/// cancel out against the mock's decoder): u32 argsz@0, flags@4, index@8, start@12, count@16, data@20.
/// </summary>
internal static class IrqSet
{
    /// <summary>VFIO_DEVICE_SET_IRQS = _IO(';', 100 + 10), §1.1.</summary>
    public const uint Request = 0x3B6E;

    public const uint DataNone = 1u << 0;
    public const uint DataBool = 1u << 1;
    public const uint DataEventFd = 1u << 2;
    public const uint Mask = 1u << 3;
    public const uint Unmask = 1u << 4;
    public const uint Trigger = 1u << 5;

    public const uint IntX = 0, Msi = 1, MsiX = 2, Err = 3, Req = 4;

    /// <summary>
    /// A request exactly as given: <paramref name="length"/> bytes (at least 20 unless smaller on purpose), the header,
    /// then <paramref name="payload"/> from offset 20. argsz is written as given, whatever the buffer length.
    /// </summary>
    public static byte[] Raw(uint argsz, uint flags, uint index, uint start, uint count, int length = 20, byte[]? payload = null)
    {
        var buffer = new byte[length];
        Span<uint> words = stackalloc uint[] { argsz, flags, index, start, count };
        for (int i = 0; i < words.Length && i * 4 + 4 <= length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(i * 4), words[i]);
        payload?.CopyTo(buffer, 20);
        return buffer;
    }

    /// <summary>DATA_NONE: the 20-byte header, argsz 20.</summary>
    public static byte[] None(uint action, uint index, uint start, uint count) => Raw(20, action | DataNone, index, start, count);

    /// <summary>DATA_BOOL: one byte per vector.</summary>
    public static byte[] Bool(uint action, uint index, uint start, params byte[] values)
        => Raw((uint)(20 + values.Length), action | DataBool, index, start, (uint)values.Length, 20 + values.Length, values);

    /// <summary>DATA_EVENTFD: one s32 per vector (-1 de-assigns).</summary>
    public static byte[] EventFds(uint action, uint index, uint start, params int[] fds)
        => Raw((uint)(20 + fds.Length * 4), action | DataEventFd, index, start, (uint)fds.Length, 20 + fds.Length * 4, FdPayload(fds));

    /// <summary>The s32 array of an EVENTFD payload.</summary>
    public static byte[] FdPayload(params int[] fds)
    {
        var payload = new byte[fds.Length * 4];
        for (int i = 0; i < fds.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(i * 4), fds[i]);
        return payload;
    }
}

internal static class SetIrqsAssert
{
    public static IoctlResult SetIrqs(this IVfioDeviceChannel channel, byte[] request) => channel.Ioctl(IrqSet.Request, request);

    /// <summary>The ioctl returned 0.</summary>
    public static void Ok(IoctlResult result) => Assert.Equal(IoctlResult.Success, result);

    /// <summary>The ioctl returned -1 with <paramref name="errno"/>.</summary>
    public static void Refused(Errno errno, IoctlResult result) => Assert.Equal(IoctlResult.Fail(errno), result);

    /// <summary>Polls <paramref name="condition"/> every 10 ms until it holds or <paramref name="milliseconds"/> pass.</summary>
    public static bool Eventually(Func<bool> condition, int milliseconds = 2000)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (condition()) return true;
            if (clock.ElapsedMilliseconds > milliseconds) return false;
            Thread.Sleep(10);
        }
    }
}

/// <summary>A few real eventfds (non-blocking, as FileDescriptors creates them), disposed together.</summary>
internal sealed class EventFdSet : IDisposable
{
    private readonly SafeFileDescriptorHandle[] _handles;

    public EventFdSet(int count)
    {
        _handles = new SafeFileDescriptorHandle[count];
        for (int i = 0; i < count; i++) _handles[i] = FileDescriptors.CreateEventFd();
    }

    public SafeFileDescriptorHandle this[int i] => _handles[i];
    public int Count => _handles.Length;
    public int[] Fds => _handles.Select(h => h.Fd).ToArray();

    /// <summary>Reads (and resets) every counter; 0 where nothing was signalled.</summary>
    public ulong[] ReadAll() => _handles.Select(FileDescriptors.ReadCounter).ToArray();

    public void Dispose()
    {
        foreach (var h in _handles) h.Dispose();
    }
}

/// <summary>File descriptors that exist in the process but must be refused: a number that is no open fd, and an open file that is no eventfd.</summary>
internal sealed class ForeignFds : IDisposable
{
    private readonly SafeFileHandle _file = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);

    public ForeignFds()
    {
        Assert.False(FdOpen(NotOpen), $"fd {NotOpen} is open in the test process; the EBADF cases need a number that is not");
        Assert.False(FileDescriptors.IsEventFd(NotEventFd));
    }

    /// <summary>12345, as §7 measured it: not an open fd.</summary>
    public int NotOpen => 12345;

    /// <summary>An open fd on /dev/null: not an eventfd.</summary>
    public int NotEventFd => (int)_file.DangerousGetHandle();

    private static bool FdOpen(int fd) => Directory.GetFiles("/proc/self/fd").Contains($"/proc/self/fd/{fd}");

    public void Dispose() => _file.Dispose();
}

/// <summary>The process's fd count, measured so that transient fds (a directory handle, a closing thread) do not show.</summary>
internal static class FdCount
{
    /// <summary>
    /// The open fds, less the kinds only the .NET runtime and the test host open, at times of their own choosing
    /// (a pipe for signal handling, an epoll and sockets for their I/O): VfioPS and the mock open none of those, and a
    /// count that took them in failed a test when the host opened a pipe pair in the middle of it.
    /// </summary>
    public static int Now() => FileDescriptors.OpenTargets().Count(target =>
        !(target.StartsWith("pipe:", StringComparison.Ordinal) || target.StartsWith("socket:", StringComparison.Ordinal)
            || target == "anon_inode:[eventpoll]"));

    /// <summary>The count once two readings 20 ms apart agree (at most 2 s).</summary>
    public static int Settled()
    {
        int last = Now();
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 2000)
        {
            Thread.Sleep(20);
            int now = Now();
            if (now == last) return now;
            last = now;
        }
        return last;
    }

    /// <summary>
    /// Asserts the count is <paramref name="expected"/> now. Used where every close is synchronous: waiting would give the
    /// GC time to finalize a leaked (unreachable) handle and hide the leak.
    /// </summary>
    public static void AssertNow(int expected, string what)
    {
        int now = Now();
        Assert.True(now == expected, $"{what}: {now} fds open, expected {expected}");
    }

    /// <summary>Asserts the count reaches <paramref name="expected"/> within 2 s (the INTx resample thread closes its fds on its own time).</summary>
    public static void AssertReturnsTo(int expected, string what)
    {
        int now = 0;
        bool reached = SetIrqsAssert.Eventually(() => (now = Now()) == expected);
        Assert.True(reached, $"{what}: {now} fds open, expected {expected}");
    }
}

/// <summary>
/// Tests that count the process's fds run in this collection: xunit runs it alone, after every parallel collection,
/// so no other test opens or closes fds while a count is taken.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FdCountingCollection
{
    public const string Name = "fd counting (serial)";
}

/// <summary>Mock profiles written for these tests, each like e1000e (§7) except where named.</summary>
internal static class SetIrqsProfiles
{
    public static MockDeviceChannel Open(string builtIn) => new(MockProfileReader.LoadBuiltIn(builtIn));

    public static MockDeviceChannel Open(MockDeviceProfile profile) => new(profile);

    private const string IntxEntry = """{ "index": 0, "flags": ["EventFd", "Maskable", "AutoMasked"], "count": 1 }""";
    private const string MsiEntry = """{ "index": 1, "flags": ["EventFd", "NoResize"], "count": 1 }""";
    private const string MsixEntry = """{ "index": 2, "flags": ["EventFd", "NoResize"], "count": 5 }""";
    private const string ErrEntry = """{ "index": 3, "flags": ["EventFd", "NoResize"], "count": 1 }""";
    private const string ReqEntry = """{ "index": 4, "flags": ["EventFd", "NoResize"], "count": 1 }""";

    /// <summary>An e1000e with its MSI-X (or ERR/REQ) entries replaced.</summary>
    public static MockDeviceProfile LikeE1000e(string name, string msix = MsixEntry, string err = ErrEntry, string req = ReqEntry, string kernel = MockKernelRules.BaselineKernel)
        => MockProfileReader.Parse($$"""
            {
              "name": "{{name}}",
              "kernel": "{{kernel}}",
              "device": { "flags": ["Pci", "Reset"], "numRegions": 9, "numIrqs": 5 },
              "irqs": [ {{IntxEntry}}, {{MsiEntry}}, {{msix}}, {{err}}, {{req}} ]
            }
            """, "test:" + name);

    /// <summary>MSI-X without NORESIZE on a kernel with dynamic MSI-X (§2.4 has_dyn_msix, 6.5 on): vectors added on demand.</summary>
    public static MockDeviceProfile DynamicMsix()
        => LikeE1000e("dyn-msix", msix: """{ "index": 2, "flags": ["EventFd"], "count": 5 }""", kernel: "6.12.117+deb12-amd64");

    /// <summary>MSI-X count 8, of which the platform can allocate 4.</summary>
    public static MockDeviceProfile MsixPlatformLimit()
        => LikeE1000e("msix-limit", msix: """{ "index": 2, "flags": ["EventFd", "NoResize"], "count": 8, "platformVectors": 4 }""");

    /// <summary>MSI-X with 2048 vectors (QSIZE+1 at its maximum).</summary>
    public static MockDeviceProfile Msix2048()
        => LikeE1000e("msix-2048", msix: """{ "index": 2, "flags": ["EventFd", "NoResize"], "count": 2048 }""");

    /// <summary>
    /// ERR and REQ with count 2. No vfio-pci device reports that (both are 0 or 1), but it lets a request through the
    /// generic range check of §2.5 so that the ERR/REQ handler's own "start 0, count ≤ 1" rule (§2.7) is what refuses it.
    /// </summary>
    public static MockDeviceProfile ErrReqCount2()
        => LikeE1000e("err-req-2",
            err: """{ "index": 3, "flags": ["EventFd", "NoResize"], "count": 2 }""",
            req: """{ "index": 4, "flags": ["EventFd", "NoResize"], "count": 2 }""");
}
