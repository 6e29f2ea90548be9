using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using VfioPS.Abi;
using VfioPS.Mock;
using VfioPS.Operations;
using Xunit;
using Xunit.Abstractions;

namespace VfioPS.Core.Tests;

/// <summary>
/// Many threads on one mock device: 8 threads x 1000 random operations (region read, IRQ info, bind and unbind of
/// vectors, loopback trigger, device-side interrupt, eventfd wait, disable, close and reopen). Every operation is done
/// or refused with one of the ids a racing caller may see; at quiescent points (a barrier every 250 operations per
/// thread) the module's IRQ record equals the mock's real state; a watchdog fails the test on a deadlock; the
/// process's fd count is the same before and after. Figures (ops/s, refusals by id) go to the test output.
/// </summary>
[Collection(FdCountingCollection.Name)]
public sealed class ConcurrencyTests
{
    private const int Threads = 8;
    private const int OpsPerThread = 1000;
    private const int Phase = 50;
    private static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(120);

    /// <summary>What a caller racing others (or a close) may be told; anything else fails the test.</summary>
    internal static readonly HashSet<string> AllowedRefusals = new(StringComparer.Ordinal)
    {
        "VfioDeviceClosed",        // the device was closed by another thread before or during the call
        "VfioSetIrqsInvalid",      // EINVAL: another of INTx/MSI/MSI-X enabled, or a trigger on an index not enabled
        "VfioIrqNoResize",         // a bind past the vectors another thread's enable allocated
        "VfioIrqVectorsUnavailable",
    };

    private readonly ITestOutputHelper _log;

    public ConcurrencyTests(ITestOutputHelper log) => _log = log;

    [Theory]
    [InlineData("e1000e", 1, false)]
    [InlineData("e1000e", 4, true)]
    [InlineData("edu", 2, false)]
    [InlineData("edu", 5, true)]
    [InlineData("pci-testdev", 3, false)]
    public async Task EightThreadsOfMixedOperationsOnOneMockDeviceKeepRecordAndDeviceInStep(string profileName, int seed, bool slowSetIrqs)
    {
        var profile = MockProfileReader.LoadBuiltIn(profileName);
        // Warm-up outside the count: the first open loads what the process keeps (JIT, profile, native library).
        using (var warm = MockDevices.Open(profile)) RegionAccess.Read(warm, (uint)VfioPciRegionIndex.Config, 0, 4);
        int fdsBefore = FdCount();

        // slowSetIrqs: every SET_IRQS yields the CPU after the device answered, so a caller that updated the record
        // outside the device's lock would let another thread's call land in between (the record and device differ).
        var shared = new SharedDevice(() => slowSetIrqs ? MockDevices.Open(profile, inner => new YieldingChannel(inner)) : MockDevices.Open(profile));
        var irqIndexes = IrqInfoReader.AllIndexes(shared.Current)
            .Select(i => IrqInfoReader.Read(shared.Current, i).Info)
            .Where(i => i.Supported && i.Count > 0 && i.Index <= (uint)VfioPciIrqIndex.Req)
            .ToArray();
        Assert.NotEmpty(irqIndexes);

        var stats = new WorkloadStats();
        var failures = new ConcurrentQueue<string>();
        int checks = 0;
        using var barrier = new Barrier(Threads, _ =>
        {
            try
            {
                Interlocked.Increment(ref checks);
                CheckRecordAgainstMock(shared.Current, irqIndexes, failures);
            }
            catch (Exception e)
            {
                failures.Enqueue("invariant check threw: " + e);
            }
        });

        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            () => Worker(seed * 100 + t, shared, irqIndexes, stats, failures, barrier),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        bool finished = await Finishes(Task.WhenAll(workers), Watchdog);
        clock.Stop();
        Assert.True(finished, $"watchdog: {Threads} x {OpsPerThread} operations on {profileName} did not finish within {Watchdog.TotalSeconds} s (deadlock?)");

        var last = shared.Current;
        CheckRecordAgainstMock(last, irqIndexes, failures);
        last.Dispose();
        Assert.False(last.IsOpen);
        int fdsAfter = FdCount();

        long total = stats.Done + stats.Refused;
        _log.WriteLine($"concurrency mock {profileName}{(slowSetIrqs ? " (SET_IRQS yields)" : "")}: {Threads} threads x {OpsPerThread} ops = {total} in {clock.Elapsed.TotalSeconds:F2} s " +
            $"({total / clock.Elapsed.TotalSeconds:F0} ops/s); done {stats.Done}, refused {stats.Refused} " +
            $"({string.Join(", ", stats.RefusalsById.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}); " +
            $"closes {shared.Closes}, invariant checks {checks}; fds {fdsBefore} -> {fdsAfter}");

        Assert.Empty(failures.Take(20));
        Assert.Equal(Threads * OpsPerThread, total);
        Assert.Equal(OpsPerThread / Phase, checks);
        Assert.True(stats.Done > total / 2, $"most operations should be done, not refused: {stats.Done} of {total}");
        Assert.Equal(fdsBefore, fdsAfter);
    }

