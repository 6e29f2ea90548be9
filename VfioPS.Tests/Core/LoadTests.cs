using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Mock;
using VfioPS.Operations;
using Xunit;
using Xunit.Abstractions;

namespace VfioPS.Core.Tests;

/// <summary>
/// 100,000 open/read/close cycles on one mock profile: the fd count and the managed heap (GC.GetTotalMemory(true))
/// are sampled at the start, every 10,000 cycles and at the end, and must stay flat: no fd is left open by a cycle,
/// and nothing a closed device held stays reachable (the registry, the record, the eventfd bindings).
/// </summary>
[Collection(FdCountingCollection.Name)]
public sealed class LoadTests
{
    private const int Cycles = 100_000;
    private const int SampleEvery = 10_000;
    /// <summary>What the heap may grow by over the run: well below one leaked object graph per cycle (100,000 x ~1 KB).</summary>
    private const long HeapTolerance = 2 * 1024 * 1024;

    private readonly ITestOutputHelper _log;

    public LoadTests(ITestOutputHelper log) => _log = log;

    [Fact]
    public void HundredThousandOpenReadCloseCyclesOnTheMockKeepFdsAndHeapFlat()
    {
        var profile = MockProfileReader.LoadBuiltIn("edu");
        // Warm-up: JIT, the profile's lazies, the native library, the registry's first entries.
        for (int i = 0; i < 1000; i++) Cycle(profile);

        var samples = new List<(int Cycle, int Fds, long Heap)> { (0, ConcurrencyTests.FdCount(), GC.GetTotalMemory(true)) };
        var clock = Stopwatch.StartNew();
        for (int i = 1; i <= Cycles; i++)
        {
            Cycle(profile);
            if (i % SampleEvery == 0) samples.Add((i, ConcurrencyTests.FdCount(), GC.GetTotalMemory(true)));
        }
        clock.Stop();

        var (first, last) = (samples[0], samples[^1]);
        _log.WriteLine($"mock load: {Cycles} open/read/close cycles in {clock.Elapsed.TotalSeconds:F2} s " +
            $"({clock.Elapsed.TotalMilliseconds * 1000 / Cycles:F1} us/cycle); fds {first.Fds} -> {last.Fds}; " +
            $"managed heap {first.Heap} -> {last.Heap} bytes ({last.Heap - first.Heap:+#;-#;0})");
        _log.WriteLine("samples (cycle fds heap): " + string.Join("; ", samples.Select(s => $"{s.Cycle} {s.Fds} {s.Heap}")));

        Assert.All(samples, s => Assert.Equal(first.Fds, s.Fds));
        Assert.True(last.Heap - first.Heap < HeapTolerance,
            $"managed heap grew by {last.Heap - first.Heap} bytes over {Cycles} cycles (tolerance {HeapTolerance})");
        Assert.DoesNotContain(VfioDeviceRegistry.OpenDevices, d => d.Profile == profile.Name);
    }

    private static void Cycle(MockDeviceProfile profile)
    {
        using var device = MockDevices.Open(profile);
        var data = RegionAccess.Read(device, (uint)VfioPciRegionIndex.Config, 0, 4, 4);
        if (data.Bytes.Length != 4) throw new InvalidOperationException("short read");
    }
}
