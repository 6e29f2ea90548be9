using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Kernel;
using VfioPS.Native;
using VfioPS.Operations;

namespace VfioPS.KernelLane;

/// <summary>
/// The lane's load step (suite.sh "load"): open/read/close cycles on a real device whose close does no reset (edu,
/// else pci-testdev: vfio-pci finds no reset method for them), so the loop measures VfioPS and the VFIO open/close
/// path, not a device reset. The fd count and the managed heap (GC.GetTotalMemory(true)) are sampled at the start,
/// every tenth of the run and at the end, and must stay flat. After the loop, 50 cycles of each part of an open
/// are timed on their own (sysfs lookup, group + container set-up, the device fd, GET_INFO, the read, the close), so
/// the report says where a cycle's time goes. Then vfio-pci's BAR claim race (<see cref="BarClaimRace"/>). Closing line: "kernel lane load: N passed, N failed".
/// </summary>
internal static class LoadCycles
{
    /// <summary>What the heap may grow by over the run (a leak of one small object per cycle would pass 10,000 x 200 B).</summary>
    private const long HeapTolerance = 2 * 1024 * 1024;

    private static readonly string[] s_noResetDevices = { "1234:11e8", "1b36:0005" }; // edu, pci-testdev

    private static int s_passed, s_failed;

    public static int Run(string[] args)
    {
        int cycles = args.Length > 1 && int.TryParse(args[1], out int n) ? n
            : int.TryParse(Environment.GetEnvironmentVariable("KERNEL_LANE_LOAD_CYCLES"), out int e) ? e : 10_000;
        string list = Environment.GetEnvironmentVariable("VFIO_VM_DEVICES") ?? "/tmp/vfio-vm-devices.txt";
        var clock = Stopwatch.StartNew();
        string? bdf = null, id = null;
        if (File.Exists(list))
        {
            var devices = File.ReadAllLines(list).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(p => p.Length > 1).ToArray();
            foreach (string wanted in s_noResetDevices)
            {
                if (devices.FirstOrDefault(p => p[1] == wanted) is { } found) { bdf = found[0]; id = found[1]; break; }
            }
        }
        if (bdf is null)
        {
            Console.WriteLine($"kernel lane load: 0 passed, 1 failed (no edu or pci-testdev in {list})");
            return 1;
        }
        string kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        string resetMethod = File.Exists($"/sys/bus/pci/devices/{bdf}/reset_method") ? File.ReadAllText($"/sys/bus/pci/devices/{bdf}/reset_method").Trim() : "(none)";
        Console.WriteLine($"load: kernel {kernel}, {bdf} ({id}), reset_method {resetMethod}, {cycles} open/read/close cycles");

        try
        {
            // Warm-up: JIT and the first open's lazies are not part of the curve.
            for (int i = 0; i < 20; i++) Cycle(bdf);
            Curve(bdf, cycles);
            // After the curve: by then the JIT has tiered up (under TCG the first thousand cycles cost 2-3x the rest).
            Breakdown(bdf);
            BarClaimRace.Run(bdf, Check);
        }
        catch (Exception ex)
        {
            Fail("load", $"unexpected {ex.GetType().Name}: {(ex as VfioException)?.ErrorId} {ex.Message}");
        }
        Console.WriteLine($"kernel lane load: {s_passed} passed, {s_failed} failed in {clock.Elapsed.TotalSeconds:F1} s");
        return s_failed == 0 ? 0 : 1;
    }

    private static void Cycle(string bdf)
    {
        using var device = KernelDevices.Open(bdf);
        var data = RegionAccess.Read(device, (uint)VfioPciRegionIndex.Config, 0, 4, 4);
        if (data.Bytes.Length != 4) throw new InvalidOperationException("short config read");
    }

    /// <summary>The cycles, with the fd count and the managed heap sampled every tenth of the run.</summary>
    private static void Curve(string bdf, int cycles)
    {
        int every = Math.Max(1, cycles / 10);
        var samples = new List<(int Cycle, int Fds, long Heap)> { (0, FdCount(), GC.GetTotalMemory(true)) };
        var clock = Stopwatch.StartNew();
        int failures = 0;
        string? firstFailure = null;
        for (int i = 1; i <= cycles; i++)
        {
            try { Cycle(bdf); }
            catch (VfioException ex)
            {
                failures++;
                firstFailure ??= $"cycle {i}: {ex.ErrorId} {ex.Message}";
            }
            if (i % every == 0 || i == cycles)
            {
                if (samples[^1].Cycle != i) samples.Add((i, FdCount(), GC.GetTotalMemory(true)));
            }
        }
        clock.Stop();
        var (first, last) = (samples[0], samples[^1]);
        Console.WriteLine($"load: {cycles} cycles in {clock.Elapsed.TotalSeconds:F1} s ({clock.Elapsed.TotalMilliseconds / cycles:F2} ms/cycle, {cycles / clock.Elapsed.TotalSeconds:F0}/s)");
        Console.WriteLine($"load: fds {first.Fds} -> {last.Fds}; managed heap {first.Heap} -> {last.Heap} bytes ({last.Heap - first.Heap:+#;-#;0})");
        Console.WriteLine("load: samples (cycle fds heap): " + string.Join("; ", samples.Select(s => $"{s.Cycle} {s.Fds} {s.Heap}")));
        Check("every cycle opened, read and closed the device", failures == 0, $"{failures} failed; first: {firstFailure}");
        Check("VFIO and eventfd fd count flat", samples.All(s => s.Fds == first.Fds), string.Join(", ", samples.Select(s => s.Fds)));
        Check($"managed heap flat (grew {last.Heap - first.Heap} B, tolerance {HeapTolerance} B)", last.Heap - first.Heap < HeapTolerance, "");
        Check("no device left registered", !VfioDeviceRegistry.TryGet(bdf, out _), "");
    }

