using System.Linq;
using System.Management.Automation;
using BenchmarkDotNet.Attributes;

namespace VfioPS.Benchmarks.Cmdlets;

/// <summary>
/// Per-item cost as a call grows: Get-VfioIrqInfo over 10..3000 devices. Every invocation reads 3000 devices
/// (3000/N calls of N), so the per-object column compares like with like; a flat column is linear scaling.
/// </summary>
[MemoryDiagnoser]
public class DeviceScalingBenchmarks
{
    private const int Total = 3000;
    private EngineSession _session = null!;
    private PowerShell _read = null!;

    [Params(10, 100, 1000, 3000)]
    public int Devices { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _session = new EngineSession();
        var devices = _session.Invoke($"1..{Devices} | ForEach-Object {{ New-VfioMockDevice -Profile gvt-vgpu }}").Select(o => o.BaseObject).ToArray();
        // The rest of the 3000 are opened too, so the process owns the same number of devices in every case.
        _session.Invoke($"$others = 1..{Total - Devices + 1} | ForEach-Object {{ New-VfioMockDevice -Profile gvt-vgpu }}");
        _read = _session.Create().AddCommand("Get-VfioIrqInfo").AddParameter("Device", devices);
    }

    [GlobalCleanup]
    public void Cleanup() => _session.Dispose();

    [Benchmark(OperationsPerInvoke = Total * 6, Description = "Get-VfioIrqInfo (per object)")]
    public int Read()
    {
        int n = 0;
        for (int i = 0; i < Total / Devices; i++) n += EngineSession.Run(_read, expected: Devices * 6);
        return n;
    }
}

/// <summary>
/// Per-vector cost of Set-VfioIrq -EventFd on 1, 64 or 2048 MSI-X vectors and -Disable, with 0 or 2048 other
/// eventfds owned by the runspace: neither the vectors of the call nor what the runspace owns may make a vector dearer.
/// </summary>
[MemoryDiagnoser]
public class VectorScalingBenchmarks
{
    private const int Total = 2048;
    private EngineSession _session = null!;
    private PowerShell _bind = null!, _disable = null!;

    [Params(1, 64, 2048)]
    public int Vectors { get; set; }

    [Params(0, 2048)]
    public int Owned { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _session = new EngineSession();
        string profile = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"vfiops-bench-msix2048-{System.Environment.ProcessId}.json");
        System.IO.File.WriteAllText(profile, """
            { "name": "msix2048", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 },
              "irqs": [ { "index": 2, "flags": ["EventFd", "NoResize"], "count": 2048 } ] }
            """);
        _session.Invoke($"$d = New-VfioMockDevice -LiteralPath '{profile}'; $e = New-VfioEventFd -Count {Vectors}");
        System.IO.File.Delete(profile);
        if (Owned > 0) _session.Invoke($"$owned = New-VfioEventFd -Count {Owned}");
        object device = _session.Get("d")!;
        object eventFds = _session.Get("e")!;
        _bind = _session.Create().AddCommand("Set-VfioIrq").AddParameter("Device", device).AddParameter("Index", "MSI-X").AddParameter("EventFd", eventFds);
        _disable = _session.Create().AddCommand("Set-VfioIrq").AddParameter("Device", device).AddParameter("Index", "MSI-X").AddParameter("Disable");
    }

    [GlobalCleanup]
    public void Cleanup() => _session.Dispose();

    [Benchmark(OperationsPerInvoke = Total, Description = "Set-VfioIrq -EventFd + -Disable (per vector)")]
    public int BindAndDisable()
    {
        int n = 0;
        for (int i = 0; i < Total / Vectors; i++) n += EngineSession.Run(_bind, expected: 0) + EngineSession.Run(_disable, expected: 0);
        return n;
    }
}

/// <summary>
/// Per-eventfd cost of New-VfioEventFd -Count 256/1024/4096 and Close-VfioEventFd on them, with 0 or 2048 eventfds
/// already owned by the runspace. Every invocation makes 4096 (4096/N calls of N).
/// </summary>
[MemoryDiagnoser]
public class EventFdScalingBenchmarks
{
    private const int Total = 4096;
    private EngineSession _session = null!;
    private PowerShell _createAndClose = null!;

    [Params(256, 1024, 4096)]
    public int Count { get; set; }

    [Params(0, 2048)]
    public int Owned { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _session = new EngineSession();
        if (Owned > 0) _session.Invoke($"$owned = New-VfioEventFd -Count {Owned}");
        _createAndClose = _session.Create().AddScript($"$made = New-VfioEventFd -Count {Count}; Close-VfioEventFd -EventFd $made");
    }

    [GlobalCleanup]
    public void Cleanup() => _session.Dispose();

    [Benchmark(OperationsPerInvoke = Total, Description = "New-VfioEventFd + Close-VfioEventFd (per eventfd)")]
    public int CreateAndClose()
    {
        int n = 0;
        for (int i = 0; i < Total / Count; i++) n += EngineSession.Run(_createAndClose, expected: 0);
        return n;
    }
}
