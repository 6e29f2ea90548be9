using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using VfioPS.Operations;

namespace VfioPS.Kernel;

/// <summary>
/// One interrupt of a device in one reading: the vector vfio-pci's handler names (or, for an MSI/MSI-X IRQ the device
/// allocated without a handler, none), the host IRQ and the line's counts per CPU.
/// </summary>
public sealed record VfioInterruptReading(string Address, uint Index, int? Vector, int Irq, int[] Cpus, ulong[] Counts, string Chip,
    string? Handler, string[] SharedWith, string? MsiIrqsMode, string? Affinity, string? EffectiveAffinity)
{
    public ulong Total => new ProcInterruptLine(Irq, Cpus, Counts, Chip, Array.Empty<string>()).Total;
}

/// <summary>The interrupts of some devices read at one moment: wall-clock time and a Stopwatch timestamp for intervals.</summary>
public sealed record VfioInterruptSnapshot(DateTime Time, long Timestamp, IReadOnlyList<VfioInterruptReading> Readings);

/// <summary>
/// Watches devices' interrupts from the host's side without opening them: one read of /proc/interrupts per sample for
/// every device, the device's msi_irqs/ and each IRQ's affinity. Two samples give what each vector counted in between.
/// </summary>
public static class VfioInterruptMonitor
{
    private const ulong Wrap32 = 1UL << 32;

    /// <summary>Reads the interrupts of <paramref name="addresses"/> (canonical addresses) now.</summary>
    public static VfioInterruptSnapshot Read(VfioHostPaths paths, IReadOnlyCollection<string> addresses)
    {
        string text = ReadProcInterrupts(paths);
        long timestamp = Stopwatch.GetTimestamp();
        var time = DateTime.UtcNow;
        return new VfioInterruptSnapshot(time, timestamp, Select(paths, ProcInterruptsParser.Parse(text), addresses));
    }

    /// <summary>The readings of the devices from parsed /proc/interrupts lines, with msi_irqs/ and affinity from <paramref name="paths"/>.</summary>
    public static IReadOnlyList<VfioInterruptReading> Select(VfioHostPaths paths, IReadOnlyList<ProcInterruptLine> lines, IReadOnlyCollection<string> addresses)
    {
        var wanted = new HashSet<string>(addresses, StringComparer.Ordinal);
        var found = new List<(string Address, uint Index, int? Vector, ProcInterruptLine Line, string? Handler, string[] Others)>();
        var byIrq = new Dictionary<int, ProcInterruptLine>();
        foreach (var line in lines)
        {
            // A fuzzed or odd file may list an IRQ twice: the first line counts, as for a reader of the table.
            byIrq.TryAdd(line.Irq, line);
            for (int i = 0; i < line.Actions.Length; i++)
            {
                if (!VfioIrqActionName.TryParse(line.Actions[i], out uint index, out int vector, out string address) || !wanted.Contains(address)) continue;
                var others = line.Actions.Where((_, j) => j != i).ToArray();
                found.Add((address, index, vector, line, line.Actions[i], others));
            }
        }
        var readings = new List<VfioInterruptReading>();
        foreach (string address in wanted)
        {
            var msiIrqs = HostInterruptFiles.ReadMsiIrqs(paths, address);
            var handled = new HashSet<int>();
            foreach (var f in found.Where(f => f.Address == address))
            {
                handled.Add(f.Line.Irq);
                readings.Add(Reading(paths, address, f.Index, f.Vector, f.Line.Irq, f.Line, f.Handler, f.Others, msiIrqs));
            }
            // Vectors the device allocated (vfio-pci enables start+count at once) that have no eventfd, so no handler:
            // the kernel shows them in /proc/interrupts only once they counted something.
            foreach (var (irq, mode) in msiIrqs)
            {
                if (handled.Contains(irq)) continue;
                byIrq.TryGetValue(irq, out var line);
                // A line with handlers that are not this device's vfio-pci ones belongs to a host driver, not to VFIO.
                if (line is not null && line.Actions.Length > 0) continue;
                uint index = mode == "msix" ? VfioIrqActionName.MsixIndex : VfioIrqActionName.MsiIndex;
                readings.Add(Reading(paths, address, index, null, irq, line, null, Array.Empty<string>(), msiIrqs));
            }
        }
        return readings
            .OrderBy(r => r.Address, StringComparer.Ordinal)
            .ThenBy(r => r.Index)
            .ThenBy(r => r.Vector is null ? 1 : 0)
            .ThenBy(r => r.Vector ?? 0)
            .ThenBy(r => r.Irq)
            .ToArray();
    }

