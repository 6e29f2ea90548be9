using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Kernel;
using VfioPS.Mock;
using VfioPS.Operations;

namespace VfioPS.KernelLane;

/// <summary>
/// The seed's device-specific IRQ indexes on a real driver: the lane's reference mdev driver seed_mdev (one instance
/// of each type, at fixed UUIDs) against the mock profile it implements, at the channel seam. GET_IRQ_INFO on every
/// index 0..7 at every argsz from 0 to 64, at the size the answer asks for and at 256, with guard bytes past argsz;
/// every SET_IRQS case on index 5 (validation, data types and sizes, actions, binding, unbinding, bad fds, loopback
/// that must really signal on both sides); then seeded random GET_IRQ_INFO and SET_IRQS headers. Without the
/// instances (a kernel the module is not built for) the rows say so once and count nothing.
/// </summary>
public static partial class Program
{
    /// <summary>The seed_mdev types and the built-in profile each must answer as.</summary>
    private static readonly (string Type, string Profile)[] s_seedMdevs =
    {
        ("seed_mdev-display", "gvt-vgpu"),
        ("seed_mdev-chain", "seed-mdev-chain"),
    };

    /// <summary>The seed of the random rows, printed with them: a difference found there reproduces with it.</summary>
    private const int SeedMdevRandomSeed = 20261203;

    private const int SeedMdevRandomRows = 2000;

    /// <summary>The device-specific index of both types.</summary>
    private const uint SeedIndex = 5;

