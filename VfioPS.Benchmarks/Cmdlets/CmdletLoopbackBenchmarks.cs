using System.Management.Automation;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace VfioPS.Benchmarks.Cmdlets;

/// <summary>
/// A loopback round trip as a script makes it: Set-VfioIrq -Trigger on an MSI-X vector, then Wait-VfioEventFd on its
/// eventfd; beside two floor cmdlet calls (one that emits nothing, one that emits one object) in the same process,
/// and two floor calls with the two cmdlets' parameter surfaces, which shows how much of the gap is the binder's.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CmdletLoopbackBenchmarks
{
    private EngineSession _session = null!;
    // The module's VfioEventFd, reached late-bound: the engine loaded the module's own copy of VfioPS.dll.
    private dynamic _eventFd = null!;
    private PowerShell _trigger = null!, _wait = null!, _floorTrigger = null!, _floorWait = null!, _shapeTrigger = null!, _shapeWait = null!;

    [GlobalSetup]
    public void Setup()
    {
        _session = new EngineSession();
        _session.Invoke("$d = New-VfioMockDevice -Profile e1000e; $e = New-VfioEventFd -Count 5; Set-VfioIrq $d -Index MSI-X -EventFd $e");
        object device = _session.Get("d")!;
        object eventFd = ((object[])_session.Get("e")!)[4];
        eventFd = eventFd is PSObject wrapped ? wrapped.BaseObject : eventFd;
        _eventFd = (dynamic)eventFd;
        _trigger = _session.Create().AddCommand("Set-VfioIrq").AddParameter("Device", device).AddParameter("Index", "MSI-X")
            .AddParameter("Trigger").AddParameter("Start", 4).AddParameter("Count", 1);
        _wait = _session.Create().AddCommand("Wait-VfioEventFd").AddParameter("EventFd", eventFd).AddParameter("Timeout", 1);
        _floorTrigger = _session.Create().AddCommand("Invoke-FloorCall").AddParameter("InputObject", device).AddParameter("Index", "MSI-X");
        _floorWait = _session.Create().AddCommand("Invoke-FloorCall").AddParameter("InputObject", eventFd).AddParameter("Emit", 1);
        _shapeTrigger = _session.Create().AddCommand("Set-FloorIrqShape").AddParameter("Device", device).AddParameter("Index", "MSI-X")
            .AddParameter("Trigger").AddParameter("Start", 4).AddParameter("Count", 1);
        _shapeWait = _session.Create().AddCommand("Wait-FloorEventFdShape").AddParameter("EventFd", eventFd).AddParameter("Timeout", 1);
    }

    [GlobalCleanup]
    public void Cleanup() => _session.Dispose();

    [BenchmarkCategory("loopback pair"), Benchmark(Baseline = true, Description = "two floor calls")]
    public int FloorPair() => EngineSession.Run(_floorTrigger, expected: 0) + EngineSession.Run(_floorWait, expected: 1);

    [BenchmarkCategory("loopback pair"), Benchmark(Description = "two floor calls with Set-VfioIrq's and Wait-VfioEventFd's parameters")]
    public int FloorShapePair() => EngineSession.Run(_shapeTrigger, expected: 0) + EngineSession.Run(_shapeWait, expected: 1);

    [BenchmarkCategory("loopback pair"), Benchmark(Description = "Set-VfioIrq -Trigger + Wait-VfioEventFd")]
    public int Loopback() => EngineSession.Run(_trigger, expected: 0) + EngineSession.Run(_wait, expected: 1);

    // The pair's halves, each beside the floor call with its parameter surface: where the pair's time goes.

    [BenchmarkCategory("Set-VfioIrq"), Benchmark(Baseline = true, Description = "Set-FloorIrqShape -Trigger")]
    public int ShapeTriggerOnly() => EngineSession.Run(_shapeTrigger, expected: 0);

    [BenchmarkCategory("Set-VfioIrq"), Benchmark(Description = "Set-VfioIrq -Trigger (then the counter is read back)")]
    public int TriggerOnly()
    {
        int n = EngineSession.Run(_trigger, expected: 0);
        _eventFd.Read();
        return n;
    }

    [BenchmarkCategory("Wait-VfioEventFd"), Benchmark(Baseline = true, Description = "Wait-FloorEventFdShape")]
    public int ShapeWaitOnly() => EngineSession.Run(_shapeWait, expected: 1);

    [BenchmarkCategory("Wait-VfioEventFd"), Benchmark(Description = "Wait-VfioEventFd (signalled first)")]
    public int WaitOnly()
    {
        _eventFd.Signal();
        return EngineSession.Run(_wait, expected: 1);
    }
}
