using System.Linq;
using System.Management.Automation;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace VfioPS.Benchmarks.Cmdlets;

/// <summary>
/// The read cmdlets per emitted object, each beside the floor cmdlet doing the same binding and emitting objects of
/// the same shape, in the same process: Get-VfioIrqInfo over 1000 gvt-vgpu mocks (6000 objects) by parameter and
/// piped, and Get-VfioIrqCapability -Index 5 (1000 capabilities). The Ratio column is VfioPS over the floor.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CmdletReadBenchmarks
{
    private const int Devices = 1000;
    private const int Objects = Devices * 6;

    private EngineSession _session = null!;
    private object[] _devices = null!;
    private PowerShell _vfio = null!, _floor = null!, _vfioPiped = null!, _floorPiped = null!, _capability = null!, _floorCapability = null!;

    [GlobalSetup]
    public void Setup()
    {
        _session = new EngineSession();
        _devices = _session.Invoke($"1..{Devices} | ForEach-Object {{ New-VfioMockDevice -Profile gvt-vgpu }}").Select(o => o.BaseObject).ToArray();
        _vfio = _session.Create().AddCommand("Get-VfioIrqInfo").AddParameter("Device", _devices);
        _floor = _session.Create().AddCommand("Get-FloorIrqInfo").AddParameter("Device", _devices);
        _vfioPiped = _session.Create().AddCommand("Get-VfioIrqInfo");
        _floorPiped = _session.Create().AddCommand("Get-FloorIrqInfo");
        _capability = _session.Create().AddCommand("Get-VfioIrqCapability").AddParameter("Device", _devices).AddParameter("Index", 5);
        _floorCapability = _session.Create().AddCommand("Get-FloorIrqInfo").AddParameter("Device", _devices).AddParameter("PerDevice", 1);
    }

    [GlobalCleanup]
    public void Cleanup() => _session.Dispose();

    [BenchmarkCategory("IrqInfo -Device"), Benchmark(Baseline = true, OperationsPerInvoke = Objects, Description = "floor -Device (per object)")]
    public int Floor() => EngineSession.Run(_floor, expected: Objects);

    [BenchmarkCategory("IrqInfo -Device"), Benchmark(OperationsPerInvoke = Objects, Description = "Get-VfioIrqInfo -Device (per object)")]
    public int GetIrqInfo() => EngineSession.Run(_vfio, expected: Objects);

    [BenchmarkCategory("IrqInfo piped"), Benchmark(Baseline = true, OperationsPerInvoke = Devices, Description = "$d | floor (per device)")]
    public int FloorPiped() => EngineSession.Run(_floorPiped, _devices, Objects);

    [BenchmarkCategory("IrqInfo piped"), Benchmark(OperationsPerInvoke = Devices, Description = "$d | Get-VfioIrqInfo (per device)")]
    public int GetIrqInfoPiped() => EngineSession.Run(_vfioPiped, _devices, Objects);

    [BenchmarkCategory("IrqCapability"), Benchmark(Baseline = true, OperationsPerInvoke = Devices, Description = "floor -PerDevice 1 (per object)")]
    public int FloorCapability() => EngineSession.Run(_floorCapability, expected: Devices);

    [BenchmarkCategory("IrqCapability"), Benchmark(OperationsPerInvoke = Devices, Description = "Get-VfioIrqCapability -Index 5 (per capability)")]
    public int GetIrqCapability() => EngineSession.Run(_capability, expected: Devices);
}