    [Fact]
    public async Task AReadRacingACloseCompletesOrFailsWithDeviceClosed()
    {
        var profile = MockProfileReader.LoadBuiltIn("edu");
        int done = 0, closed = 0;
        for (int round = 0; round < 200; round++)
        {
            var device = MockDevices.Open(profile);
            using var reading = new ManualResetEventSlim();
            // Reads until the close stops it: every read is done, or refused with VfioDeviceClosed and nothing else.
            var reader = Task.Run(() =>
            {
                for (int i = 0; i < 100_000; i++)
                {
                    try
                    {
                        RegionAccess.Read(device, (uint)VfioPciRegionIndex.Config, 0, 4);
                        Interlocked.Increment(ref done);
                        reading.Set();
                    }
                    catch (VfioException e)
                    {
                        Assert.Equal("VfioDeviceClosed", e.ErrorId);
                        Assert.Equal(device.Name, e.Target);
                        Interlocked.Increment(ref closed);
                        return;
                    }
                }
            });
            reading.Wait(TimeSpan.FromSeconds(10));
            device.Dispose();
            Assert.True(await Finishes(reader, TimeSpan.FromSeconds(10)), "a read racing a close hung");
        }
        _log.WriteLine($"reads racing close: {done} done, {closed} refused with VfioDeviceClosed");
        Assert.Equal(200, closed);
    }

