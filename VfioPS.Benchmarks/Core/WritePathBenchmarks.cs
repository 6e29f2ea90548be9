using System.Linq;
using BenchmarkDotNet.Attributes;
using VfioPS;
using VfioPS.Abi;
using VfioPS.Mock;
using VfioPS.Native;
using VfioPS.Operations;

namespace VfioPS.Benchmarks;

/// <summary>
/// The write path's cost: binding 2048 MSI-X vectors in one SET_IRQS (the mock dups every eventfd, as the kernel
/// takes a reference to each) and a loopback round trip (trigger one vector, wait, read).
/// </summary>
[MemoryDiagnoser]
public class WritePathBenchmarks
{
    private VfioDevice _device = null!;
    private VfioEventFd[] _eventFds = null!;
    private IrqSetRequest _bindAll = null!;
    private IrqSetRequest _disable = null!;
    private IrqSetRequest _triggerLast = null!;
    private EventFdWaiter _waiter = null!;
    private VfioEventFd[] _last = null!;

    [GlobalSetup]
    public void Setup()
    {
        _device = MockDevices.Open(MockProfileReader.Parse("""
            { "name": "msix2048", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 },
              "irqs": [ { "index": 2, "flags": ["EventFd", "NoResize"], "count": 2048 } ] }
            """, "benchmark"));
        _eventFds = Enumerable.Range(0, 2048).Select(_ => VfioEventFd.Create()).ToArray();
        _bindAll = new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 0, 2048, EventFds: _eventFds.Select(e => e.Fd).ToArray());
        _disable = new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 0, 0);
        _triggerLast = new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 2047, 1);
        _waiter = new EventFdWaiter();
        _last = new[] { _eventFds[2047] };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _waiter.Dispose();
        _device.Dispose();
        foreach (var e in _eventFds) e.Dispose();
    }

    [Benchmark(Description = "bind 2048 MSI-X vectors (one SET_IRQS) and disable")]
    public void BindAndDisable2048()
    {
        IrqSetter.Apply(_device, "MSI-X", _bindAll);
        IrqSetter.Apply(_device, "MSI-X", _disable);
    }

    [IterationSetup(Target = nameof(LoopbackRoundTrip))]
    public void BindForLoopback() => IrqSetter.Apply(_device, "MSI-X", _bindAll);

    [IterationCleanup(Target = nameof(LoopbackRoundTrip))]
    public void DisableAfterLoopback() => IrqSetter.Apply(_device, "MSI-X", _disable);

    [Benchmark(Description = "loopback: trigger vector 2047, wait, read")]
    public ulong LoopbackRoundTrip()
    {
        IrqSetter.Apply(_device, "MSI-X", _triggerLast);
        return _waiter.WaitOnce(_last, System.TimeSpan.FromSeconds(1))[0].Counter;
    }
}
