using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Kernel;
using VfioPS.Mock;
using VfioPS.Native;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// The fault matrix (operation x errno x position): every operation a cmdlet runs, on the mock device, with the Nth
/// call it makes to the device (ioctl, pread or pwrite) failing with an errno, or a read or write made short, by
/// <see cref="FaultInjectingChannel"/>. Each cell asserts: one VfioException whose id names the failed call and whose
/// kind follows the errno (EINTR: restarted, so the operation succeeds); the module's IRQ record and the eventfd
/// objects' bindings equal what the mock device has afterwards; no fd leaked; the same operation without a fault
/// succeeds afterwards. Positions are found by running each operation once without a fault.
/// </summary>
[Collection(FdCountingCollection.Name)]
public sealed class FaultMatrixTests
{
    /// <summary>The errnos of the matrix, and "short" for a read or write that moves half its bytes.</summary>
    public static readonly string[] Faults = { "EINTR", "EAGAIN", "EBUSY", "ENODEV", "EIO", "EFAULT", "ENOMEM", "EPERM", "short" };

    private const string AtomicProfile = """
        { "name": "atomic", "device": { "flags": ["Pci", "Caps"], "numRegions": 9, "numIrqs": 5,
          "capabilities": [ { "id": 5, "flags": ["Comp32", "Comp64"] }, { "id": 1, "version": 2, "data": "11 22 33" } ] }, "irqs": [] }
        """;

    private static readonly ConcurrentDictionary<string, MockDeviceProfile> s_profiles = new();

    /// <summary>
    /// Handles other tests left unreachable are finalized before the first count, so their closing cannot land inside a
    /// cell; a handle a cell leaks is still caught, by the count that cell takes before any collection.
    /// </summary>
    static FaultMatrixTests() => SettleFinalizers();

