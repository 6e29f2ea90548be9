using System.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using VfioPS;
using VfioPS.Abi;
using VfioPS.Benchmarks.Anchors;
using VfioPS.Mock;
using VfioPS.Operations;

namespace VfioPS.Benchmarks.Core;

/// <summary>
/// The write path through the core: binding 2048 MSI-X vectors in one SET_IRQS and disabling them (the mock dups
/// every eventfd, as the kernel takes a reference to each), and a loopback round trip (trigger one bound vector,
/// wait, read) beside the same round trip in raw syscalls (eventfd write, poll, read; no VfioPS code).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class WritePathBenchmarks
{
    private VfioDevice _device = null!;
    private VfioEventFd[] _eventFds = null!;
    private IrqSetRequest _bindAll = null!;
    private IrqSetRequest _disable = null!;
    private IrqSetRequest _triggerLast = null!;
    private EventFdWaiter _waiter = null!;
    private VfioEventFd[] _last = null!;
    private VfioDevice _loopDevice = null!;
    private int _rawFd;

    [GlobalSetup]
    public void Setup()
    {
        var profile = MockProfileReader.Parse("""
            { "name": "msix2048", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 },
              "irqs": [ { "index": 2, "flags": ["EventFd", "NoResize"], "count": 2048 } ] }
            """, "benchmark");
        _device = MockDevices.Open(profile);
        _eventFds = Enumerable.Range(0, 2048).Select(_ => VfioEventFd.Create()).ToArray();
        _bindAll = new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 0, 2048, EventFds: _eventFds.Select(e => e.Fd).ToArray());
        _disable = new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 0, 0);
        _triggerLast = new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 2047, 1);
        _waiter = new EventFdWaiter();
        _last = new[] { _eventFds[2047] };
        // The loopback device stays bound for the whole run: a bind per iteration made BenchmarkDotNet time one cold
        // round trip per iteration (the "about 80 us" the README once showed).
        _loopDevice = MockDevices.Open(profile);
        IrqSetter.Apply(_loopDevice, "MSI-X", _bindAll);
        _rawFd = RawEventFd.Create();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _waiter.Dispose();
        _device.Dispose();
        _loopDevice.Dispose();
        foreach (var e in _eventFds) e.Dispose();
        RawEventFd.Close(_rawFd);
    }

    [BenchmarkCategory("bind 2048"), Benchmark(OperationsPerInvoke = 2048, Description = "bind 2048 MSI-X vectors (one SET_IRQS) and disable (per vector)")]
    public void BindAndDisable2048()
    {
        IrqSetter.Apply(_device, "MSI-X", _bindAll);
        IrqSetter.Apply(_device, "MSI-X", _disable);
    }

    [BenchmarkCategory("loopback"), Benchmark(Baseline = true, Description = "raw syscalls: eventfd write, poll, read")]
    public ulong RawLoopback() => RawEventFd.RoundTrip(_rawFd);

    [BenchmarkCategory("loopback"), Benchmark(Description = "core: IrqSetter.Apply trigger + EventFdWaiter.WaitOnce")]
    public ulong LoopbackRoundTrip()
    {
        IrqSetter.Apply(_loopDevice, "MSI-X", _triggerLast);
        return _waiter.WaitOnce(_last, System.TimeSpan.FromSeconds(1))[0].Counter;
    }
}
