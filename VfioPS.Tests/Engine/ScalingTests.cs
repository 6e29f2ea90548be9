using System;
using System.Globalization;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace VfioPS.Engine.Tests;

/// <summary>Timing tests run alone: other tests running beside them would be their noise.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "Timing";
}

/// <summary>
/// Per-item costs that must not grow with the size of a call or with what the runspace already owns. Each series
/// is timed inside the engine with a Stopwatch (warm-up, then the best of several rounds) at a small and a large end,
/// and fails when the large end costs more than <see cref="Bound"/> times the small end per item. Linear code gives a
/// ratio near 1; the quadratic bookkeeping this guards against gave 6x (New-VfioEventFd, 256 vs 4096) and 6x
/// (a one-vector bind with 2048 eventfds owned). The bound is generous because the machine is shared.
/// BenchmarkDotNet (VfioPS.Benchmarks) gives the precise numbers; this only catches growth.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class ScalingTests : IClassFixture<ModuleFixture>
{
    private const double Bound = 3.0;
    private const int Rounds = 5;

    private readonly ModuleFixture _module;
    private readonly ITestOutputHelper _log;

    public ScalingTests(ModuleFixture module, ITestOutputHelper log)
    {
        _module = module;
        _log = log;
    }

    /// <summary>
    /// Runs <paramref name="setup"/> (untimed), then <paramref name="timed"/> under a Stopwatch, then <paramref name="cleanup"/>
    /// (untimed), once to warm up and <see cref="Rounds"/> times; the best round's milliseconds per item.
    /// </summary>
    private double BestPerItem(string setup, string timed, string cleanup, int items)
    {
        string script = $$"""
            {{setup}}
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            {{timed}}
            $elapsed = $clock.Elapsed.TotalMilliseconds
            {{cleanup}}
            $elapsed
            """;
        double best = double.MaxValue;
        for (int round = 0; round <= Rounds; round++)
        {
            double ms = Convert.ToDouble(_module.Run(script).Last().BaseObject, CultureInfo.InvariantCulture);
            if (round > 0) best = Math.Min(best, ms);
        }
        return best / items;
    }

    private void AssertLinear(string series, double small, double large)
    {
        string text = FormattableString.Invariant($"{series}: {small * 1000:F2} us per item at the small end, {large * 1000:F2} us at the large end ({large / small:F2}x; bound {Bound}x)");
        _log.WriteLine(text);
        Assert.True(large <= Bound * small, text);
    }

    [Fact]
    public void NewVfioEventFdCostsTheSamePerEventFdAtAnyCountAndWhateverTheRunspaceOwns()
    {
        const string close = "Close-VfioEventFd -EventFd $made";
        double small = BestPerItem("", "$made = New-VfioEventFd -Count 256", close, 256);
        double large = BestPerItem("", "$made = New-VfioEventFd -Count 4096", close, 4096);
        _module.Run("$owned = New-VfioEventFd -Count 2048");
        try
        {
            double largeOwned = BestPerItem("", "$made = New-VfioEventFd -Count 4096", close, 4096);
            AssertLinear("New-VfioEventFd, 256 vs 4096", small, large);
            AssertLinear("New-VfioEventFd, 256 with none owned vs 4096 with 2048 owned", small, largeOwned);
        }
        finally
        {
            _module.Run("Close-VfioEventFd -EventFd $owned; $owned = $null");
        }
    }

    [Fact]
    public void BindingAVectorCostsTheSameWhateverTheRunspaceOwns()
    {
        _module.Run("$d = New-VfioMockDevice -Profile e1000e; $one = New-VfioEventFd");
        try
        {
            const string calls = "foreach ($i in 1..50) { Set-VfioIrq $d -Index MSI-X -EventFd $one; Set-VfioIrq $d -Index MSI-X -Disable }";
            double none = BestPerItem("", calls, "", 50);
            _module.Run("$owned = New-VfioEventFd -Count 2048");
            double owned = BestPerItem("", calls, "", 50);
            _module.Run("Close-VfioEventFd -EventFd $owned; $owned = $null");
            AssertLinear("Set-VfioIrq one-vector bind + disable, 0 vs 2048 eventfds owned", none, owned);
        }
        finally
        {
            _module.Run("$one.Dispose(); $d.Dispose()");
        }
    }

    [Fact]
    public void BindingCostsTheSamePerVectorAt64And2048Vectors()
    {
        string profile = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"vfiops-scaling-{Environment.ProcessId}.json");
        System.IO.File.WriteAllText(profile, """
            { "name": "msix2048", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 },
              "irqs": [ { "index": 2, "flags": ["EventFd", "NoResize"], "count": 2048 } ] }
            """);
        _module.Run($"$d = New-VfioMockDevice -LiteralPath '{profile}'; $e = New-VfioEventFd -Count 2048; $few = $e[0..63]");
        System.IO.File.Delete(profile);
        try
        {
            // 32 calls of 64 vectors against one of 2048: the same vectors bound in total.
            double small = BestPerItem("", "foreach ($i in 1..32) { Set-VfioIrq $d -Index MSI-X -EventFd $few; Set-VfioIrq $d -Index MSI-X -Disable }", "", 2048);
            double large = BestPerItem("", "Set-VfioIrq $d -Index MSI-X -EventFd $e; Set-VfioIrq $d -Index MSI-X -Disable", "", 2048);
            AssertLinear("Set-VfioIrq -EventFd + -Disable per vector, 64 vs 2048 vectors", small, large);
        }
        finally
        {
            _module.Run("Close-VfioEventFd -EventFd $e; $d.Dispose()");
        }
    }

    [Fact]
    public void GetVfioIrqInfoCostsTheSamePerObjectOver10And1000Devices()
    {
        _module.Run("$many = 1..1000 | ForEach-Object { New-VfioMockDevice -Profile gvt-vgpu }; $some = $many[0..9]");
        try
        {
            double small = BestPerItem("", "foreach ($i in 1..100) { $null = Get-VfioIrqInfo -Device $some }", "", 6000);
            double large = BestPerItem("", "$null = Get-VfioIrqInfo -Device $many", "", 6000);
            AssertLinear("Get-VfioIrqInfo per object, 10 vs 1000 devices", small, large);
        }
        finally
        {
            _module.Run("$many | ForEach-Object { $_.Dispose() }; $many = $null; $some = $null");
        }
    }
}
