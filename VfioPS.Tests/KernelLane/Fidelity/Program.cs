using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using VfioPS;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Kernel;
using VfioPS.Mock;
using VfioPS.Native;
using VfioPS.Operations;

namespace VfioPS.KernelLane;

/// <summary>
/// The real-kernel lane, run inside the VM: for each emulated device bound to vfio-pci, the same ioctls go to the
/// kernel and to the mock profile of the same device at the channel seam, and every answer (return value, errno,
/// the bytes left in the buffer, which eventfds fired) must be identical. Then the module's own operations run on
/// the real driver: IRQ info, the argsz-20 compatibility rule, the loopback on every vector, and /proc/interrupts
/// against the module's record. Exit code 0 only if nothing differed.
/// </summary>
public static partial class Program
{
    private static readonly Dictionary<string, string> s_profiles = new()
    {
        ["8086:10d3"] = "e1000e",
        ["1234:11e8"] = "edu",
        ["1af4:1000"] = "virtio-net",
        ["1b36:0005"] = "pci-testdev",
    };

    /// <summary>The running kernel's release: each device is compared with the built-in profile measured on it (or on its series).</summary>
    private static readonly string s_kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    private static int s_passed;
    private static int s_failed;
    private static readonly List<string> s_rows = new();

    public static int Main(string[] args)
    {
        if (args is ["--seed-mdev-self-test"]) return SeedMdevSelfTest();
        if (args is ["--load", ..]) return LoadCycles.Run(args);
        var clock = Stopwatch.StartNew();
        string list = args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("VFIO_VM_DEVICES") ?? "/tmp/vfio-vm-devices.txt";
        var fdsAtStart = OpenFdTargets();
        Console.WriteLine($"kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}, devices from {list}");
        var listed = new List<(string Bdf, string Group)>();
        foreach (string line in File.ReadAllLines(list).Where(l => l.Trim().Length > 0))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string bdf = parts[0], id = parts[1];
            listed.Add((bdf, parts.FirstOrDefault(p => p.StartsWith("group=", StringComparison.Ordinal))?.Substring(6) ?? "?"));
            try
            {
                RunDevice(bdf, id);
            }
            catch (Exception e)
            {
                Fail($"{bdf} {id}", $"unexpected {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        try
        {
            GroupSharing(listed);
        }
        catch (Exception e)
        {
            Fail("lane", $"group sharing: unexpected {e.GetType().Name}: {e.Message}");
        }
        SeedMdevRows();
        MockOnlyRows();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var fdsAtEnd = OpenFdTargets();
        Check("process", "no VFIO or eventfd fd left open", fdsAtEnd.Count == fdsAtStart.Count,
            $"{fdsAtEnd.Count} fds open, {fdsAtStart.Count} at start; new: {string.Join(", ", fdsAtEnd.Except(fdsAtStart).GroupBy(t => t).Select(g => $"{g.Key} x{g.Count()}"))}");

        Console.WriteLine();
        Console.WriteLine($"{"case",-58} {"device",-12} {"kernel",-14} {"mock",-14} bytes");
        foreach (string row in s_rows) Console.WriteLine(row);
        Console.WriteLine($"kernel lane: {s_passed} passed, {s_failed} failed in {clock.Elapsed.TotalSeconds:F1} s");
        return s_failed == 0 ? 0 : 1;
    }

    private static void RunDevice(string bdf, string id)
    {
        string? profile;
        using var kernel = KernelDevices.Open(bdf);
        Console.WriteLine($"{bdf} {id}: flags {kernel.Flags}, {kernel.NumRegions} regions, {kernel.NumIrqs} irqs");
        for (uint i = 0; i < kernel.NumIrqs; i++)
        {
            var info = IrqInfoReader.Read(kernel, i).Info;
            Console.WriteLine($"  index {i} {info.Name,-6} count {info.Count} flags 0x{(uint)info.Flags:x} {(info.Supported ? "" : info.UnsupportedReason)}");
        }
        CompatibilityRule(kernel);
        for (uint i = 0; i < kernel.NumRegions; i++)
        {
            var region = RegionInfoReader.Read(kernel, i);
            Console.WriteLine($"  region {i} {region.Info.Name,-6} size 0x{region.Info.Size:x} offset 0x{region.Info.Offset:x} flags 0x{(uint)region.Info.Flags:x} " +
                $"caps [{string.Join(", ", region.Info.Capabilities.Select(c => $"{c.Name} v{c.Version} @{c.Offset}"))}]{(region.Info.Supported ? "" : " " + region.Info.UnsupportedReason)}");
        }

        // A device off the root bus sits behind the lane's PCIe root port: its profile has the slot reset there.
        if (id == "8086:10d3" && !bdf.StartsWith("0000:00:", StringComparison.Ordinal)) profile = "e1000e-port";
        else s_profiles.TryGetValue(id, out profile);
        if (profile is not null && MockProfileReader.ReadingsOf(profile).Any(p => MockKernelRules.SameSeries(p.Kernel, s_kernel)))
        {
            using var mock = MockDevices.OpenBuiltIn(profile, s_kernel);
            var recorded = mock.MockChannel!.Profile;
            Console.WriteLine($"  mock profile {recorded.Name}, readings of kernel {recorded.Kernel}{(recorded.Kernel == s_kernel ? "" : $" (this kernel is {s_kernel}: a difference below is news)")}");
            Check(bdf, "GET_INFO: flags, regions, irqs equal the mock profile",
                kernel.Flags == mock.Flags && kernel.NumRegions == mock.NumRegions && kernel.NumIrqs == mock.NumIrqs,
                $"kernel {kernel.Flags}/{kernel.NumRegions}/{kernel.NumIrqs}, mock {mock.Flags}/{mock.NumRegions}/{mock.NumIrqs}");
            // Config space and BAR contents: the root-bus device's profile (a second device of a kind is not compared).
            RegionIo(bdf, kernel, s_profiles[id]);
            Fidelity(bdf, kernel, mock);
            RegionsRead(bdf, kernel, mock);
        }
        else
        {
            Fail(bdf, $"no mock profile for {id} measured on kernel {s_kernel} or its series: add one from the readings above, with \"kernel\": \"{s_kernel}\"");
        }
        Loopback(bdf, kernel);
        if (id == "1234:11e8") EduHardwareIntx(bdf, kernel);
    }

    /// <summary>
    /// The hardware INTx path on edu: the device raises and lowers its line through BAR0 (0x60 raise, 0x64
    /// acknowledge), and delivery, automasking and unmask re-delivery must match what the mock's device-side raise
    /// does, step for step.
    /// </summary>
    private static void EduHardwareIntx(string bdf, VfioDevice kernel)
    {
        var fdChannel = kernel.KernelChannel!;
        long RegionOffset(uint index)
        {
            var info = new byte[32];
            BinaryPrimitives.WriteUInt32LittleEndian(info, 32);
            BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(8), index);
            var r = kernel.OpenChannel.Ioctl(VfioIoctl.DeviceGetRegionInfo, info);
            if (r.IsError) throw new InvalidOperationException($"GET_REGION_INFO {index}: {r.Errno}");
            return (long)BinaryPrimitives.ReadUInt64LittleEndian(info.AsSpan(24));
        }
        long bar0 = RegionOffset(0), config = RegionOffset(7);
        // Memory space decoding on, so BAR0 writes reach the device.
        var command = new byte[2];
        fdChannel.Read(command, config + 4);
        BinaryPrimitives.WriteUInt16LittleEndian(command, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(command) | 0x2));
        fdChannel.Write(command, config + 4);
        void Reg(int register, uint value)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            var written = fdChannel.Write(b, bar0 + register);
            if (written.Transferred != b.Length) throw new InvalidOperationException($"edu BAR0 write 0x{register:x}: {written}");
        }