    /// <summary>
    /// The instances run-lane.sh created before the program started, one line each in $KERNEL_LANE_MDEV_DEVICES:
    /// "UUID TYPE PARENT group=N /dev/vfio/N"; what went wrong creating them in the same file with ".failed"; and
    /// why there are none on this kernel in $KERNEL_LANE_SEED_MDEV_SKIP.
    /// </summary>
    private static void SeedMdevRows()
    {
        string list = Environment.GetEnvironmentVariable("KERNEL_LANE_MDEV_DEVICES") ?? "/tmp/seed-mdev-devices.txt";
        string? skip = Environment.GetEnvironmentVariable("KERNEL_LANE_SEED_MDEV_SKIP");
        var failed = File.Exists(list + ".failed") ? File.ReadAllLines(list + ".failed").Where(l => l.Trim().Length > 0).ToArray() : Array.Empty<string>();
        var instances = (File.Exists(list) ? File.ReadAllLines(list) : Array.Empty<string>())
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(p => p.Length >= 2).ToDictionary(p => p[1], p => p[0]);
        foreach (string reason in failed) Fail("mdev", "seed_mdev: " + reason);
        if (instances.Count == 0 && failed.Length == 0)
        {
            string why = skip ?? $"no seed_mdev instances listed in {list}";
            Console.WriteLine($"seed-mdev rows: skipped on {s_kernel}: {why}");
            s_rows.Add($"{"not run: seed_mdev device-specific IRQs (skipped)",-58} {"-",-12} {"-",-14} {"-",-14} {why}");
            return;
        }
        foreach (var (type, profile) in s_seedMdevs)
        {
            string label = "mdev " + type.Substring(type.IndexOf('-') + 1);
            if (!instances.TryGetValue(type, out string? uuid))
            {
                if (failed.Length == 0) Fail(label, $"no {type} instance in {list}");
                continue;
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int rowsBefore = s_passed + s_failed;
            try
            {
                using var kernel = KernelDevices.Open(uuid);
                using var mock = MockDevices.OpenBuiltIn(profile);
                Console.WriteLine($"{uuid} {type}: flags {kernel.Flags}, {kernel.NumRegions} regions, {kernel.NumIrqs} irqs; mock profile {profile}");
                Check(label, $"GET_INFO: flags and num_irqs equal the {profile} profile's", kernel.Flags == mock.Flags && kernel.NumIrqs == mock.NumIrqs,
                    $"kernel {kernel.Flags}/{kernel.NumIrqs}, mock {mock.Flags}/{mock.NumIrqs}");
                SeedMdevCompare(label, kernel.OpenChannel, mock.OpenChannel);
                IrqInfoRead(label, kernel, mock);
            }
            catch (Exception e)
            {
                Fail(label, $"unexpected {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
            Console.WriteLine($"seed-mdev rows: {type}: {s_passed + s_failed - rowsBefore} rows in {clock.Elapsed.TotalSeconds:F1} s");
        }
    }

    /// <summary>The module's IRQ reader on both sides: the same typed answer (flags, count, every capability) for every index.</summary>
    private static void IrqInfoRead(string label, VfioDevice kernel, VfioDevice mock)
    {
        static string Show(IrqInfoResult r) => $"{r.Info.Name} count {r.Info.Count} flags {r.Info.Flags} supported {r.Info.Supported} " +
            $"caps [{string.Join(" ", r.Info.Capabilities.Select(c => $"{c.Id}v{c.Version}@{c.Offset}>{c.Next}:{Convert.ToHexString(c.Data)}"))}] fault {r.Fault?.Kind.ToString() ?? "none"}";
        for (uint i = 0; i < Math.Max(kernel.NumIrqs, mock.NumIrqs); i++)
        {
            string k = Show(IrqInfoReader.Read(kernel, i)), m = Show(IrqInfoReader.Read(mock, i));
            s_rows.Add($"{Truncate($"Get-VfioIrqInfo reader: index {i}", 58),-58} {label,-12} {(k == m ? "same" : "DIFFER"),-14} {"",-14} {k}");
            Check(label, $"IRQ reader: index {i} reads the same on the kernel and the mock", k == m, $"kernel {k}; mock {m}");
        }
    }

    /// <summary>
    /// Every row, on two channels: <paramref name="kernelChannel"/> (seed_mdev, or a stand-in in the self-test) and
    /// <paramref name="mockChannel"/>. The random rows are listed only where they differ, with one summary row.
    /// </summary>
    private static void SeedMdevCompare(string label, IVfioDeviceChannel kernelChannel, IVfioDeviceChannel mockChannel)
    {
        using var kernel = new Side("kernel", kernelChannel);
        using var mock = new Side("mock", mockChannel);
        const VfioIrqSetFlags T = VfioIrqSetFlags.ActionTrigger, M = VfioIrqSetFlags.ActionMask, U = VfioIrqSetFlags.ActionUnmask;
        const uint X = SeedIndex;
        uint set = VfioIoctl.DeviceSetIrqs, irqInfo = VfioIoctl.DeviceGetIrqInfo;

        SeamAnswer Same(string name, uint request, Build build, bool listed = true) => SameAtSeam(label, name, kernel, mock, request, build, listed);
        void Reset()
        {
            foreach (var side in new[] { kernel, mock })
            {
                side.Channel.Ioctl(set, VfioIrqSetCodec.EncodeNone(T, X, 0, 0));
                side.ReadCounters();
            }
        }
        // A loopback row: the same answer on both sides, and the bound eventfd at pool position `fires` really signalled
        // once on both (no other), or none when `fires` is -1: two sides that both fail to signal are no pass.
        void Loopback(string name, Build build, int fires)
        {
            var answer = Same(name, set, build);
            bool Expected(ulong[] counters) => counters.Select((c, i) => c == (i == fires ? 1ul : 0ul)).All(ok => ok);
            Check(label, $"{name}: {(fires >= 0 ? $"eventfd {fires} signalled once" : "nothing signalled")} on both sides",
                Expected(answer.KernelFired) && Expected(answer.MockFired),
                $"kernel [{string.Join(",", answer.KernelFired)}], mock [{string.Join(",", answer.MockFired)}]");
        }
        // SET_IRQS with a payload of eventfd tokens under any argsz (shorter or longer than the payload needs).
        Build FdsSized(uint argsz, uint flags, uint index, uint start, uint count, params int[] tokens) => side =>
        {
            var b = Header(argsz, flags, index, start, count, tokens.Length * 4);
            for (int i = 0; i < tokens.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(20 + i * 4), side.Fd(tokens[i]));
            return b;
        };
        Build BoolBytes(uint argsz, uint flags, uint index, uint start, uint count, params byte[] values) => _ =>
        {
            var b = Header(argsz, flags, index, start, count, values.Length);
            values.CopyTo(b, 20);
            return b;
        };

        // GET_IRQ_INFO: every index 0..7 at every argsz 0..64, the size the answer asks for, and 256; the buffer is
        // max(16, argsz) bytes plus 16 guard bytes, all 0xAA but argsz and index, so a write past argsz shows.
        Build IrqInfo(uint index, uint argsz, byte[]? fill = null) => _ =>
        {
            var b = new byte[Math.Max(16, (int)argsz) + 16];
            if (fill is null) b.AsSpan().Fill(0xAA);
            else fill.AsSpan(0, b.Length).CopyTo(b);
            BinaryPrimitives.WriteUInt32LittleEndian(b, argsz);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), index);
            return b;
        };
        for (uint index = 0; index <= 7; index++)
        {
            for (uint argsz = 0; argsz <= 64; argsz++) Same($"GET_IRQ_INFO index {index} argsz {argsz}", irqInfo, IrqInfo(index, argsz));
            var probe = IrqInfo(index, 16)(kernel);
            if (!kernel.Channel.Ioctl(irqInfo, probe).IsError && BinaryPrimitives.ReadUInt32LittleEndian(probe) is uint asked and > 16)
                Same($"GET_IRQ_INFO index {index} retry argsz {asked}", irqInfo, IrqInfo(index, asked));
            Same($"GET_IRQ_INFO index {index} argsz 256", irqInfo, IrqInfo(index, 256));
        }
        Same("GET_IRQ_INFO index 0xffffffff argsz 256", irqInfo, IrqInfo(0xffffffff, 256));

        // SET_IRQS on index 5, one case at a time from nothing bound: vfio_set_irqs_validate_and_prepare's checks in
        // order (minsz, index, overflow, flag bits; the range against count 1; one data type; the payload size), then
        // the actions.
        (string Name, Build Build)[] singles =
        {
            ("argsz 0", _ => Header(0, 0x21, X, 0, 0)),
            ("argsz 19", _ => Header(19, 0x21, X, 0, 0)),
            ("TRIGGER|NONE count 0, nothing bound", None(T, X, 0, 0)),
            ("TRIGGER|NONE count 1, nothing bound", None(T, X, 0, 1)),
            ("TRIGGER|BOOL 1, nothing bound", Bools(T, X, 0, true)),
            ("TRIGGER|EVENTFD -1, nothing bound", Fds(T, X, 0, -1)),
            ("TRIGGER|EVENTFD -2, nothing bound", Fds(T, X, 0, -2)),
            ("TRIGGER|EVENTFD 12345 (no such fd)", Fds(T, X, 0, 12345)),
            ("TRIGGER|EVENTFD /dev/null (not an eventfd)", Fds(T, X, 0, Side.NotAnEventFd)),
            ("start 1 count 0", None(T, X, 1, 0)),
            ("start 1 count 1", None(T, X, 1, 1)),
            ("start 0 count 2", None(T, X, 0, 2)),
            ("start 0 count 2 EVENTFD", Fds(T, X, 0, 0, 1)),
            ("start 0xffffffff count 1", None(T, X, 0xffffffff, 1)),
            ("start 0xffffffff count 0", None(T, X, 0xffffffff, 0)),
            ("start 1 count 0xffffffff", None(T, X, 1, 0xffffffff)),
            ("start 0 count 0xffffffff", None(T, X, 0, 0xffffffff)),
            ("flag bit 6", _ => Header(20, 0x61, X, 0, 0)),
            ("flag bit 31", _ => Header(20, 0x80000021, X, 0, 0)),
            ("no data type", _ => Header(20, 0x20, X, 0, 1)),
            ("NONE|BOOL", BoolBytes(21, 0x23, X, 0, 1, 1)),
            ("NONE|EVENTFD", FdsSized(24, 0x25, X, 0, 1, 0)),
            ("BOOL|EVENTFD", FdsSized(24, 0x26, X, 0, 1, 0)),
            ("all three data types", FdsSized(24, 0x27, X, 0, 1, 0)),
            ("no action, NONE", _ => Header(20, 0x01, X, 0, 1)),
            ("no action, BOOL", BoolBytes(21, 0x02, X, 0, 1, 1)),
            ("no action, EVENTFD", FdsSized(24, 0x04, X, 0, 1, 0)),
            ("no action, no data type", _ => Header(20, 0x00, X, 0, 0)),
            ("MASK|TRIGGER", _ => Header(20, 0x29, X, 0, 1)),
            ("MASK|UNMASK", _ => Header(20, 0x19, X, 0, 1)),
            ("UNMASK|TRIGGER", _ => Header(20, 0x31, X, 0, 1)),
            ("all three actions", _ => Header(20, 0x39, X, 0, 1)),
            ("MASK|NONE", None(M, X, 0, 1)),
            ("MASK|NONE count 0", None(M, X, 0, 0)),
            ("MASK|BOOL 1", Bools(M, X, 0, true)),
            ("MASK|EVENTFD", Fds(M, X, 0, 0)),
            ("UNMASK|NONE", None(U, X, 0, 1)),
            ("UNMASK|BOOL 1", Bools(U, X, 0, true)),
            ("UNMASK|EVENTFD", Fds(U, X, 0, 0)),
            ("UNMASK|EVENTFD -1", Fds(U, X, 0, -1)),
            ("BOOL count 1 argsz 20 (payload missing)", BoolBytes(20, 0x22, X, 0, 1, 1)),
            ("BOOL count 1 argsz 24 (longer than needed)", BoolBytes(24, 0x22, X, 0, 1, 1)),
            ("EVENTFD count 1 argsz 20 (payload missing)", FdsSized(20, 0x24, X, 0, 1, 0)),
            ("EVENTFD count 1 argsz 21", FdsSized(21, 0x24, X, 0, 1, 0)),
            ("EVENTFD count 1 argsz 23", FdsSized(23, 0x24, X, 0, 1, 0)),
            ("EVENTFD count 1 argsz 16", FdsSized(16, 0x24, X, 0, 1, 0)),
            ("EVENTFD count 1 argsz 32 (longer than needed)", FdsSized(32, 0x24, X, 0, 1, 0)),
            ("NONE count 1 argsz 64 (payload ignored)", _ => Header(64, 0x21, X, 0, 1)),
            ("BOOL count 0", _ => Header(20, 0x22, X, 0, 0)),
            ("EVENTFD count 0", _ => Header(20, 0x24, X, 0, 0)),
            ("EVENTFD count 0 start 1", _ => Header(20, 0x24, X, 1, 0)),
            ("index 6 (num_irqs) EVENTFD", Fds(T, 6, 0, 0)),
            ("index 7 NONE count 0", None(T, 7, 0, 0)),
            ("index 0xffffffff NONE count 0", None(T, 0xffffffff, 0, 0)),
            ("index 2 (refused) NONE count 0", None(T, 2, 0, 0)),
            ("index 3 (refused) EVENTFD", Fds(T, 3, 0, 0)),
            ("index 4 (refused) EVENTFD", Fds(T, 4, 0, 0)),
        };
        foreach (var (name, build) in singles)
        {
            Reset();
            Same("SET_IRQS index 5 " + name, set, build);
            // Whatever the case did, index 5 still takes a trigger and signals it (or both sides refuse alike).
            Same($"after '{name}': bind eventfd 0", set, Fds(T, X, 0, 0), listed: false);
            Loopback($"after '{name}': loopback", None(T, X, 0, 1), fires: 0);
        }

        // Sequences on the bound index: loopback with each data type, rebinding, unbinding, bad fds, refused calls
        // that must leave the trigger in place.
        Reset();
        Same("index 5 bind eventfd 0", set, Fds(T, X, 0, 0));
        Loopback("index 5 TRIGGER|NONE count 1", None(T, X, 0, 1), fires: 0);
        Loopback("index 5 TRIGGER|BOOL 1", Bools(T, X, 0, true), fires: 0);
        Loopback("index 5 TRIGGER|BOOL 0", Bools(T, X, 0, false), fires: -1);
        Loopback("index 5 TRIGGER|BOOL byte 2", BoolBytes(21, 0x22, X, 0, 1, 2), fires: 0);
        Loopback("index 5 TRIGGER|BOOL 1 argsz 24", BoolBytes(24, 0x22, X, 0, 1, 1), fires: 0);
        Loopback("index 5 TRIGGER|NONE count 1 argsz 64", _ => Header(64, 0x21, X, 0, 1), fires: 0);
        Loopback("index 5 TRIGGER|NONE count 1 again (no unmask needed)", None(T, X, 0, 1), fires: 0);
        Loopback("index 5 TRIGGER|BOOL count 0", _ => Header(20, 0x22, X, 0, 0), fires: -1);
        Loopback("index 5 TRIGGER|EVENTFD count 0 (binding kept)", _ => Header(20, 0x24, X, 0, 0), fires: -1);
        Loopback("index 5 loopback after EVENTFD count 0", None(T, X, 0, 1), fires: 0);
        Loopback("index 5 MASK while bound", None(M, X, 0, 1), fires: -1);
        Loopback("index 5 loopback after MASK", None(T, X, 0, 1), fires: 0);
        Loopback("index 5 UNMASK while bound", None(U, X, 0, 1), fires: -1);
        Loopback("index 5 NONE start 1 while bound", None(T, X, 1, 1), fires: -1);
        Loopback("index 5 NONE count 2 while bound", None(T, X, 0, 2), fires: -1);
        Loopback("index 5 NONE|BOOL while bound", BoolBytes(21, 0x23, X, 0, 1, 1), fires: -1);
        Loopback("index 5 EVENTFD argsz 20 while bound (payload missing)", FdsSized(20, 0x24, X, 0, 1, 1), fires: -1);
        Loopback("index 5 loopback: still eventfd 0", None(T, X, 0, 1), fires: 0);
        Same("index 6 EVENTFD while 5 is bound", set, Fds(T, 6, 0, 1));
        Loopback("index 5 loopback after index 6 was refused", None(T, X, 0, 1), fires: 0);
        Same("GET_IRQ_INFO index 5 argsz 256 while bound", irqInfo, IrqInfo(X, 256));
        Same("index 5 rebind to eventfd 1", set, Fds(T, X, 0, 1));
        Loopback("index 5 loopback after rebind: eventfd 1 only", None(T, X, 0, 1), fires: 1);
        Same("index 5 rebind to eventfd 1 again", set, Fds(T, X, 0, 1));
        Loopback("index 5 loopback after the same fd twice", None(T, X, 0, 1), fires: 1);
        Same("index 5 EVENTFD -1 unbinds", set, Fds(T, X, 0, -1));
        Loopback("index 5 loopback after unbind", None(T, X, 0, 1), fires: -1);
        Loopback("index 5 BOOL 1 after unbind", Bools(T, X, 0, true), fires: -1);
        Same("index 5 bind eventfd 2", set, Fds(T, X, 0, 2));
        Loopback("index 5 loopback: eventfd 2", None(T, X, 0, 1), fires: 2);
        Same("index 5 NONE count 0 releases", set, None(T, X, 0, 0));
        Loopback("index 5 loopback after release", None(T, X, 0, 1), fires: -1);
        Same("index 5 NONE count 0 again", set, None(T, X, 0, 0));
        // fd < -1 and bad fds while bound: the same answer, and the same binding left afterwards.
        foreach (var (what, token) in new[] { ("EVENTFD -2", -2), ("EVENTFD -1000", -1000), ("EVENTFD 12345 (no such fd)", 12345), ("EVENTFD /dev/null", Side.NotAnEventFd) })
        {
            Reset();
            Same($"index 5 bind eventfd 3, then {what}", set, Fds(T, X, 0, 3));
            Same($"index 5 {what} while bound", set, Fds(T, X, 0, token));
            Same($"index 5 loopback after {what}", set, None(T, X, 0, 1));
        }
        Reset();

        // Seeded random headers, the same on both sides, listed only where they differ.
        var random = new Random(SeedMdevRandomSeed);
        int before = s_failed, setRows = 0, infoRows = 0;
        uint[] indexes = { 0, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 6, 7 };
        int[] tokens = { 0, 1, 2, 3, 4, 5, 6, 7, -1, -2, 12345, Side.NotAnEventFd };
        for (int n = 0; n < SeedMdevRandomRows * 2; n++)
        {
            uint index = random.Next(20) == 0 ? (uint)random.Next() : indexes[random.Next(indexes.Length)];
            if (random.Next(2) == 0)
            {
                infoRows++;
                uint argsz = random.Next(10) == 0 ? (uint)random.Next(0, 4097) : (uint)random.Next(0, 97);
                var fill = new byte[Math.Max(16, (int)argsz) + 16];
                random.NextBytes(fill);
                Same($"random #{n} (seed {SeedMdevRandomSeed}) GET_IRQ_INFO index {index} argsz {argsz}", irqInfo, IrqInfo(index, argsz, fill), listed: false);
                continue;
            }
            // INTx and MSI are seed_mdev's own (not the seed's, and the mock answers them as vfio-pci): index 5 and the
            // refused or absent indexes only.
            if (index < 2) index = X;
            setRows++;
            uint flags = random.Next(8) == 0 ? (uint)random.Next(0x80) | (random.Next(16) == 0 ? 0x100u << random.Next(24) : 0)
                                             : (uint)((1 << random.Next(3)) | (8 << random.Next(3)));
            uint count = random.Next(10) == 0 ? (uint)random.Next() : (uint)random.Next(0, 4);
            uint start = random.Next(10) == 0 ? (uint)random.Next() : (uint)random.Next(0, 3);
            int size = VfioIrqSetCodec.ElementSize((VfioIrqSetFlags)flags);
            int payload = size <= 0 || count > 64 ? 0 : (int)count * size;
            int slack = random.Next(4) switch { 0 => -random.Next(1, 5), 1 => random.Next(1, 9), _ => 0 };
            uint setArgsz = random.Next(30) == 0 ? (uint)random.Next(0, 20) : (uint)Math.Max(0, 20 + payload + slack);
            var fds = Enumerable.Range(0, payload / 4).Select(_ => tokens[random.Next(tokens.Length)]).ToArray();
            var bools = Enumerable.Range(0, payload).Select(_ => (byte)random.Next(3)).ToArray();
            Same($"random #{n} (seed {SeedMdevRandomSeed}) SET_IRQS flags 0x{flags:x2} index {index} start {start} count {count} argsz {setArgsz}", set, side =>
            {
                var b = Header(setArgsz, flags, index, start, count, Math.Max(payload, Math.Max(0, slack)));
                if (size == 4) for (int i = 0; i < fds.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(20 + i * 4), side.Fd(fds[i]));
                else if (size == 1) bools.CopyTo(b, 20);
                return b;
            }, listed: false);
        }
        Reset();
        int differ = s_failed - before;
        s_rows.Add($"{$"random (seed {SeedMdevRandomSeed}): {infoRows} GET_IRQ_INFO, {setRows} SET_IRQS",-58} {label,-12} {"-",-14} {"-",-14} {(differ == 0 ? "all same" : $"{differ} DIFFER (listed above)")}");
    }
}

/// <summary>
/// The seed_mdev rows proven on the mock alone (no VM): identical sides must give no difference, and each way a
/// driver could deviate must be reported. Run with <c>dotnet VfioPS.KernelLane.dll --seed-mdev-self-test</c>.
/// </summary>
public static partial class Program
{
    /// <summary>Answers one request differently from the channel it wraps, or null to pass it through.</summary>
    private delegate IoctlResult? Deviation(uint request, Span<byte> argument, IVfioDeviceChannel inner);