    [Fact]
    public async Task ACloseWaitsForTheReadInFlightAndClosesTheFdBeforeItReturns()
    {
        var profile = MockProfileReader.LoadBuiltIn("edu");
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var device = MockDevices.Open(profile, inner => new BlockingReadChannel(inner, entered, release));
        var read = Task.Run(() => RegionAccess.Read(device, (uint)VfioPciRegionIndex.Config, 0, 4, 4));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)), "the read never reached the channel");
        var close = Task.Run(device.Dispose);
        // The close is refused to later calls at once, but waits for the read in flight before it closes the fd.
        await Task.Delay(200);
        Assert.False(close.IsCompleted, "the close returned while a read was still in the device");
        Assert.Equal("VfioDeviceClosed", Assert.Throws<VfioException>(() => RegionAccess.Read(device, (uint)VfioPciRegionIndex.Config, 0, 4, 4)).ErrorId);
        release.Set();
        Assert.True(await Finishes(close, TimeSpan.FromSeconds(10)), "the close hung");
        Assert.Equal(4, (await read).Bytes.Length);
        Assert.False(device.MockChannel!.RaiseInterrupt(0, 0), "the mock device fd is still open after Dispose returned");
    }

    /// <summary>Holds every read at the device until released (signals when one arrived).</summary>
    private sealed class BlockingReadChannel : Channels.IVfioDeviceChannel, Channels.IChannelDecorator
    {
        private readonly ManualResetEventSlim _entered, _release;

        public BlockingReadChannel(Channels.IVfioDeviceChannel inner, ManualResetEventSlim entered, ManualResetEventSlim release)
        {
            Inner = inner;
            _entered = entered;
            _release = release;
        }

        public Channels.IVfioDeviceChannel Inner { get; }
        public string Kind => Inner.Kind;
        public Channels.IoctlResult Ioctl(uint request, Span<byte> argument) => Inner.Ioctl(request, argument);

        public Channels.RegionIoResult Read(Span<byte> buffer, long offset)
        {
            _entered.Set();
            _release.Wait(TimeSpan.FromSeconds(30));
            return Inner.Read(buffer, offset);
        }

        public Channels.RegionIoResult Write(ReadOnlySpan<byte> buffer, long offset) => Inner.Write(buffer, offset);
        public void Dispose() => Inner.Dispose();
    }

    [Fact]
    public async Task ASetIrqsRacingACloseLeavesNoRecordOnTheClosedDevice()
    {
        var profile = MockProfileReader.LoadBuiltIn("e1000e");
        using var eventFd = VfioEventFd.Create();
        for (int round = 0; round < 100; round++)
        {
            // The device answers SET_IRQS, then the thread sleeps 1 ms before the module records the answer: a close
            // in that window must wait for the record update, or it would clear the record before the update lands.
            var device = MockDevices.Open(profile, inner => new YieldingChannel(inner));
            var request = new IrqSetRequest((uint)VfioPciIrqIndex.MsiX, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 0, 1, EventFds: new[] { eventFd.Fd });
            var binder = Task.Run(() =>
            {
                try { IrqSetter.Apply(device, "MSI-X", request, new[] { eventFd }); }
                catch (VfioException e) { Assert.Equal("VfioDeviceClosed", e.ErrorId); }
            });
            // Close once the device took the bind (the module is then between the answer and its record update).
            var wait = Stopwatch.StartNew();
            while (!binder.IsCompleted && !device.MockChannel!.IrqState((uint)VfioPciIrqIndex.MsiX).Enabled && wait.ElapsedMilliseconds < 5000) Thread.SpinWait(20);
            device.Dispose();
            Assert.True(await Finishes(binder, TimeSpan.FromSeconds(10)), "a SET_IRQS racing a close hung");
            // Whichever came first, the closed device's record is empty and the eventfd shows no binding.
            Assert.False(device.IrqRecord.IsEnabled((uint)VfioPciIrqIndex.MsiX));
            Assert.Null(eventFd.Device);
        }
    }

    private static void Worker(int seed, SharedDevice shared, VfioIrqInfo[] irqIndexes, WorkloadStats stats, ConcurrentQueue<string> failures, Barrier barrier)
    {
        var random = new Random(seed);
        var eventFds = Enumerable.Range(0, 3).Select(_ => VfioEventFd.Create()).ToArray();
        using var waiter = new EventFdWaiter();
        try
        {
            for (int i = 0; i < OpsPerThread; i++)
            {
                var device = shared.Current;
                int op = random.Next(100);
                try
                {
                    RunOne(op, random, device, shared, irqIndexes, eventFds, waiter);
                    stats.CountDone();
                }
                catch (VfioException e) when (AllowedRefusals.Contains(e.ErrorId))
                {
                    stats.CountRefused(e.ErrorId);
                }
                catch (Exception e)
                {
                    stats.CountRefused("(unexpected)");
                    failures.Enqueue($"op {op} on {device.Name}: {e.GetType().Name}: {(e as VfioException)?.ErrorId} {e.Message}");
                }
                if ((i + 1) % Phase == 0) barrier.SignalAndWait();
            }
        }
        finally
        {
            foreach (var e in eventFds) e.Dispose();
        }
    }

    /// <summary>One operation, picked by <paramref name="op"/> (0..99): the mix a script driving a device uses.</summary>
    private static void RunOne(int op, Random random, VfioDevice device, SharedDevice shared, VfioIrqInfo[] irqIndexes, VfioEventFd[] eventFds, EventFdWaiter waiter)
    {
        var info = irqIndexes[random.Next(irqIndexes.Length)];
        uint start = (uint)random.Next((int)info.Count);
        uint count = (uint)random.Next(1, (int)(info.Count - start) + 1);
        switch (op)
        {
            case < 25:
                RegionAccess.Read(device, (uint)VfioPciRegionIndex.Config, (ulong)(random.Next(16) * 4), 4, 4);
                break;
            case < 35:
                IrqInfoReader.Read(device, info.Index);
                break;
            case < 55:
            {
                var fds = Enumerable.Range(0, (int)count).Select(_ => eventFds[random.Next(eventFds.Length)]).ToArray();
                var request = new IrqSetRequest(info.Index, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, start, count, EventFds: fds.Select(f => f.Fd).ToArray());
                IrqSetter.Validate(device, info, request);
                IrqSetter.Apply(device, info.Name, request, fds);
                break;
            }
            case < 65:
            {
                var request = new IrqSetRequest(info.Index, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, start, count, EventFds: Enumerable.Repeat(-1, (int)count).ToArray());
                IrqSetter.Validate(device, info, request);
                IrqSetter.Apply(device, info.Name, request);
                break;
            }
            case < 75:
                // Loopback: the kernel side signals the vectors' triggers (EINVAL when the index is not enabled).
                IrqSetter.Apply(device, info.Name, new IrqSetRequest(info.Index, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, start, count));
                break;
            case < 80:
                device.MockChannel!.RaiseInterrupt(info.Index, start);
                if (!device.IsOpen) throw device.ClosedError();
                break;
            case < 90:
                waiter.WaitOnce(eventFds, TimeSpan.FromMilliseconds(random.Next(2)));
                break;
            case < 99:
                if (device.IrqRecord.IsEnabled(info.Index))
                    IrqSetter.Apply(device, info.Name, new IrqSetRequest(info.Index, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 0, 0));
                break;
            default:
                shared.CloseAndReopen(device);
                break;
        }
    }

    /// <summary>The module's record of every index equals what the mock device has (enabled, bound vectors, allocation).</summary>
    internal static void CheckRecordAgainstMock(VfioDevice device, VfioIrqInfo[] indexes, ConcurrentQueue<string> failures)
    {
        if (!device.IsOpen) return;
        foreach (var info in indexes)
        {
            var record = device.IrqRecord.Snapshot(device.Name, info.Index, info.Name);
            var real = device.MockChannel!.IrqState(info.Index);
            string recordVectors = string.Join(",", record.Vectors.Select(v => v.Vector));
            string realVectors = string.Join(",", real.BoundVectors);
            if (record.Enabled != real.Enabled || recordVectors != realVectors
                || (info.Index is (uint)VfioPciIrqIndex.Msi or (uint)VfioPciIrqIndex.MsiX && record.AllocatedVectors != real.Allocated))
                failures.Enqueue($"{device.Name} index {info.Index} ({info.Name}): record enabled={record.Enabled} vectors=[{recordVectors}] allocated={record.AllocatedVectors}, " +
                    $"device enabled={real.Enabled} vectors=[{realVectors}] allocated={real.Allocated}");
        }
    }

    /// <summary>The watchdog: whether <paramref name="task"/> ended within <paramref name="limit"/> (its exceptions rethrown).</summary>
    internal static async Task<bool> Finishes(Task task, TimeSpan limit)
    {
        if (await Task.WhenAny(task, Task.Delay(limit)) != task) return false;
        await task;
        return true;
    }

    internal static int FdCount()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return Directory.GetFileSystemEntries("/proc/self/fd").Length;
    }

    /// <summary>The device every thread uses; a close swaps in a freshly opened one (the closer's job, once).</summary>
    internal sealed class SharedDevice
    {
        private readonly Func<VfioDevice> _open;
        private VfioDevice _current;
        private int _closes;

        public SharedDevice(Func<VfioDevice> open)
        {
            _open = open;
            _current = open();
        }

        public VfioDevice Current => Volatile.Read(ref _current);
        public int Closes => Volatile.Read(ref _closes);

        /// <summary>Closes <paramref name="device"/> (other threads still holding it see VfioDeviceClosed) and opens the next.</summary>
        public void CloseAndReopen(VfioDevice device)
        {
            lock (this)
            {
                if (!ReferenceEquals(_current, device)) throw device.ClosedError();
                device.Dispose();
                Interlocked.Increment(ref _closes);
                Volatile.Write(ref _current, _open());
            }
        }
    }

    /// <summary>Passes every call on; after a SET_IRQS the device answered, yields the thread (widens any race after it).</summary>
    private sealed class YieldingChannel : Channels.IVfioDeviceChannel, Channels.IChannelDecorator
    {
        public YieldingChannel(Channels.IVfioDeviceChannel inner) => Inner = inner;
        public Channels.IVfioDeviceChannel Inner { get; }
        public string Kind => Inner.Kind;

        public Channels.IoctlResult Ioctl(uint request, Span<byte> argument)
        {
            var result = Inner.Ioctl(request, argument);
            if (request == VfioIoctl.DeviceSetIrqs) Thread.Sleep(1);
            return result;
        }

        public Channels.RegionIoResult Read(Span<byte> buffer, long offset) => Inner.Read(buffer, offset);
        public Channels.RegionIoResult Write(ReadOnlySpan<byte> buffer, long offset) => Inner.Write(buffer, offset);
        public void Dispose() => Inner.Dispose();
    }

    internal sealed class WorkloadStats
    {
        private long _done, _refused;
        public ConcurrentDictionary<string, long> RefusalsById { get; } = new();
        public long Done => Interlocked.Read(ref _done);
        public long Refused => Interlocked.Read(ref _refused);
        public void CountDone() => Interlocked.Increment(ref _done);

        public void CountRefused(string id)
        {
            Interlocked.Increment(ref _refused);
            RefusalsById.AddOrUpdate(id, 1, (_, n) => n + 1);
        }
    }
}