    /// <summary>50 rounds of each part of an open/read/close on its own: where a cycle's time goes.</summary>
    private static void Breakdown(string bdf)
    {
        const int rounds = 50;
        var paths = VfioHostPaths.Default;
        var nodes = LinuxKernelNodes.Instance;
        var pci = PciDeviceEnumerator.Find(paths, bdf) ?? throw new InvalidOperationException($"{bdf} not found");
        bool cdev = pci.CdevPath is not null && File.Exists(pci.CdevPath) && File.Exists(paths.Iommufd);

        double full = Time(rounds, () => Cycle(bdf));
        double openClose = Time(rounds, () => KernelDevices.Open(bdf).Dispose());
        double find = Time(rounds, () => PciDeviceEnumerator.Find(paths, bdf));
        string line = $"load: one cycle {full:F2} ms, of which Open-VfioDevice + close {openClose:F2} ms; the parts on their own: sysfs lookup (PciDeviceEnumerator.Find) {find:F2} ms";
        if (!cdev && pci.GroupPath is not null)
        {
            var member = VfioGroupTable.GroupMember.Of(pci);
            double group = Time(rounds, () => VfioGroupTable.Acquire(paths, pci.GroupPath, member, nodes).Dispose());
            // With the group held: the device fd alone (vfio-pci's open_device and close_device: enable, disable).
            using var lease = VfioGroupTable.Acquire(paths, pci.GroupPath, member, nodes);
            byte[] name = System.Text.Encoding.ASCII.GetBytes(bdf + "\0");
            double deviceFd = Time(rounds, () =>
            {
                var r = nodes.Ioctl(lease.Group, VfioIoctl.GroupGetDeviceFd, (byte[])name.Clone());
                if (r.IsError) throw new InvalidOperationException($"GET_DEVICE_FD: {r.Errno}");
                new SafeFileDescriptorHandle(r.ReturnValue).Dispose();
            });
            line += $" + group and container (open, SET_CONTAINER, SET_IOMMU, close) {group:F2} ms + device fd open and close (vfio-pci enable/disable) {deviceFd:F2} ms";
        }
        using (var device = KernelDevices.Open(bdf))
        {
            double info = Time(rounds, () => DeviceInfoReader.ReadWithCapabilities(device.OpenChannel, bdf));
            double read = Time(rounds, () => RegionAccess.Read(device, (uint)VfioPciRegionIndex.Config, 0, 4, 4));
            line += $" + GET_INFO {info:F2} ms + config read on an open device {read:F2} ms";
        }
        Console.WriteLine(line + (cdev ? " (cdev path: group parts not timed apart)" : ""));
    }

    private static double Time(int rounds, Action action)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < rounds; i++) action();
        return clock.Elapsed.TotalMilliseconds / rounds;
    }

    /// <summary>
    /// The open fds of the kinds VfioPS opens: VFIO nodes (/dev/vfio/*, /dev/iommu), device fds (anon_inode:[vfio-device])
    /// and eventfds. The runtime opens fds of its own at times of its choosing (CI runs saw the whole count go 45 -> 47
    /// and 39 -> 41 at the first sample and stay flat), which a leak check of VfioPS must not count.
    /// </summary>
    private static int FdCount()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return FileDescriptors.OpenTargets().Count(target =>
            target.StartsWith("/dev/vfio", StringComparison.Ordinal) || target == "/dev/iommu"
            || target.StartsWith("anon_inode:[vfio", StringComparison.Ordinal) || target.StartsWith("anon_inode:vfio", StringComparison.Ordinal)
            || target == "anon_inode:[eventfd]");
    }

    private static void Check(string what, bool ok, string detail)
    {
        if (ok) { s_passed++; Console.WriteLine($"ok   load: {what}"); }
        else Fail(what, detail);
    }

    private static void Fail(string what, string detail)
    {
        s_failed++;
        Console.WriteLine($"FAIL load: {what}: {detail}");
    }
}
