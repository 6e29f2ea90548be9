using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Kernel;
using VfioPS.Operations;

namespace VfioPS.KernelLane;

/// <summary>
/// Part of the load step: vfio-pci's first-access BAR claim race, and the module's answer to it. After each of
/// <see cref="Reopens"/> opens, <see cref="Threads"/> threads released together read BAR0 (the first BAR access
/// of that open, so each open runs vfio_pci_core_setup_barmap again). Raw: through the channel, as the kernel
/// answers (how many first accesses got EBUSY is reported: the kernel's behaviour, no pass or fail; any other
/// errno fails). Module: through RegionAccess, which makes a BAR's first access of an open one thread at a time and
/// tries an EBUSY again (BarClaimRetry): every read must succeed and read the device's identification register.
/// </summary>
internal static class BarClaimRace
{
    public const int Reopens = 150;
    public const int Threads = 8;

    public static void Run(string bdf, Action<string, bool, string> check)
    {
        var raw = Rounds(bdf, device =>
        {
            var info = RegionInfoReader.Read(device, 0).Info;
            return () =>
            {
                var buffer = new byte[4];
                var result = device.OpenChannel.Read(buffer, (long)info.Offset);
                return result.IsError ? result.Errno.ToString() : null;
            };
        });
        uint expected = BitConverter.ToUInt32(Read(bdf));
        var module = Rounds(bdf, device => () =>
        {
            try
            {
                uint value = BitConverter.ToUInt32(RegionAccess.Read(device, 0, 0, 4, 4).Bytes);
                return value == expected ? null : $"read 0x{value:x8}, not 0x{expected:x8}";
            }
            catch (VfioException e) { return $"{e.ErrorId} {e.Errno}"; }
        });

        int total = Reopens * Threads;
        int rawBusy = raw.Failures.Count(f => f == nameof(Errno.EBUSY));
        Console.WriteLine($"load: BAR0 claim race, {Threads} threads at once after each of {Reopens} opens: raw pread EBUSY {rawBusy} of {total} " +
            $"first accesses ({raw.RoundsWithFailure} opens saw one), {raw.Seconds:F1} s; through RegionAccess {module.Failures.Count} failed, {module.Seconds:F1} s");
        check("raw BAR0 preads racing the claim: EBUSY or success, nothing else", raw.Failures.All(f => f == nameof(Errno.EBUSY)),
            string.Join(", ", raw.Failures.Where(f => f != nameof(Errno.EBUSY)).Distinct()));
        check($"BAR0 read by {Threads} threads at once after each of {Reopens} opens through RegionAccess: all {total} succeeded",
            module.Failures.Count == 0, $"{module.Failures.Count} failed: {string.Join("; ", module.Failures.Distinct().Take(3))}");
    }

    private static byte[] Read(string bdf)
    {
        using var device = KernelDevices.Open(bdf);
        return RegionAccess.Read(device, 0, 0, 4, 4).Bytes;
    }

    /// <summary>
    /// The rounds: open, hand each thread its access (made by <paramref name="prepare"/> on the open device), release
    /// them together, wait, close. An access returns null on success, else what went wrong.
    /// </summary>
    private static (List<string> Failures, int RoundsWithFailure, double Seconds) Rounds(string bdf, Func<VfioDevice, Func<string?>> prepare)
    {
        var failures = new List<string>();
        int roundsWithFailure = 0;
        Func<string?>? access = null;
        using var start = new Barrier(Threads + 1);
        using var finish = new Barrier(Threads + 1);
        bool stop = false;
        var results = new string?[Threads];
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            while (true)
            {
                start.SignalAndWait();
                if (Volatile.Read(ref stop)) return;
                // Nothing may escape a worker: a thread that dies leaves the barriers waiting for it.
                try { results[t] = access!(); }
                catch (Exception e) { results[t] = $"{e.GetType().Name}: {e.Message}"; }
                finish.SignalAndWait();
            }
        }) { IsBackground = true }).ToArray();
        foreach (var w in workers) w.Start();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            for (int r = 0; r < Reopens; r++)
            {
                using var device = KernelDevices.Open(bdf);
                access = prepare(device);
                start.SignalAndWait();
                finish.SignalAndWait();
                var failed = results.Where(x => x is not null).Select(x => x!).ToArray();
                if (failed.Length > 0) roundsWithFailure++;
                failures.AddRange(failed);
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            start.SignalAndWait();
            foreach (var w in workers) w.Join();
        }
        return (failures, roundsWithFailure, clock.Elapsed.TotalSeconds);
    }
}