        using var waiter = new EventFdWaiter();
        using var kernelFd = VfioEventFd.Create();
        using var mock = MockDevices.OpenBuiltIn("edu", s_kernel);
        using var mockFd = VfioEventFd.Create();
        var mockChannel = mock.MockChannel!;
        ulong KernelSignals(double seconds) => waiter.WaitOnce(new[] { kernelFd }, TimeSpan.FromSeconds(seconds)).Sum(f => (long)f.Counter) is var n ? (ulong)n : 0;
        byte[] Unmask() => VfioIrqSetCodec.EncodeNone(VfioIrqSetFlags.ActionUnmask, 0, 0, 1);

        var steps = new (string Name, Func<ulong> Kernel, Func<ulong> Mock)[]
        {
            ("enable INTx", () => { kernel.OpenChannel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, 0, 0, new[] { kernelFd.Fd })); return KernelSignals(0.2); },
                            () => { mock.OpenChannel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, 0, 0, new[] { mockFd.Fd })); return mockFd.Read(); }),
            ("device raises", () => { Reg(0x60, 1); return KernelSignals(3); }, () => { mockChannel.RaiseInterrupt(0, 0); return mockFd.Read(); }),
            ("device raises again while masked", () => { Reg(0x60, 2); return KernelSignals(0.5); }, () => { mockChannel.RaiseInterrupt(0, 0); return mockFd.Read(); }),
            ("UNMASK while the line is asserted", () => { kernel.OpenChannel.Ioctl(VfioIoctl.DeviceSetIrqs, Unmask()); return KernelSignals(3); }, () => { mock.OpenChannel.Ioctl(VfioIoctl.DeviceSetIrqs, Unmask()); return mockFd.Read(); }),
            ("device lowers (acknowledge), then UNMASK", () => { Reg(0x64, 3); kernel.OpenChannel.Ioctl(VfioIoctl.DeviceSetIrqs, Unmask()); return KernelSignals(0.5); },
                                                       () => { mockChannel.LowerIntx(); mock.OpenChannel.Ioctl(VfioIoctl.DeviceSetIrqs, Unmask()); return mockFd.Read(); }),
            ("device raises after unmask", () => { Reg(0x60, 1); return KernelSignals(3); }, () => { mockChannel.RaiseInterrupt(0, 0); return mockFd.Read(); }),
            ("acknowledge, UNMASK, disable", () => { Reg(0x64, 1); kernel.OpenChannel.Ioctl(VfioIoctl.DeviceSetIrqs, Unmask()); kernel.OpenChannel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeNone(VfioIrqSetFlags.ActionTrigger, 0, 0, 0)); return KernelSignals(0.2); },
                                             () => { mockChannel.LowerIntx(); mock.OpenChannel.Ioctl(VfioIoctl.DeviceSetIrqs, Unmask()); mock.OpenChannel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeNone(VfioIrqSetFlags.ActionTrigger, 0, 0, 0)); return mockFd.Read(); }),
        };
        foreach (var (name, onKernel, onMock) in steps)
        {
            ulong k = onKernel(), m = onMock();
            s_rows.Add($"{Truncate("edu hardware INTx: " + name, 58),-58} {bdf,-12} {"signals " + k,-14} {"signals " + m,-14} -");
            Check(bdf, "edu hardware INTx: " + name, k == m, $"kernel {k} signals, mock {m}");
        }
    }

    /// <summary>
    /// Two devices of one IOMMU group share one group fd and container: both open at once, the group node is open
    /// once, closing one leaves the other working, and the last close releases the group and the container.
    /// </summary>
    private static void GroupSharing(IReadOnlyList<(string Bdf, string Group)> devices)
    {
        var pair = devices.GroupBy(d => d.Group).FirstOrDefault(g => g.Count() >= 2)?.Take(2).ToArray();
        if (pair is null)
        {
            Fail("lane", "no IOMMU group with two devices: run-lane.sh adds one (edu +edu)");
            return;
        }
        string groupNode = "/dev/vfio/" + pair[0].Group;
        int GroupFds() => OpenFdTargets().Count(t => t == groupNode);
        int ContainerFds() => OpenFdTargets().Count(t => t == "/dev/vfio/vfio");
        var first = KernelDevices.Open(pair[0].Bdf);
        var second = KernelDevices.Open(pair[1].Bdf);
        Check(pair[1].Bdf, $"two devices of group {pair[0].Group} open at once share one group fd and one container", GroupFds() == 1 && ContainerFds() == 1,
            $"{GroupFds()} fds on {groupNode}, {ContainerFds()} on /dev/vfio/vfio");
        first.Dispose();
        bool stillWorks = IrqInfoReader.Read(second, 0).Info.Supported;
        Check(pair[1].Bdf, "closing one device of the group leaves the other working and the group open", stillWorks && GroupFds() == 1, $"{GroupFds()} group fds");
        second.Dispose();
        Check(pair[1].Bdf, "the last close releases the group and the container", GroupFds() == 0 && ContainerFds() == 0, $"{GroupFds()} group fds, {ContainerFds()} container fds");
        NotViable(pair);
    }

    /// <summary>
    /// A group with a device on a host driver is not viable: bind the second function of the shared group to
    /// uio_pci_generic, expect Open-VfioDevice's error to name it, then give it back to vfio-pci.
    /// </summary>
    private static void NotViable((string Bdf, string Group)[] pair)
    {
        string other = pair[1].Bdf, sysfs = "/sys/bus/pci/devices/" + other;
        void Write(string file, string text) => File.WriteAllText(file, text);
        try
        {
            Write(sysfs + "/driver/unbind", other);
            Write(sysfs + "/driver_override", "uio_pci_generic");
            Write("/sys/bus/pci/drivers_probe", other);
            string? driver = new DirectoryInfo(sysfs + "/driver").LinkTarget is string t ? Path.GetFileName(t) : null;
            if (driver != "uio_pci_generic")
            {
                Fail(other, $"could not bind to uio_pci_generic for the not-viable check (driver: {driver ?? "none"})");
                return;
            }
            try
            {
                using var device = KernelDevices.Open(pair[0].Bdf);
                Fail(pair[0].Bdf, "opened although its group is not viable");
            }
            catch (VfioException e)
            {
                Check(pair[0].Bdf, "a group with a device on a host driver is not viable, and the error names it",
                    e.ErrorId == "VfioGroupNotViable" && e.Message.Contains(other, StringComparison.Ordinal) && e.Message.Contains("uio_pci_generic", StringComparison.Ordinal),
                    $"{e.ErrorId}: {e.Message}");
            }
        }
        finally
        {
            try
            {
                if (Directory.Exists(sysfs + "/driver")) Write(sysfs + "/driver/unbind", other);
                Write(sysfs + "/driver_override", "vfio-pci");
                Write("/sys/bus/pci/drivers_probe", other);
            }
            catch (IOException e)
            {
                Fail(other, "could not give the device back to vfio-pci: " + e.Message);
            }
        }
    }

    /// <summary>Rows the VM cannot produce, run on the mock only and listed with why.</summary>
    private static void MockOnlyRows()
    {
        using var channel = new MockDeviceChannel(MockProfileReader.LoadBuiltIn("e1000e"));
        var shortBuffer = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(shortBuffer, 64);
        var efault = channel.Ioctl(VfioIoctl.DeviceGetIrqInfo, shortBuffer);
        s_rows.Add($"{"mock-only: argsz 64 in a 20-byte buffer",-58} {"e1000e",-12} {"-",-14} {efault.Errno,-14} the seam passes the buffer; a VM call cannot fault on purpose");
        Check("mock", "argsz past the buffer is EFAULT", efault.Errno == Errno.EFAULT, efault.ToString());

        const string cappedProfile = "{ \"name\": \"capped\", \"device\": { \"flags\": [\"Pci\"], \"numRegions\": 9, \"numIrqs\": 5 }, "
            + "\"irqs\": [ { \"index\": 2, \"flags\": [\"EventFd\", \"NoResize\"], \"count\": 8, \"platformVectors\": 4 } ] }";
        using var capped = new MockDeviceChannel(MockProfileReader.Parse(cappedProfile, "lane"));
        var partial = capped.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, 2, 0, new[] { -1, -1, -1, -1, -1, -1 }));
        s_rows.Add($"{"mock-only: MSI-X 6 vectors, platform has 4",-58} {"capped",-12} {"-",-14} {partial.ReturnValue,-14} QEMU's emulated devices always get the vectors they ask for");
        Check("mock", "partial MSI-X allocation answers the positive count", partial.ReturnValue == 4, partial.ToString());
        s_rows.Add($"{"not run: ioctls on a cdev fd before BIND_IOMMUFD",-58} {"-",-12} {"-",-14} {"-",-14} Debian's 6.1 and 6.12 build no VFIO device cdev (CONFIG_VFIO_DEVICE_CDEV off); the group path is used");
    }

    /// <summary>GET_IRQ_INFO with argsz 20 on a kernel without the extension: no caps flag, nothing past byte 16.</summary>
    private static void CompatibilityRule(VfioDevice kernel)
    {
        for (uint i = 0; i < kernel.NumIrqs; i++)
        {
            var buffer = new byte[20];
            buffer.AsSpan().Fill(0xAA);
            VfioIrqInfoCodec.Encode(buffer.AsSpan(0, 16), new VfioIrqInfoData(20, 0, i, 0, null));
            var result = kernel.OpenChannel.Ioctl(VfioIoctl.DeviceGetIrqInfo, buffer);
            if (result.IsError) continue;
            var data = VfioIrqInfoCodec.Decode(buffer.AsSpan(0, 16));
            Check(kernel.Name, $"argsz 20 on index {i}: no caps flag, argsz kept, bytes 16..19 untouched",
                (data.Flags & VfioIrqFlags.Caps) == 0 && data.Argsz == 20 && buffer.Skip(16).All(b => b == 0xAA),
                Convert.ToHexString(buffer));
        }
    }

    /// <summary>One side of the comparison: a channel and a pool of eventfds of its own (same positions, other fds).</summary>
    private sealed class Side : IDisposable
    {
        public Side(string name, IVfioDeviceChannel channel)
        {
            Name = name;
            Channel = channel;
            Pool = Enumerable.Range(0, 8).Select(_ => FileDescriptors.CreateEventFd()).ToArray();
            _notAnEventFd = File.OpenHandle("/dev/null");
        }

        /// <summary>The token of an open fd that is no eventfd (this side's /dev/null): eventfd_ctx_fdget refuses it with EINVAL.</summary>
        public const int NotAnEventFd = 100;

        private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _notAnEventFd;

        public string Name { get; }
        public IVfioDeviceChannel Channel { get; }
        public SafeFileDescriptorHandle[] Pool { get; }

        // Pool positions become this side's fds, NotAnEventFd its /dev/null; anything else (-1, -2, 12345) is sent as is.
        public int Fd(int token) => token >= 0 && token < Pool.Length ? Pool[token].Fd : token == NotAnEventFd ? (int)_notAnEventFd.DangerousGetHandle() : token;

        public ulong[] ReadCounters() => Pool.Select(FileDescriptors.ReadCounter).ToArray();

        public void Dispose()
        {
            foreach (var fd in Pool) fd.Dispose();
            _notAnEventFd.Dispose();
        }
    }

    /// <summary>A request built per side: eventfd tokens (pool positions, or raw negative/bogus numbers) become that side's fds.</summary>
    private delegate byte[] Build(Side side);

    /// <summary>What one request gave on each side: whether the two were the same, both answers, and both eventfd pools' counters read after it.</summary>
    private sealed record SeamAnswer(bool Same, IoctlResult Kernel, IoctlResult Mock, ulong[] KernelFired, ulong[] MockFired);

    /// <summary>
    /// One request, built per side, on the kernel's channel and on the mock's: the return value, the errno, the bytes
    /// left in the buffer (SET_IRQS: the 20-byte header, the payload carries each side's own fds) and which eventfds of
    /// each side's pool fired must be identical. A difference fails with the request and both answers; the row goes
    /// into the table unless <paramref name="listed"/> is false (then only a differing one does).
    /// </summary>
    private static SeamAnswer SameAtSeam(string device, string name, Side kernel, Side mock, uint request, Build build, bool listed = true)
    {
        var kb = build(kernel);
        var mb = build(mock);
        string sent = Convert.ToHexString(kb);
        var kr = kernel.Channel.Ioctl(request, kb);
        var mr = mock.Channel.Ioctl(request, mb);
        var kc = kernel.ReadCounters();
        var mc = mock.ReadCounters();
        bool bytesEqual = request == VfioIoctl.DeviceSetIrqs ? kb.AsSpan(0, Math.Min(20, kb.Length)).SequenceEqual(mb.AsSpan(0, Math.Min(20, mb.Length))) : kb.AsSpan().SequenceEqual(mb);
        bool same = kr == mr && bytesEqual && kc.SequenceEqual(mc);
        static string Show(IoctlResult r) => r.IsError ? r.Errno.ToString() : r.ReturnValue.ToString();
        string fired = kc.Any(c => c > 0) || mc.Any(c => c > 0) ? $" fired k[{string.Join(",", kc)}] m[{string.Join(",", mc)}]" : "";
        if (listed || !same)
            s_rows.Add($"{Truncate(name, 58),-58} {device,-12} {Show(kr),-14} {Show(mr),-14} {(bytesEqual ? "same" : "DIFFER " + Convert.ToHexString(kb) + " / " + Convert.ToHexString(mb))}{fired}");
        Check(device, "fidelity: " + name, same,
            $"request 0x{request:x} {sent}; kernel {Show(kr)} {Convert.ToHexString(kb)}; mock {Show(mr)} {Convert.ToHexString(mb)}{fired}");
        return new SeamAnswer(same, kr, mr, kc, mc);
    }

    /// <summary>A SET_IRQS header in a buffer of max(20 + extra, argsz) bytes (argsz capped at 4096), the payload zero.</summary>
    private static byte[] Header(uint argsz, uint flags, uint index, uint start, uint count, int extra = 0)
    {
        var b = new byte[Math.Max(20 + extra, (int)Math.Min(argsz, 4096))];
        VfioIrqSetCodec.EncodeHeader(b, new VfioIrqSetHeader(argsz, (VfioIrqSetFlags)flags, index, start, count));
        return b;
    }

    /// <summary>SET_IRQS with DATA_EVENTFD: eventfd tokens become each side's fds (see <see cref="Side.Fd"/>).</summary>
    private static Build Fds(VfioIrqSetFlags action, uint index, uint start, params int[] tokens)
        => side => VfioIrqSetCodec.EncodeEventFds(action, index, start, tokens.Select(side.Fd).ToArray());

    private static Build None(VfioIrqSetFlags action, uint index, uint start, uint count) => _ => VfioIrqSetCodec.EncodeNone(action, index, start, count);

    private static Build Bools(VfioIrqSetFlags action, uint index, uint start, params bool[] values) => _ => VfioIrqSetCodec.EncodeBool(action, index, start, values);

    private static void Fidelity(string bdf, VfioDevice kernelDevice, VfioDevice mockDevice)
    {
        using var kernel = new Side("kernel", kernelDevice.OpenChannel);
        using var mock = new Side("mock", mockDevice.OpenChannel);
        uint numIrqs = kernelDevice.NumIrqs;
        uint Count(uint index) => IrqInfoReader.Read(kernelDevice, index).Info.Count;
        uint msixCount = Count(2);

        void Same(string name, uint request, Build build) => SameAtSeam(bdf, name, kernel, mock, request, build);

        void Reset()
        {
            foreach (var side in new[] { kernel, mock })
            {
                for (uint i = 0; i < Math.Min(numIrqs, 3u); i++) side.Channel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeNone(VfioIrqSetFlags.ActionTrigger, i, 0, 0));
                for (uint i = 3; i < Math.Min(numIrqs, 5u); i++) side.Channel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, i, 0, new[] { -1 }));
                side.ReadCounters();
            }
        }

        const VfioIrqSetFlags T = VfioIrqSetFlags.ActionTrigger, M = VfioIrqSetFlags.ActionMask, U = VfioIrqSetFlags.ActionUnmask;
        uint set = VfioIoctl.DeviceSetIrqs, irqInfo = VfioIoctl.DeviceGetIrqInfo, info = VfioIoctl.DeviceGetInfo;

        // GET_INFO and GET_IRQ_INFO at every argsz the ABI notes measured, every index and past the end.
        foreach (uint argsz in new uint[] { 8, 16, 20, 24, 64 })
            Same($"GET_INFO argsz {argsz}", info, _ => { var b = new byte[Math.Max(16, argsz)]; b.AsSpan().Fill(0xAA); BinaryPrimitives.WriteUInt32LittleEndian(b, argsz); return b; });
        foreach (uint index in Enumerable.Range(0, (int)numIrqs + 1).Select(i => (uint)i).Append(0xffffffffu))
            foreach (uint argsz in new uint[] { 8, 12, 16, 20, 64 })
                Same($"GET_IRQ_INFO index {index} argsz {argsz}", irqInfo, _ =>
                {
                    var b = new byte[Math.Max(20, argsz)];
                    b.AsSpan().Fill(0xAA);
                    BinaryPrimitives.WriteUInt32LittleEndian(b, argsz);
                    BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), index);
                    return b;
                });

        // GET_REGION_INFO on every index up to num_regions+1 and 0xffffffff, at every argsz from 0 to 64 and at the
        // size the device asked for, in a buffer of max(32, argsz) bytes plus 16 guard bytes, all 0xAA but argsz and
        // index: what is written, what is left as passed (cap_offset without a chain) and that nothing lands past argsz.
        uint regionInfo = VfioIoctl.DeviceGetRegionInfo;
        foreach (uint index in Enumerable.Range(0, (int)kernelDevice.NumRegions + 2).Select(i => (uint)i).Append(0xffffffffu))
        {
            Build Region(uint argsz) => _ =>
            {
                var b = new byte[Math.Max(32, (int)argsz) + 16];
                b.AsSpan().Fill(0xAA);
                BinaryPrimitives.WriteUInt32LittleEndian(b, argsz);
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), index);
                return b;
            };
            for (uint argsz = 0; argsz <= 64; argsz++) Same($"GET_REGION_INFO index {index} argsz {argsz}", regionInfo, Region(argsz));
            var probe = Region(32)(kernel);
            if (!kernel.Channel.Ioctl(regionInfo, probe).IsError && BinaryPrimitives.ReadUInt32LittleEndian(probe) is uint asked and > 32)
                Same($"GET_REGION_INFO index {index} retry argsz {asked}", regionInfo, Region(asked));
        }

        // vfio-abi.md §2.8 and §7, one by one from a clean state.
        Reset(); Same("SET_IRQS two data types", set, _ => Header(20, 0x23, 2, 0, 0));
        Reset(); Same("SET_IRQS unknown flag bit 6", set, _ => Header(20, 0x61, 2, 0, 0));
        Reset(); Same("SET_IRQS two actions", set, _ => Header(20, 0x29, 2, 0, 1));
        Reset(); Same("SET_IRQS no action", set, _ => Header(20, 0x01, 2, 0, 1));
        Reset(); Same("SET_IRQS index num_irqs", set, None(T, numIrqs, 0, 0));
        Reset(); Same("SET_IRQS MSI-X start = count", set, None(T, 2, msixCount, 1));
        Reset(); Same("SET_IRQS MSI-X count + 1", set, None(T, 2, 0, msixCount + 1));
        Reset(); Same("SET_IRQS INTx start 1", set, None(T, 0, 1, 1));
        Reset(); Same("SET_IRQS start 0xffffffff count 2", set, None(T, 2, 0xffffffff, 2));
        Reset(); Same("SET_IRQS EVENTFD argsz 20", set, _ => Header(20, 0x24, 1, 0, 1, extra: 4));
        Reset(); Same("SET_IRQS EVENTFD argsz 16", set, _ => Header(16, 0x24, 1, 0, 1, extra: 4));
        Reset(); Same("SET_IRQS eventfd 12345 on MSI", set, Fds(T, 1, 0, 12345));
        Reset(); Same("SET_IRQS MSI TRIGGER|NONE, MSI off", set, None(T, 1, 0, 1));
        Reset(); Same("SET_IRQS MSI-X MASK", set, None(M, 2, 0, 1));
        Reset(); Same("SET_IRQS MSI-X UNMASK", set, None(U, 2, 0, 1));
        Reset(); Same("SET_IRQS disable INTx while off", set, None(T, 0, 0, 0));
        Reset(); Same("SET_IRQS ERR/REQ index 3 NONE, no trigger", set, None(T, 3, 0, 1));
        Reset(); Same("SET_IRQS REQ NONE, no trigger", set, None(T, 4, 0, 1));

        // State sequences: enable, loop back, switch type, disable.
        Reset();
        int vectors = (int)Math.Min(msixCount, 8);
        Same($"MSI-X bind {vectors} vectors", set, Fds(T, 2, 0, Enumerable.Range(0, vectors).ToArray()));
        for (uint v = 0; v < vectors; v++) Same($"MSI-X loopback vector {v}", set, None(T, 2, v, 1));
        if (vectors > 0)
        {
            Same("MSI-X BOOL loopback 1,0,...", set, Bools(T, 2, 0, Enumerable.Range(0, vectors).Select(i => i % 2 == 0).ToArray()));
            Same("MSI eventfd while MSI-X on", set, Fds(T, 1, 0, 0));
            Same("INTx eventfd while MSI-X on", set, Fds(T, 0, 0, 0));
            Same("MSI-X de-assign vector 0", set, Fds(T, 2, 0, -1));
            Same("MSI-X loopback all after de-assign", set, None(T, 2, 0, (uint)vectors));
            Same("MSI-X disable", set, None(T, 2, 0, 0));
            Same("MSI-X loopback after disable", set, None(T, 2, 0, 1));
        }
        // Vectors added to an enabled MSI-X index: refused with NORESIZE (6.1), allocated on demand without it (dynamic
        // MSI-X, 6.5 on); and the range checks 6.1 makes against the vectors allocated at enable, which later kernels
        // make per vector.
        if (msixCount >= 3)
        {
            Reset();
            Same("MSI-X enable with vectors 0-1", set, Fds(T, 2, 0, 0, 1));
            Same("MSI-X add vector 2 to the enabled index", set, Fds(T, 2, 2, 2));
            Same("MSI-X loopback vector 2 after adding it", set, None(T, 2, 2, 1));
            Same("MSI-X loopback past the allocated vectors", set, None(T, 2, 0, msixCount));
            Same("MSI-X EVENTFD count 0 past the allocated vectors", set, _ => Header(20, 0x24, 2, msixCount - 1, 0));
            Same("MSI-X de-assign a vector never allocated", set, Fds(T, 2, msixCount - 1, -1));
            Reset();
            Same("MSI-X EVENTFD start 2 count 0 while off", set, _ => Header(20, 0x24, 2, 2, 0));
            Same("MSI-X loopback after that", set, None(T, 2, 0, 2));
        }
        Reset();
        Same("INTx bind", set, Fds(T, 0, 0, 0));
        Same("INTx loopback", set, None(T, 0, 0, 1));
        Same("INTx loopback again (no unmask)", set, None(T, 0, 0, 1));
        Same("INTx mask", set, None(M, 0, 0, 1));
        Same("INTx loopback while masked", set, None(T, 0, 0, 1));
        Same("INTx MASK|EVENTFD", set, Fds(M, 0, 0, 1));
        Same("INTx unmask", set, None(U, 0, 0, 1));
        Same("MSI eventfd while INTx on", set, Fds(T, 1, 0, 1));
        Same("INTx disable", set, None(T, 0, 0, 0));
        Reset();
        Same("MSI bind vector 0", set, Fds(T, 1, 0, 2));
        Same("MSI loopback", set, None(T, 1, 0, 1));
        Same("MSI rebind to another eventfd", set, Fds(T, 1, 0, 3));
        Same("MSI loopback after rebind", set, None(T, 1, 0, 1));
        Same("MSI disable", set, None(T, 1, 0, 0));
        foreach (uint single in new uint[] { 3, 4 })
        {
            Reset();
            Same($"index {single} bind", set, Fds(T, single, 0, 4));
            Same($"index {single} NONE count 1", set, None(T, single, 0, 1));
            Same($"index {single} BOOL 1", set, Bools(T, single, 0, true));
            Same($"index {single} BOOL count 0", set, _ => Header(20, 0x22, single, 0, 0));
            Same($"index {single} fd -2", set, Fds(T, single, 0, -2));
            Same($"index {single} NONE count 0 releases", set, None(T, single, 0, 0));
            Same($"index {single} NONE after release", set, None(T, single, 0, 1));
        }

        // Seeded random headers, the same on both sides, so that no list of known cases could pass in place of rules.
        Reset();
        var random = new Random(20261123);
        for (int n = 0; n < 300; n++)
        {
            uint flags = random.Next(10) == 0 ? (uint)random.Next(0x80) : (uint)((1 << random.Next(3)) | (8 << random.Next(3)));
            uint index = random.Next(12) == 0 ? (uint)random.Next(5, 100) : (uint)random.Next((int)numIrqs + 1);
            uint count = random.Next(10) == 0 ? (uint)random.Next() : (uint)random.Next(0, 10);
            uint start = random.Next(10) == 0 ? (uint)random.Next() : (uint)random.Next(0, 10);
            int size = VfioIrqSetCodec.ElementSize((VfioIrqSetFlags)flags);
            int payload = size <= 0 || count > 64 ? 0 : (int)count * size;
            int slack = random.Next(4) == 0 ? -random.Next(1, 5) : 0;
            uint argsz = (uint)Math.Max(0, 20 + payload + slack);
            var tokens = Enumerable.Range(0, payload / 4).Select(_ => random.Next(8) switch { 0 => -1, 1 => 12345, 2 => -2, _ => random.Next(8) }).ToArray();
            var bools = Enumerable.Range(0, payload).Select(_ => (byte)random.Next(2)).ToArray();
            Same($"random #{n}: flags 0x{flags:x2} index {index} start {start} count {count} argsz {argsz}", set, side =>
            {
                var b = Header(argsz, flags, index, start, count, payload);
                if (size == 4) for (int i = 0; i < tokens.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(20 + i * 4), side.Fd(tokens[i]));
                else if (size == 1) bools.CopyTo(b, 20);
                return b;
            });
        }
        for (int n = 0; n < 100; n++)
        {
            uint index = (uint)random.Next((int)numIrqs + 2);
            uint argsz = (uint)random.Next(0, 40);
            Same($"random GET_IRQ_INFO #{n}: index {index} argsz {argsz}", irqInfo, _ =>
            {
                var b = new byte[Math.Max(20, argsz)];
                b.AsSpan().Fill(0x5A);
                BinaryPrimitives.WriteUInt32LittleEndian(b, argsz);
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), index);
                return b;
            });
        }
        Reset();

        // Reset and hot-reset scope: GET_PCI_HOT_RESET_INFO at every argsz from 0 to 32 (EINVAL below 12; on the
        // root bus ENODEV; behind the root port ENOSPC with the count until the entries fit), with 8 poisoned bytes past
        // argsz that neither side may touch; the reader's ENOSPC retry; then VFIO_DEVICE_RESET (last: it resets the
        // function; the IRQ triggers stay, see DeviceResetter).
        uint hotInfo = VfioIoctl.DeviceGetPciHotResetInfo;
        for (uint argsz = 0; argsz <= 32; argsz++)
            Same($"GET_PCI_HOT_RESET_INFO argsz {argsz}", hotInfo, _ =>
            {
                var b = new byte[Math.Max(12, argsz) + 8];
                b.AsSpan().Fill(0xAA);
                BinaryPrimitives.WriteUInt32LittleEndian(b, argsz);
                return b;
            });
        var kernelScope = HotResetInfoReader.Read(kernelDevice);
        var mockScope = HotResetInfoReader.Read(mockDevice);
        string Show(HotResetInfo i) => i.Available ? string.Join(", ", i.Devices.Select(d => $"{d.Address} group {d.GroupIdOrDevId}")) + $" flags {i.Flags}" : "no slot or bus reset";
        Check(bdf, "hot-reset scope through the reader (ENOSPC retry) equals the mock's", Show(kernelScope) == Show(mockScope),
            $"kernel {Show(kernelScope)}; mock {Show(mockScope)}");
        s_rows.Add($"{"hot-reset scope (reader, with the ENOSPC retry)",-58} {bdf,-12} {Truncate(Show(kernelScope), 14),-14} {Truncate(Show(mockScope), 14),-14} {(Show(kernelScope) == Show(mockScope) ? "same" : "DIFFER")}");
        Same("RESET", VfioIoctl.DeviceReset, _ => Array.Empty<byte>());
        Same("RESET again", VfioIoctl.DeviceReset, _ => Array.Empty<byte>());
    }

    /// <summary>The module's region reader on the real driver and on the mock: the same typed answer for every index.</summary>
    private static void RegionsRead(string bdf, VfioDevice kernel, VfioDevice mock)
    {
        static string Show(RegionInfoResult r) => $"{r.Info.Name} size 0x{r.Info.Size:x} offset 0x{r.Info.Offset:x} flags {r.Info.Flags} " +
            $"supported {r.Info.Supported} msix-mappable {r.Info.MsixMappable} caps [{string.Join(" ", r.Info.Capabilities.Select(c => $"{c.Id}v{c.Version}@{c.Offset}:{Convert.ToHexString(c.Data)}"))}] fault {r.Fault?.Kind.ToString() ?? "none"}";
        for (uint i = 0; i < kernel.NumRegions; i++)
        {
            string k = Show(RegionInfoReader.Read(kernel, i)), m = Show(RegionInfoReader.Read(mock, i));
            s_rows.Add($"{Truncate($"Get-VfioRegion reader: region {i}", 58),-58} {bdf,-12} {(k == m ? "same" : "DIFFER"),-14} {"",-14} {k}");
            Check(bdf, $"region reader: region {i} reads the same on the kernel and the mock", k == m, $"kernel {k}; mock {m}");
        }
    }

    /// <summary>The module's operations on the real driver: loopback on every vector, and /proc/interrupts vs the record.</summary>
    private static void Loopback(string bdf, VfioDevice device)
    {
        using var waiter = new EventFdWaiter();
        foreach (uint index in IrqInfoReader.AllIndexes(device))
        {
            var info = IrqInfoReader.Read(device, index).Info;
            if (!info.Supported || info.Count == 0) continue;
            uint vectors = Math.Min(info.Count, 64);
            var fds = Enumerable.Range(0, (int)vectors).Select(_ => VfioEventFd.Create()).ToArray();
            try
            {
                IrqSetter.Apply(device, info.Name, new IrqSetRequest(index, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 0, vectors, EventFds: fds.Select(f => f.Fd).ToArray()));
                CheckProcInterrupts(bdf, device, index, info.Name, expected: ExpectedLines(index, vectors));
                for (uint v = 0; v < vectors; v++)
                {
                    IrqSetter.Apply(device, info.Name, new IrqSetRequest(index, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, v, 1));
                    var fired = waiter.WaitOnce(fds, TimeSpan.FromSeconds(5));
                    Check(bdf, $"loopback {info.Name} vector {v}: only eventfd {v} fired, counter 1",
                        fired.Count == 1 && fired[0].EventFd == fds[v].Fd && fired[0].Counter == 1,
                        string.Join(", ", fired.Select(f => $"fd {f.EventFd}={f.Counter}")));
                }
                IrqSetter.Apply(device, info.Name, new IrqSetRequest(index, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 0, 0));
                Check(bdf, $"{info.Name} disabled in the module's record", !device.IrqRecord.IsEnabled(index), "record says enabled");
                CheckProcInterrupts(bdf, device, index, info.Name, expected: 0);
            }
            catch (VfioException e)
            {
                Fail(bdf, $"loopback {info.Name}: {e.ErrorId}: {e.Message}");
            }
            finally
            {
                foreach (var f in fds) f.Dispose();
            }
        }
    }

    /// <summary>The VFIO and eventfd fds this process has open (the runtime's own mappings and pipes come and go).</summary>
    private static List<string> OpenFdTargets()
        => Directory.GetFiles("/proc/self/fd")
            .Select(f => { try { return new FileInfo(f).LinkTarget ?? "?"; } catch (IOException) { return "?"; } })
            .Where(t => t.StartsWith("/dev/vfio", StringComparison.Ordinal) || t.StartsWith("anon_inode:", StringComparison.Ordinal))
            .ToList();

    private static int ExpectedLines(uint index, uint vectors) => index switch { 0 => 1, 1 or 2 => (int)vectors, _ => 0 };

    private static void CheckProcInterrupts(string bdf, VfioDevice device, uint index, string name, int expected)
    {
        if (index > 2) return; // ERR and REQ have no host interrupt line.
        string kind = index switch { 0 => "vfio-intx", 1 => "vfio-msi", _ => "vfio-msix" };
        int lines = File.ReadAllLines("/proc/interrupts").Count(l => Regex.IsMatch(l, $@"{Regex.Escape(kind)}(\[\d+\])?\({Regex.Escape(bdf)}\)"));
        bool recorded = device.IrqRecord.IsEnabled(index);
        Check(bdf, $"/proc/interrupts has {expected} {kind} line(s) for {name}; record {(expected > 0 ? "enabled" : "disabled")}",
            lines == expected && recorded == (expected > 0), $"{lines} lines, record enabled={recorded}");
    }

    private static void Check(string device, string what, bool ok, string detail)
    {
        if (ok) s_passed++;
        else Fail(device, what + " — " + detail);
    }

    /// <summary>Where failures go instead of the console while a self-test counts them (see SeedMdevSelfTest).</summary>
    private static List<string>? s_failureSink;

    private static void Fail(string device, string what)
    {
        if (s_failureSink is { } sink)
        {
            sink.Add($"FAIL {device}: {what}");
            return;
        }
        s_failed++;
        Console.WriteLine($"FAIL {device}: {what}");
    }

    private static string Truncate(string text, int width) => text.Length <= width ? text : text.Substring(0, width - 1) + "…";
}