    internal static void SettleFinalizers()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>"e1000e", "e1000e@6.12" (that kernel's readings), or "atomic" (a device-info capability chain).</summary>
    /// <summary>Whether the call is a pread/pwrite of BAR0 (the region ops on the PCI profiles) answered EBUSY: retried, so no error.</summary>
    private static bool IsBarAccessRetried(Operation op, ChannelCall call, Errno errno)
        => errno == Errno.EBUSY && call.Kind != ChannelCallKind.Ioctl && op.Name is "region-read" or "region-write" && op.Profile != "gvt-vgpu";

    private static MockDeviceProfile Profile(string name) => s_profiles.GetOrAdd(name, n =>
        n == "atomic" ? MockProfileReader.Parse(AtomicProfile, "test")
        : n.Split('@') is [var p, var k] ? MockProfileReader.LoadBuiltIn(p, k) : MockProfileReader.LoadBuiltIn(n));

    /// <summary>One operation: what it needs first (not faulted), and what it does (faulted).</summary>
    private sealed record Operation(string Name, string Profile, Action<Cell> Setup, Action<Cell> Run, bool Opens = false);

    /// <summary>A device under test with its fault channel, and the eventfd objects the operation uses.</summary>
    private sealed class Cell : IDisposable
    {
        public Cell(string profile, ChannelFault? fault)
        {
            Device = MockDevices.Open(Profile(profile), inner => Faults = new FaultInjectingChannel(inner, fault));
        }

        public Cell() { }

        public VfioDevice Device { get; set; } = null!;
        public FaultInjectingChannel Faults { get; set; } = null!;
        public List<VfioEventFd> EventFds { get; } = new();

        public VfioEventFd[] NewEventFds(int count)
        {
            var fds = Enumerable.Range(0, count).Select(_ => VfioEventFd.Create()).ToArray();
            EventFds.AddRange(fds);
            return fds;
        }

        public void Dispose()
        {
            Device?.Dispose();
            foreach (var fd in EventFds) fd.Dispose();
        }
    }

    // ---- the operations, as the cmdlets run them ----

    private static void SetIrq(Cell c, uint index, IrqSetRequest request, IReadOnlyList<VfioEventFd?>? objects = null)
    {
        var info = IrqInfoReader.Read(c.Device, index).Info;
        // Set-VfioIrq -Disable on an index the record has as disabled sends nothing.
        if (request is { Action: VfioIrqSetFlags.ActionTrigger, DataType: VfioIrqSetFlags.DataNone, Count: 0 } && !c.Device.IrqRecord.IsEnabled(index)) return;
        IrqSetter.Validate(c.Device, info, request);
        IrqSetter.Apply(c.Device, info.Name, request, objects);
    }

    private static IrqSetRequest Bind(uint index, uint start, VfioEventFd[] fds)
        => new(index, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, start, (uint)fds.Length, EventFds: fds.Select(f => f.Fd).ToArray());

    private static IrqSetRequest Simple(uint index, VfioIrqSetFlags action, uint count = 1) => new(index, action, VfioIrqSetFlags.DataNone, 0, count);

    private static Action<Cell> Binds(uint index, uint start, int count) => c =>
    {
        var fds = c.NewEventFds(count);
        SetIrq(c, index, Bind(index, start, fds), fds);
    };

    /// <summary>Binds with the same eventfds on every run: made at setup, so the retry rebinds them.</summary>
    private static Operation BindOp(string name, string profile, uint index, uint start, int count, Action<Cell>? before = null)
    {
        VfioEventFd[]? fds = null;
        return new Operation(name, profile,
            c => { before?.Invoke(c); fds = c.NewEventFds(count); },
            c => SetIrq(c, index, Bind(index, start, fds!), fds!));
    }

    private static readonly Action<Cell> Nothing = _ => { };

    private static IEnumerable<Operation> Operations()
    {
        foreach (string p in new[] { "e1000e", "edu", "gvt-vgpu", "atomic" })
            yield return new Operation("open", p, Nothing, _ => { }, Opens: true);
        foreach (string p in new[] { "e1000e", "edu", "gvt-vgpu" })
        {
            yield return new Operation("irq-info", p, Nothing, c => { foreach (uint i in IrqInfoReader.AllIndexes(c.Device)) IrqInfoReader.Read(c.Device, i); });
            yield return new Operation("region-info", p, Nothing, c => { foreach (uint i in RegionInfoReader.AllIndexes(c.Device)) RegionInfoReader.Read(c.Device, i); });
            // BAR0 with memory decoding on; the vGPU's device-specific EDID region 10 (a chain: GET_REGION_INFO retries).
            uint region = p == "gvt-vgpu" ? 10u : 0u;
            Action<Cell> decoding = p == "gvt-vgpu" ? Nothing : c => PciConfigAccess.Write(c.Device, 4, 2, 0x0002, "Command");
            yield return new Operation("region-read", p, decoding, c => RegionAccess.Read(c.Device, region, 0, 4, 4));
            yield return new Operation("region-write", p, decoding, c => RegionAccess.Write(c.Device, region, 4, RegionAccess.Encode(0x12345678, 4, c.Device.Name), 4));
            yield return new Operation("config-read", p, Nothing, c => PciConfigAccess.Read(c.Device));
            yield return new Operation("config-write", p, Nothing, c => PciConfigAccess.Write(c.Device, 0x0C, 1, 0x10, "CacheLineSize"));

            // INTx and MSI: every profile has them.
            var intx = Binds(0, 0, 1);
            yield return BindOp("intx-enable", p, 0, 0, 1);
            yield return BindOp("intx-rebind", p, 0, 0, 1, intx);
            yield return new Operation("intx-mask", p, intx, c => SetIrq(c, 0, Simple(0, VfioIrqSetFlags.ActionMask)));
            yield return new Operation("intx-unmask", p, c => { intx(c); SetIrq(c, 0, Simple(0, VfioIrqSetFlags.ActionMask)); }, c => SetIrq(c, 0, Simple(0, VfioIrqSetFlags.ActionUnmask)));
            yield return new Operation("intx-trigger", p, intx, c => SetIrq(c, 0, Simple(0, VfioIrqSetFlags.ActionTrigger)));
            yield return new Operation("intx-disable", p, intx, c => SetIrq(c, 0, Simple(0, VfioIrqSetFlags.ActionTrigger, 0)));
            var msi = Binds(1, 0, 1);
            yield return BindOp("msi-enable", p, 1, 0, 1);
            yield return BindOp("msi-rebind", p, 1, 0, 1, msi);
            yield return new Operation("msi-trigger", p, msi, c => SetIrq(c, 1, Simple(1, VfioIrqSetFlags.ActionTrigger)));
            yield return new Operation("msi-disable", p, msi, c => SetIrq(c, 1, Simple(1, VfioIrqSetFlags.ActionTrigger, 0)));
        }

        // MSI-X, ERR/REQ: e1000e (5 MSI-X vectors; 6.12 adds vectors to an enabled index).
        var msix = Binds(2, 0, 5);
        yield return BindOp("msix-enable", "e1000e", 2, 0, 5);
        yield return BindOp("msix-rebind", "e1000e", 2, 0, 5, msix);
        yield return BindOp("msix-rebind-middle", "e1000e", 2, 1, 3, msix);
        yield return new Operation("msix-trigger", "e1000e", msix, c => SetIrq(c, 2, Simple(2, VfioIrqSetFlags.ActionTrigger, 5)));
        yield return new Operation("msix-disable", "e1000e", msix, c => SetIrq(c, 2, Simple(2, VfioIrqSetFlags.ActionTrigger, 0)));
        yield return BindOp("msix-add-vectors", "e1000e@6.12", 2, 1, 2, Binds(2, 0, 1));
        yield return BindOp("req-bind", "e1000e", 4, 0, 1);
        yield return BindOp("req-rebind", "e1000e", 4, 0, 1, Binds(4, 0, 1));

        // The device-specific index 5 of the vGPU (a capability chain: GET_IRQ_INFO retries with the size asked).
        var gfx = Binds(5, 0, 1);
        yield return BindOp("index5-bind", "gvt-vgpu", 5, 0, 1);
        yield return BindOp("index5-rebind", "gvt-vgpu", 5, 0, 1, gfx);
        yield return new Operation("index5-trigger", "gvt-vgpu", gfx, c => SetIrq(c, 5, Simple(5, VfioIrqSetFlags.ActionTrigger)));
        yield return new Operation("index5-disable", "gvt-vgpu", gfx, c => SetIrq(c, 5, Simple(5, VfioIrqSetFlags.ActionTrigger, 0)));

        yield return new Operation("reset", "e1000e", Nothing, c => DeviceResetter.Reset(c.Device));
        yield return new Operation("reset-keeps-irqs", "e1000e", msix, c => DeviceResetter.Reset(c.Device));
        foreach (string p in new[] { "e1000e", "e1000e-port" })
            yield return new Operation("hot-reset-info", p, Nothing, c => HotResetInfoReader.Read(c.Device));
    }

    private static readonly Dictionary<string, Operation> s_operations = Operations().ToDictionary(o => $"{o.Name} {o.Profile}");

    private static readonly ConcurrentDictionary<Operation, IReadOnlyList<ChannelCall>> s_probes = new();

    /// <summary>The calls an operation makes without a fault, in order (run once per operation).</summary>
    private static IReadOnlyList<ChannelCall> Probe(Operation op) => s_probes.GetOrAdd(op, ProbeOnce);

    private static IReadOnlyList<ChannelCall> ProbeOnce(Operation op)
    {
        using var cell = new Cell(op.Profile, null);
        if (op.Opens) return cell.Faults.Calls;
        op.Setup(cell);
        cell.Faults.Arm(null);
        op.Run(cell);
        return cell.Faults.Calls;
    }

    public static IEnumerable<object[]> Matrix()
    {
        foreach (var (key, op) in s_operations)
        {
            var calls = Probe(op);
            Assert.True(calls.Count > 0, $"{key} makes no call to the device");
            for (int position = 1; position <= calls.Count; position++)
                foreach (string fault in Faults)
                {
                    // A short transfer is region I/O's; an ioctl has none.
                    if (fault == "short" && calls[position - 1].Kind == ChannelCallKind.Ioctl) continue;
                    yield return new object[] { key, position, fault };
                }
        }
    }

    /// <summary>The id an operation's error carries when the call at a position fails: it names that call.</summary>
    private static string ErrorIdFor(ChannelCall call) => call.Kind switch
    {
        ChannelCallKind.Read => "VfioRegionReadFailed",
        ChannelCallKind.Write => "VfioRegionWriteFailed",
        _ => VfioIoctl.DeviceRequestName(call.Request) switch
        {
            "VFIO_DEVICE_GET_INFO" => "VfioGetDeviceInfoFailed",
            "VFIO_DEVICE_GET_IRQ_INFO" => "VfioGetIrqInfoFailed",
            "VFIO_DEVICE_GET_REGION_INFO" => "VfioGetRegionInfoFailed",
            "VFIO_DEVICE_SET_IRQS" => "VfioSetIrqsFailed",
            "VFIO_DEVICE_RESET" => "VfioDeviceResetFailed",
            "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO" => "VfioHotResetInfoFailed",
            var other => throw new InvalidOperationException("no id for " + other),
        },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void OneFaultGivesOneClearErrorAndLeavesRecordAndDeviceAgreeing(string operation, int position, string fault)
    {
        var op = s_operations[operation];
        var calls = Probe(op);
        var call = calls[position - 1];
        bool isShort = fault == "short";
        var errno = isShort ? Errno.None : Enum.Parse<Errno>(fault);
        // Every call of the operation is counted, whatever its kind: the fault hits the call at this position.
        var channelFault = new ChannelFault(position, errno, Short: isShort);

        // Eventfds only: what the module and the mock open here (triggers' dups, waits' stop eventfds) are eventfds,
        // while the test host opens its own fds (an epoll and a pipe on first use) at times of its choosing.
        int baseline = EventFdCount();
        var cell = op.Opens ? new Cell() : new Cell(op.Profile, null);
        VfioException? error = null;
        try
        {
            if (op.Opens)
            {
                FaultInjectingChannel? channel = null;
                try
                {
                    cell.Device = MockDevices.Open(Profile(op.Profile), inner => channel = new FaultInjectingChannel(inner, channelFault));
                }
                catch (VfioException e)
                {
                    error = e;
                    Assert.True(channel!.IsDisposed, "a device whose open failed closes its channel");
                }
                cell.Faults = channel!;
            }
            else
            {
                op.Setup(cell);
                cell.Faults.Arm(channelFault);
                try
                {
                    op.Run(cell);
                }
                catch (VfioException e)
                {
                    error = e;
                }
            }
            Assert.True(cell.Faults.Injected, $"the fault at position {position} ({call}) was not reached");

            // The outcome: one error naming the failed call, in the errno's category; EINTR restarted.
            if (errno == Errno.EINTR || op.Name == "hot-reset-info" && errno == Errno.ENODEV && position == 1 || IsBarAccessRetried(op, call, errno))
            {
                // ENODEV on the first GET_PCI_HOT_RESET_INFO is the kernel's "no slot or bus reset", not a failure.
                // One EBUSY on a BAR's pread/pwrite is vfio-pci's claim race, tried again (BarClaimRetry).
                Assert.True(error is null, $"{fault} at {call}: {error?.ErrorId}: {error?.Message}");
            }
            else
            {
                Assert.True(error is not null, $"{fault} at {call}: no error");
                Assert.Matches("^Vfio[A-Z][A-Za-z]+$", error!.ErrorId);
                if (isShort)
                {
                    Assert.Equal("VfioRegionShortTransfer", error.ErrorId);
                    Assert.Equal(VfioErrorKind.DeviceError, error.Kind);
                }
                else
                {
                    Assert.Equal(ErrorIdFor(call), error.ErrorId);
                    Assert.Equal(VfioException.KindFromErrno(errno), error.Kind);
                    Assert.Equal(errno, error.Errno);
                    Assert.Contains(errno.ToString(), error.Message);
                }
                Assert.Equal(op.Opens ? null : cell.Device.Name, op.Opens ? null : error.Target as string);
            }

            if (cell.Device is null)
            {
                AssertEventFds(baseline, $"{operation}: after the failed open");
                // The retry: the same open without a fault.
                cell.Device = MockDevices.Open(Profile(op.Profile));
            }
            else
            {
                AssertRecordMatchesDevice(cell, $"{operation}, {fault} at {position} ({call})");
                AssertFdsAccountedFor(cell, baseline, $"{operation}, {fault} at {position} ({call})");

                // The same operation without a fault succeeds afterwards, and record and device still agree.
                cell.Faults.Arm(null);
                if (!op.Opens) op.Run(cell);
                AssertRecordMatchesDevice(cell, $"{operation}: the retry after {fault} at {position}");
            }
        }
        finally
        {
            cell.Dispose();
        }
        AssertEventFds(baseline, $"{operation}, {fault} at {position}: after closing everything");
    }

    /// <summary>
    /// The module's record of every IRQ index (enabled, masked, allocated, bound vectors) equals what the mock device
    /// has, and each eventfd object shows the binding the record has for its number.
    /// </summary>
    private static void AssertRecordMatchesDevice(Cell cell, string what)
    {
        var device = cell.Device;
        var mock = device.MockChannel!;
        for (uint index = 0; index < device.NumIrqs; index++)
        {
            var record = device.IrqRecord.Snapshot(device.Name, index, IrqIndexNames.Fixed.Length > index ? IrqIndexNames.Fixed[index] : "index " + index);
            var actual = mock.IrqState(index);
            string where = $"{what}: index {index}";
            Assert.True(actual.Enabled == record.Enabled, $"{where}: the device has enabled={actual.Enabled}, the record {record.Enabled}");
            Assert.True(actual.BoundVectors.SequenceEqual(record.Vectors.Select(v => v.Vector)),
                $"{where}: the device has vectors [{string.Join(",", actual.BoundVectors)}] bound, the record [{string.Join(",", record.Vectors.Select(v => v.Vector))}]");
            if (index == 0) Assert.True(actual.Masked == record.Masked, $"{where}: masked {actual.Masked} on the device, {record.Masked} in the record");
            if (index is 1 or 2) Assert.True(actual.Allocated == record.AllocatedVectors, $"{where}: {actual.Allocated} vectors allocated on the device, {record.AllocatedVectors} in the record");
            Assert.Equal(actual.ResampleBound, record.ResampleEventFd is not null);
        }
        foreach (var fd in cell.EventFds)
        {
            var bound = device.IrqRecord.FindBinding(fd.Fd);
            bool shows = fd.Device == device.Name;
            Assert.True(shows == bound.HasValue, $"{what}: eventfd {fd.Fd} shows {(shows ? $"index {fd.Index} vector {fd.Vector}" : "no binding")}, the record {(bound is { } b ? $"index {b.Index} vector {b.Vector}" : "none")}");
            if (bound is { } binding) Assert.Equal((binding.Index, binding.Vector), (fd.Index!.Value, fd.Vector!.Value));
        }
    }

    /// <summary>Open eventfds: the baseline, the test's, and the mock's own reference to each bound trigger (two for a resample watcher); nothing else.</summary>
    private static void AssertFdsAccountedFor(Cell cell, int baseline, string what)
    {
        var mock = cell.Device.MockChannel!;
        int held = 0;
        for (uint index = 0; index < cell.Device.NumIrqs; index++)
        {
            var state = mock.IrqState(index);
            held += state.BoundVectors.Length + (state.ResampleBound ? 2 : 0);
        }
        AssertEventFds(baseline + cell.EventFds.Count(f => !f.IsClosed) + held, what);
    }

    /// <summary>How many eventfds the process has open, now (no waiting: a leaked handle must not get time to be finalized).</summary>
    internal static int EventFdCount() => System.IO.Directory.GetFiles("/proc/self/fd").Count(path =>
        int.TryParse(System.IO.Path.GetFileName(path), out int fd) && FileDescriptors.IsEventFd(fd));

    internal static void AssertEventFds(int expected, string what)
    {
        int now = EventFdCount();
        Assert.True(now == expected, $"{what}: {now} eventfds open, expected {expected}");
    }

    /// <summary>The matrix covers what the issue asks: every fault, every profile, every operation kind, and each of its calls.</summary>
    [Fact]
    public void TheMatrixCoversEveryFaultAndOperation()
    {
        var cells = Matrix().ToArray();
        Assert.All(Faults, f => Assert.Contains(cells, c => (string)c[2] == f));
        Assert.All(new[] { "e1000e", "edu", "gvt-vgpu" }, p => Assert.Contains(cells, c => ((string)c[0]).EndsWith(" " + p, StringComparison.Ordinal)));
        // GET_IRQ_INFO's retry (index 5's chain) and GET_INFO's (the atomic chain) are positions of their own.
        Assert.Equal(2, Probe(s_operations["open atomic"]).Count);
        Assert.Contains(cells, c => (string)c[0] == "index5-bind gvt-vgpu" && (int)c[1] == 2);
        Assert.True(cells.Length > 1000, $"{cells.Length} cells");
    }
}

/// <summary>The kernel path restarts EINTR too: GET_INFO at open and every device ioctl after it.</summary>
public sealed class KernelEintrTests
{
    /// <summary>Fake nodes whose device ioctls each answer EINTR the first time they are sent.</summary>
    private sealed class InterruptingNodes : IKernelNodes
    {
        private readonly FakeKernelNodes _inner = new();
        private readonly HashSet<uint> _interrupted = new();
        public FakeKernelNodes Inner => _inner;
        public List<string> Interrupted { get; } = new();

        public SafeFileDescriptorHandle? Open(string path, out Errno errno) => _inner.Open(path, out errno);
        public IoctlResult IoctlValue(SafeFileDescriptorHandle fd, uint request, int value) => _inner.IoctlValue(fd, request, value);

        public IoctlResult Ioctl(SafeFileDescriptorHandle fd, uint request, Span<byte> argument)
        {
            bool deviceRequest = request == VfioIoctl.DeviceGetInfo || request == VfioIoctl.DeviceGetIrqInfo || request == VfioIoctl.DeviceSetIrqs;
            if (deviceRequest && _interrupted.Add(request))
            {
                Interrupted.Add(VfioIoctl.DeviceRequestName(request));
                return IoctlResult.Fail(Errno.EINTR);
            }
            return _inner.Ioctl(fd, request, argument);
        }
    }

    [Fact]
    public void AnInterruptedDeviceIoctlIsSentAgain()
    {
        using var tree = new FakeHostTree().Device("0000:00:1c.3", "8086:10d3", "020000", "vfio-pci", 9);
        var nodes = new InterruptingNodes();
        using (var device = KernelDevices.Open("0000:00:1c.3", null, tree.Paths, VfioOpenPath.Group, nodes))
        {
            Assert.NotNull(device.KernelChannel);
            Assert.Equal(5u, device.NumIrqs);
            Assert.Equal(5u, IrqInfoReader.Read(device, 2).Info.Count);
            // No eventfd: the fake kernel's mock device is never closed, so a dup it held would outlive the test.
            IrqSetter.Apply(device, "MSI", new IrqSetRequest(1, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 0, 1, EventFds: new[] { -1 }));
            Assert.True(device.IrqRecord.IsEnabled(1));
            // IoctlCounts counts the calls the operations made: the restart happens below it.
            Assert.Equal(1, device.IoctlCounts["VFIO_DEVICE_SET_IRQS"]);
        }
        Assert.Equal(new[] { "VFIO_DEVICE_GET_INFO", "VFIO_DEVICE_GET_IRQ_INFO", "VFIO_DEVICE_SET_IRQS" }, nodes.Interrupted);
        Assert.All(nodes.Inner.Handles, h => Assert.True(h.IsClosed));
    }
}