    private static VfioInterruptReading Reading(VfioHostPaths paths, string address, uint index, int? vector, int irq, ProcInterruptLine? line,
        string? handler, string[] others, IReadOnlyDictionary<int, string> msiIrqs)
        => new(address, index, vector, irq, line?.Cpus ?? Array.Empty<int>(), line?.Counts ?? Array.Empty<ulong>(), line?.Chip ?? string.Empty,
            handler, others, msiIrqs.TryGetValue(irq, out string? mode) ? mode : null,
            HostInterruptFiles.ReadAffinityList(paths, irq), HostInterruptFiles.ReadEffectiveAffinityList(paths, irq));

    private static string ReadProcInterrupts(VfioHostPaths paths)
    {
        string file = paths.ProcInterrupts();
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new VfioException("VfioInterruptsUnavailable", VfioErrorKind.ObjectNotFound,
                $"{file} does not exist: the interrupt counts come from procfs (is /proc mounted?).", file, inner: e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new VfioException("VfioInterruptsUnavailable", VfioErrorKind.PermissionDenied, $"Permission denied reading {file}.", file, inner: e);
        }
        catch (IOException e)
        {
            throw new VfioException("VfioInterruptsUnavailable", VfioErrorKind.DeviceError, $"Reading {file} failed: {e.Message}", file, inner: e);
        }
    }

    /// <summary>
    /// The objects of a sample. With a <paramref name="previous"/> sample each vector gets what it counted since then:
    /// per CPU the difference of the two counts; a count that went down is taken as the kernel's 32-bit per-CPU
    /// counter wrapping when that explains it with fewer than 2^31 interrupts, and otherwise as a counter that started
    /// again from zero (the IRQ was freed and allocated again), which also holds for a vector the previous sample did
    /// not have or had on another IRQ: Delta then counts from zero and Restarted is set. A CPU the previous sample did
    /// not list (brought online in between) adds nothing.
    /// </summary>
    public static IReadOnlyList<VfioDeviceInterrupt> Describe(VfioInterruptSnapshot current, VfioInterruptSnapshot? previous, int sample, bool perCpu)
    {
        double? interval = previous is null ? null : Stopwatch.GetElapsedTime(previous.Timestamp, current.Timestamp).TotalSeconds;
        var before = previous?.Readings.GroupBy(Key).ToDictionary(g => g.Key, g => g.First());
        var result = new VfioDeviceInterrupt[current.Readings.Count];
        for (int r = 0; r < result.Length; r++)
        {
            var now = current.Readings[r];
            ulong? delta = null;
            bool restarted = false;
            ulong?[] cpuDeltas = new ulong?[now.Counts.Length];
            if (before is not null)
            {
                ulong sum = 0;
                before.TryGetValue(Key(now), out var then);
                if (then is null || then.Irq != now.Irq) restarted = true;
                for (int c = 0; c < now.Counts.Length; c++)
                {
                    ulong? d;
                    if (then is null || then.Irq != now.Irq) d = now.Counts[c];
                    else
                    {
                        int at = Array.IndexOf(then.Cpus, now.Cpus[c]);
                        d = at < 0 || at >= then.Counts.Length ? null : CounterDelta(then.Counts[at], now.Counts[c], ref restarted);
                    }
                    cpuDeltas[c] = d;
                    if (d is ulong value) sum = ulong.MaxValue - sum < value ? ulong.MaxValue : sum + value;
                }
                delta = sum;
            }
            VfioCpuInterruptCount[]? cpus = null;
            if (perCpu)
            {
                cpus = new VfioCpuInterruptCount[now.Counts.Length];
                for (int c = 0; c < cpus.Length; c++) cpus[c] = new VfioCpuInterruptCount(now.Cpus[c], now.Counts[c], cpuDeltas[c]);
            }
            double? rate = delta is ulong dd && interval is double seconds && seconds > 0 ? dd / seconds : null;
            result[r] = new VfioDeviceInterrupt(now.Address, now.Index, IrqIndexNames.Fixed[now.Index], now.Vector, now.Irq, now.Total, cpus,
                now.Handler, now.SharedWith, now.MsiIrqsMode, now.Chip, now.Affinity, HostInterruptFiles.ParseCpuList(now.Affinity), now.EffectiveAffinity,
                current.Time, sample, delta, rate, interval, restarted);
        }
        return result;
    }

    /// <summary>What one CPU's counter counted from <paramref name="then"/> to <paramref name="now"/> (see Describe).</summary>
    internal static ulong CounterDelta(ulong then, ulong now, ref bool restarted)
    {
        if (now >= then) return now - then;
        if (then < Wrap32 && now < Wrap32)
        {
            ulong wrapped = Wrap32 - then + now;
            if (wrapped < Wrap32 / 2) return wrapped;
        }
        restarted = true;
        return now;
    }

    private static (string, uint, int?, int) Key(VfioInterruptReading reading)
        => (reading.Address, reading.Index, reading.Vector, reading.Vector is null ? reading.Irq : -1);
}