    private sealed class DeviatingChannel : IVfioDeviceChannel
    {
        private readonly IVfioDeviceChannel _inner;
        private readonly Deviation _deviation;

        public DeviatingChannel(IVfioDeviceChannel inner, Deviation deviation)
        {
            _inner = inner;
            _deviation = deviation;
        }

        public string Kind => "deviating " + _inner.Kind;
        public IoctlResult Ioctl(uint request, Span<byte> argument) => _deviation(request, argument, _inner) ?? _inner.Ioctl(request, argument);
        public void Dispose() => _inner.Dispose();
    }

    private static bool IsSetIrqs(uint request, Span<byte> argument, uint flags, out VfioIrqSetHeader header)
    {
        header = argument.Length >= 20 ? VfioIrqSetCodec.DecodeHeader(argument) : default;
        return request == VfioIoctl.DeviceSetIrqs && argument.Length >= 20 && header.Index == SeedIndex && (uint)header.Flags == flags;
    }

    private static int SeedMdevSelfTest()
    {
        Deviation passThrough = (_, _, _) => null;
        Deviation pastArgsz = (request, argument, inner) =>
        {
            if (request != VfioIoctl.DeviceGetIrqInfo || argument.Length < 16 || BinaryPrimitives.ReadUInt32LittleEndian(argument.Slice(8)) != SeedIndex) return null;
            uint argsz = BinaryPrimitives.ReadUInt32LittleEndian(argument);
            var result = inner.Ioctl(request, argument);
            if (!result.IsError && argsz is >= 20 and < 40) argument[(int)argsz] ^= 0xFF;
            return result;
        };
        Deviation minusTwoRefused = (request, argument, _) =>
            IsSetIrqs(request, argument, 0x24, out var h) && h.Count == 1 && argument.Length >= 24 && BinaryPrimitives.ReadInt32LittleEndian(argument.Slice(20)) < -1
                ? IoctlResult.Fail(Errno.EINVAL) : null;
        Deviation maskEinval = (request, argument, inner) => IsSetIrqs(request, argument, 0x09, out var h) ? IoctlResult.Fail(Errno.EINVAL) : null;
        // A loopback that answers 0 but signals nothing (valid TRIGGER|NONE start 0 count 1 only).
        Deviation silentLoopback = (request, argument, _) =>
            IsSetIrqs(request, argument, 0x21, out var h) && h.Start == 0 && h.Count == 1 && h.Argsz >= 20 ? IoctlResult.Success : null;

        var scenarios = new (string Name, string Kernel, Deviation KernelSide, string Mock, Deviation MockSide, bool Differs)[]
        {
            ("gvt-vgpu vs gvt-vgpu", "gvt-vgpu", passThrough, "gvt-vgpu", passThrough, false),
            ("seed-mdev-chain vs seed-mdev-chain", "seed-mdev-chain", passThrough, "seed-mdev-chain", passThrough, false),
            ("a chain driver against the display profile", "seed-mdev-chain", passThrough, "gvt-vgpu", passThrough, true),
            ("a driver writing one byte past argsz 20..39", "seed-mdev-chain", pastArgsz, "seed-mdev-chain", passThrough, true),
            ("a driver refusing eventfd -2 with EINVAL", "gvt-vgpu", minusTwoRefused, "gvt-vgpu", passThrough, true),
            ("a driver answering MASK with EINVAL, not ENOTTY", "gvt-vgpu", maskEinval, "gvt-vgpu", passThrough, true),
            ("a driver whose loopback signals nothing", "gvt-vgpu", silentLoopback, "gvt-vgpu", passThrough, true),
            ("both sides' loopback signalling nothing", "gvt-vgpu", silentLoopback, "gvt-vgpu", silentLoopback, true),
        };
        int wrong = 0;
        foreach (var s in scenarios)
        {
            var failures = new List<string>();
            s_failureSink = failures;
            int passed = s_passed;
            using (var kernel = new DeviatingChannel(new MockDeviceChannel(MockProfileReader.LoadBuiltIn(s.Kernel)), s.KernelSide))
            using (var mock = new DeviatingChannel(new MockDeviceChannel(MockProfileReader.LoadBuiltIn(s.Mock)), s.MockSide))
                SeedMdevCompare("self-test", kernel, mock);
            s_failureSink = null;
            int rows = s_passed - passed + failures.Count;
            bool ok = (failures.Count > 0) == s.Differs;
            if (!ok) wrong++;
            Console.WriteLine($"seed-mdev self-test: {(ok ? "ok  " : "WRONG")} {s.Name}: {rows} rows, {failures.Count} differ (expected {(s.Differs ? "some" : "none")})");
            foreach (string f in failures.Take(2)) Console.WriteLine("    " + Truncate(f, 400));
        }
        s_rows.Clear();
        Console.WriteLine($"seed-mdev self-test: {scenarios.Length - wrong} of {scenarios.Length} scenarios as expected (random seed {SeedMdevRandomSeed})");
        return wrong == 0 ? 0 : 1;
    }
}
