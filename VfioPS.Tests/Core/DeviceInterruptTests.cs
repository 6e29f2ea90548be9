using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using CsCheck;
using VfioPS.Kernel;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>/proc/interrupts as Debian's 6.1 kernel writes it in the lane's q35 guest (two CPUs), with vfio-pci handlers.</summary>
internal static class ProcInterruptsText
{
    public const string Header = "           CPU0       CPU1       \n";

    public static string Lines(params string[] lines) => Header + string.Join("\n", lines) + "\n";

    public const string Timer = "  0:         48          0   IO-APIC   2-edge      timer";
    public const string Serial = "  4:          0        221   IO-APIC   4-edge      ttyS0";
    public const string EduIntx = " 11:          3          1  IR-IO-APIC   11-fasteoi   vfio-intx(0000:00:11.0)";
    public const string SharedIntx = " 10:          7          2  IR-IO-APIC   10-fasteoi   virtio0, vfio-intx(0000:00:11.0)";
    public const string EduMsi = " 26:          5          2  IR-PCI-MSI 180224-edge      vfio-msi[0](0000:00:11.0)";
    public const string NicMsix0 = " 27:          0         10  IR-PCI-MSI 163840-edge      vfio-msix[0](0000:00:10.0)";
    public const string NicMsix4 = " 31:          1          0  IR-PCI-MSI 163844-edge      vfio-msix[4](0000:00:10.0)";
    public const string Arch = "NMI:          0          0   Non-maskable interrupts\nLOC:      25370      24000   Local timer interrupts\nERR:          0\nMIS:          0";
}

public sealed class ProcInterruptsParserTests
{
    [Fact]
    public void ReadsCpusFromTheHeaderAndEachLinesCountsChipAndHandlers()
    {
        var lines = ProcInterruptsParser.Parse(ProcInterruptsText.Lines(ProcInterruptsText.Timer, ProcInterruptsText.EduMsi, ProcInterruptsText.Arch));
        Assert.Equal(new[] { 0, 26 }, lines.Select(l => l.Irq));
        var msi = lines[1];
        Assert.Equal(new[] { 0, 1 }, msi.Cpus);
        Assert.Equal(new ulong[] { 5, 2 }, msi.Counts);
        Assert.Equal(7UL, msi.Total);
        Assert.Equal("IR-PCI-MSI 180224-edge", msi.Chip);
        Assert.Equal(new[] { "vfio-msi[0](0000:00:11.0)" }, msi.Actions);
        Assert.Equal("IO-APIC 2-edge", lines[0].Chip);
        Assert.Equal(new[] { "timer" }, lines[0].Actions);
    }

    [Fact]
    public void ASharedLineListsEveryHandlerInOrder()
    {
        var line = Assert.Single(ProcInterruptsParser.Parse(ProcInterruptsText.Lines(ProcInterruptsText.SharedIntx)));
        Assert.Equal(new[] { "virtio0", "vfio-intx(0000:00:11.0)" }, line.Actions);
        Assert.Equal("IR-IO-APIC 10-fasteoi", line.Chip);
    }

    [Fact]
    public void HandlerNamesWithSpacesStayWhole()
    {
        // "PCIe PME" has a space in its name; the handlers begin after the last run of two spaces.
        var line = Assert.Single(ProcInterruptsParser.Parse(ProcInterruptsText.Lines(" 24:          0          0  PCI-MSI 16384-edge      PCIe PME, pciehp")));
        Assert.Equal(new[] { "PCIe PME", "pciehp" }, line.Actions);
    }

    [Fact]
    public void ALineWithoutHandlersHasNone()
    {
        var line = Assert.Single(ProcInterruptsParser.Parse(ProcInterruptsText.Lines("  7:          1          0   IO-APIC   7-fasteoi")));
        Assert.Empty(line.Actions);
        Assert.Equal("IO-APIC 7-fasteoi", line.Chip);
    }

    [Fact]
    public void ManyCpusAreCountedFromTheHeader()
    {
        const int cpus = 256;
        var text = new StringBuilder("     ");
        for (int cpu = 0; cpu < cpus; cpu++) text.Append($"CPU{cpu,-8}");
        text.Append("\n 98: ");
        for (int cpu = 0; cpu < cpus; cpu++) text.Append($"{cpu,10} ");
        text.Append(" IR-PCI-MSI 180224-edge      vfio-msix[3](0000:3b:00.0)\n");
        var line = Assert.Single(ProcInterruptsParser.Parse(text.ToString()));
        Assert.Equal(cpus, line.Counts.Length);
        Assert.Equal(Enumerable.Range(0, cpus), line.Cpus);
        Assert.Equal((ulong)(cpus * (cpus - 1) / 2), line.Total);
        Assert.Equal("vfio-msix[3](0000:3b:00.0)", Assert.Single(line.Actions));
    }

    [Fact]
    public void OfflineCpusAreMissingFromTheHeaderAndTheLines()
    {
        // CPU1 offline: the kernel prints only the online CPUs, in the header and in every line.
        var line = Assert.Single(ProcInterruptsParser.Parse("           CPU0       CPU2       CPU3\n 26:          5          6          7  IR-PCI-MSI 180224-edge      vfio-msi[0](0000:00:11.0)\n"));
        Assert.Equal(new[] { 0, 2, 3 }, line.Cpus);
        Assert.Equal(new ulong[] { 5, 6, 7 }, line.Counts);
    }

    [Fact]
    public void AHandlerWithANumericNameIsNotTakenForACount()
    {
        // Two CPUs in the header: the third number is the hardware IRQ, part of the chip text.
        var line = Assert.Single(ProcInterruptsParser.Parse(ProcInterruptsText.Lines(" 40:          1          2   3   4  IR-PCI-MSI 5-edge      vfio-msi[0](0000:00:11.0)")));
        Assert.Equal(new ulong[] { 1, 2 }, line.Counts);
        Assert.Equal("3 4 IR-PCI-MSI 5-edge", line.Chip);
    }

    [Fact]
    public void WithoutAHeaderTheLeadingNumbersAreTheCounts()
    {
        var line = Assert.Single(ProcInterruptsParser.Parse(ProcInterruptsText.EduMsi + "\n"));
        Assert.Equal(new ulong[] { 5, 2 }, line.Counts);
        Assert.Equal(new[] { 0, 1 }, line.Cpus);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n\n")]
    [InlineData("           CPU0       CPU1\n")]
    [InlineData("           CPU0       CPU1\nNMI:          0          0   Non-maskable interrupts\n")]
    [InlineData("           CPU0       CPU1\n:  1 2\n-1:  1  2\n 99999999999: 1 2\nabc: 1 2\n")]
    public void TextWithoutIrqLinesGivesNoLines(string text) => Assert.Empty(ProcInterruptsParser.Parse(text));

    [Fact]
    public void ALineCutShortKeepsTheCountsItHas()
    {
        var line = Assert.Single(ProcInterruptsParser.Parse("           CPU0       CPU1       CPU2\n 26:          5\n"));
        Assert.Equal(new ulong[] { 5 }, line.Counts);
        Assert.Equal(new[] { 0 }, line.Cpus);
        Assert.Empty(line.Actions);
    }

    [Fact]
    public void CountsBeyond32BitsAreReadAndTotalsSaturate()
    {
        var line = Assert.Single(ProcInterruptsParser.Parse("  CPU0 CPU1\n 26: 18446744073709551615 5  chip  vfio-msi[0](0000:00:11.0)\n"));
        Assert.Equal(ulong.MaxValue, line.Counts[0]);
        Assert.Equal(ulong.MaxValue, line.Total);
    }

    /// <summary>Random text, and real text with random damage: the parser answers, never throws, and counts only what a header names.</summary>
    [Fact]
    public void AnyTextIsParsedWithoutAnException()
    {
        var real = ProcInterruptsText.Lines(ProcInterruptsText.Timer, ProcInterruptsText.Serial, ProcInterruptsText.SharedIntx, ProcInterruptsText.EduMsi,
            ProcInterruptsText.NicMsix0, ProcInterruptsText.NicMsix4, ProcInterruptsText.Arch);
        var alphabet = "0123456789 :,-()[]\n\tCPUvfio-msix[]intx.abcdefABCDEF\0\r\u00e9";
        Gen.Char[alphabet].Array[0, 400].Select(c => new string(c)).Sample(text => Check(text), iter: 2000);
        Gen.Select(Gen.Int[0, real.Length - 1], Gen.Int[0, 20], Gen.String[Gen.Char[alphabet], 0, 12], (at, cut, insert) =>
            real[..at] + insert + real[Math.Min(real.Length, at + cut)..]).Sample(text => Check(text), iter: 2000);

        static void Check(string text)
        {
            foreach (var line in ProcInterruptsParser.Parse(text))
            {
                Assert.Equal(line.Cpus.Length, line.Counts.Length);
                Assert.True(line.Irq >= 0);
                Assert.All(line.Actions, a => Assert.False(string.IsNullOrWhiteSpace(a)));
                _ = line.Total;
                foreach (string action in line.Actions) VfioIrqActionName.TryParse(action, out _, out _, out _);
            }
        }
    }
}

public sealed class VfioIrqActionNameTests
{
    [Theory]
    [InlineData("vfio-intx(0000:00:11.0)", 0u, 0, "0000:00:11.0")]
    [InlineData("vfio-msi[0](0000:00:11.0)", 1u, 0, "0000:00:11.0")]
    [InlineData("vfio-msix[31](0000:3b:00.1)", 2u, 31, "0000:3b:00.1")]
    public void ReadsVfioPciHandlerNames(string name, uint index, int vector, string address)
    {
        Assert.True(VfioIrqActionName.TryParse(name, out uint i, out int v, out string a));
        Assert.Equal((index, vector, address), (i, v, a));
        Assert.Equal(name, VfioIrqActionName.Format(i, v, a));
    }

    [Theory]
    [InlineData("virtio0")]
    [InlineData("vfio-intx(00:11.0)")]
    [InlineData("vfio-intx(0000:00:11.0")]
    [InlineData("vfio-msi(0000:00:11.0)")]
    [InlineData("vfio-msi[0(0000:00:11.0)")]
    [InlineData("vfio-msi[](0000:00:11.0)")]
    [InlineData("vfio-msi[-1](0000:00:11.0)")]
    [InlineData("vfio-msi[99999999999](0000:00:11.0)")]
    [InlineData("vfio-msi[01](0000:00:11.0)")] // found by fuzzing: %d never prints a leading zero
    [InlineData("vfio-msix[00](0000:00:11.0)")]
    [InlineData("vfio-msix[1\0](0000:00:11.0)")] // found by fuzzing: int.TryParse takes trailing NULs
    [InlineData("vfio-msix[1](0000:00:11.0) ")]
    [InlineData("vfio-msix[1](0000:00:1F.0)")]
    [InlineData("vfio-irq[0](fff51000.ethernet)")]
    [InlineData("vfio-msi[0]()")]
    [InlineData("")]
    public void RefusesOtherNames(string name) => Assert.False(VfioIrqActionName.TryParse(name, out _, out _, out _));
}

public sealed class HostInterruptFilesTests
{
    [Theory]
    [InlineData("0-3", new[] { 0, 1, 2, 3 })]
    [InlineData("0,2,5-6\n", new[] { 0, 2, 5, 6 })]
    [InlineData("1", new[] { 1 })]
    [InlineData("", new int[0])]
    public void ReadsCpuLists(string text, int[] cpus) => Assert.Equal(cpus, HostInterruptFiles.ParseCpuList(text));

    [Theory]
    [InlineData("3-1")]
    [InlineData("0-999999")]
    [InlineData("a")]
    [InlineData("0-7:2/4")]
    [InlineData("1,,2")]
    [InlineData(null)]
    public void RefusesWhatIsNotACpuList(string? text) => Assert.Null(HostInterruptFiles.ParseCpuList(text));
}

/// <summary>A fake /proc and sysfs with interrupts: /proc/interrupts, /proc/irq/&lt;n&gt;/ and msi_irqs/.</summary>
internal static class FakeInterrupts
{
    public static FakeHostTree Interrupts(this FakeHostTree tree, string text)
    {
        Directory.CreateDirectory(tree.Paths.ProcRoot);
        File.WriteAllText(tree.Paths.ProcInterrupts(), text);
        return tree;
    }

    public static FakeHostTree Affinity(this FakeHostTree tree, int irq, string list, string? effective = null)
    {
        Directory.CreateDirectory(tree.Paths.IrqDir(irq));
        File.WriteAllText(tree.Paths.IrqAffinityList(irq), list + "\n");
        if (effective is not null) File.WriteAllText(tree.Paths.IrqEffectiveAffinityList(irq), effective + "\n");
        return tree;
    }

    public static FakeHostTree MsiIrq(this FakeHostTree tree, string address, int irq, string mode)
    {
        Directory.CreateDirectory(tree.Paths.MsiIrqs(address));
        File.WriteAllText(Path.Combine(tree.Paths.MsiIrqs(address), irq.ToString()), mode + "\n");
        return tree;
    }
}

public sealed class VfioInterruptMonitorTests
{
    private static FakeHostTree Lane() => new FakeHostTree()
        .Device("0000:00:10.0", "8086:10d3", "020000", "vfio-pci", 4)
        .Device("0000:00:11.0", "1234:11e8", "00ff00", "vfio-pci", 5);

    [Fact]
    public void ReadsEachVectorWithItsIrqCountsAffinityAndMsiIrqsMode()
    {
        using var tree = Lane()
            .Interrupts(ProcInterruptsText.Lines(ProcInterruptsText.Timer, ProcInterruptsText.EduMsi, ProcInterruptsText.NicMsix0, ProcInterruptsText.NicMsix4))
            .Affinity(26, "0-1", "1").Affinity(27, "0-1")
            .MsiIrq("0000:00:11.0", 26, "msi").MsiIrq("0000:00:10.0", 27, "msix").MsiIrq("0000:00:10.0", 31, "msix");
        var snapshot = VfioInterruptMonitor.Read(tree.Paths, new[] { "0000:00:11.0", "0000:00:10.0" });
        var all = VfioInterruptMonitor.Describe(snapshot, null, 0, perCpu: true);
        Assert.Equal(new[] { ("0000:00:10.0", "MSI-X", (int?)0, 27), ("0000:00:10.0", "MSI-X", 4, 31), ("0000:00:11.0", "MSI", 0, 26) },
            all.Select(i => (i.Address, i.Name, i.Vector, i.Irq)));
        var msi = all[2];
        Assert.Equal(1u, msi.Index);
        Assert.Equal(7UL, msi.Count);
        Assert.Equal(new[] { "CPU0=5", "CPU1=2" }, msi.PerCpu!.Select(c => c.ToString()));
        Assert.Equal("vfio-msi[0](0000:00:11.0)", msi.Handler);
        Assert.False(msi.IsShared);
        Assert.Equal("msi", msi.MsiIrqsMode);
        Assert.Equal("0-1", msi.Affinity);
        Assert.Equal(new[] { 0, 1 }, msi.AffinityCpus);
        Assert.Equal("1", msi.EffectiveAffinity);
        Assert.Null(msi.Delta);
        Assert.Null(msi.Rate);
        Assert.Equal(0, msi.Sample);
        // IRQ 31 has no /proc/irq/31: no affinity, no error.
        Assert.Null(all[1].Affinity);
        Assert.Null(all[1].AffinityCpus);
        Assert.Null(all[1].EffectiveAffinity);
    }

    [Fact]
    public void WithoutPerCpuTheCountsAreOnlySummed()
    {
        using var tree = Lane().Interrupts(ProcInterruptsText.Lines(ProcInterruptsText.EduMsi));
        var one = Assert.Single(VfioInterruptMonitor.Describe(VfioInterruptMonitor.Read(tree.Paths, new[] { "0000:00:11.0" }), null, 0, perCpu: false));
        Assert.Null(one.PerCpu);
        Assert.Equal(7UL, one.Count);
        Assert.Null(one.MsiIrqsMode);
    }

    [Fact]
    public void ASharedIntxLineNamesTheOtherHandlers()
    {
        using var tree = Lane().Interrupts(ProcInterruptsText.Lines(ProcInterruptsText.SharedIntx));
        var intx = Assert.Single(VfioInterruptMonitor.Describe(VfioInterruptMonitor.Read(tree.Paths, new[] { "0000:00:11.0" }), null, 0, false));
        Assert.Equal(("INTx", 0u, (int?)0, 10), (intx.Name, intx.Index, intx.Vector, intx.Irq));
        Assert.True(intx.IsShared);
        Assert.Equal(new[] { "virtio0" }, intx.SharedWith);
    }

    [Fact]
    public void AnIntxLineOfItsOwnIsNotShared()
    {
        using var tree = Lane().Interrupts(ProcInterruptsText.Lines(ProcInterruptsText.EduIntx, ProcInterruptsText.Serial));
        var intx = Assert.Single(VfioInterruptMonitor.Describe(VfioInterruptMonitor.Read(tree.Paths, new[] { "0000:00:11.0" }), null, 0, false));
        Assert.False(intx.IsShared);
        Assert.Empty(intx.SharedWith);
        Assert.Null(intx.MsiIrqsMode);
    }

    [Fact]
    public void AllocatedVectorsWithoutAHandlerComeFromMsiIrqsAndHostDriverLinesAreLeftOut()
    {
        // vfio-pci enabled MSI-X vectors 0..2 (start+count) with an eventfd on vector 0 only; IRQ 29 counted once
        // before; IRQ 40 is in msi_irqs but its line has a host driver's handler (not a VFIO interrupt).
        using var tree = Lane()
            .Interrupts(ProcInterruptsText.Lines(ProcInterruptsText.NicMsix0, " 29:          1          0  IR-PCI-MSI 163842-edge", " 40:          9          9  IR-PCI-MSI 163850-edge      enp0s16-rx-0"))
            .MsiIrq("0000:00:10.0", 27, "msix").MsiIrq("0000:00:10.0", 28, "msix").MsiIrq("0000:00:10.0", 29, "msix").MsiIrq("0000:00:10.0", 40, "msix");
        var all = VfioInterruptMonitor.Describe(VfioInterruptMonitor.Read(tree.Paths, new[] { "0000:00:10.0" }), null, 0, false);
        Assert.Equal(new[] { ((int?)0, 27, 10UL, "vfio-msix[0](0000:00:10.0)"), (null, 28, 0UL, null), (null, 29, 1UL, null) },
            all.Select(i => (i.Vector, i.Irq, i.Count, i.Handler)));
        Assert.All(all, i => Assert.Equal("MSI-X", i.Name));
    }

    [Fact]
    public void ADeviceWithoutInterruptsHasNoReadingAndOtherDevicesAreLeftOut()
    {
        using var tree = Lane().Interrupts(ProcInterruptsText.Lines(ProcInterruptsText.NicMsix0));
        Assert.Empty(VfioInterruptMonitor.Read(tree.Paths, new[] { "0000:00:11.0" }).Readings);
    }

    [Fact]
    public void AMissingProcInterruptsIsAnErrorWithAnId()
    {
        using var tree = Lane();
        var e = Assert.Throws<VfioException>(() => VfioInterruptMonitor.Read(tree.Paths, new[] { "0000:00:11.0" }));
        Assert.Equal("VfioInterruptsUnavailable", e.ErrorId);
        Assert.Equal(VfioErrorKind.ObjectNotFound, e.Kind);
    }

    private static VfioInterruptSnapshot Snapshot(double seconds, params VfioInterruptReading[] readings)
        => new(DateTime.UnixEpoch.AddSeconds(seconds), (long)(seconds * Stopwatch.Frequency), readings);

    private static VfioInterruptReading Msi(int irq, params ulong[] counts)
        => new("0000:00:11.0", 1, 0, irq, Enumerable.Range(0, counts.Length).ToArray(), counts, "IR-PCI-MSI", "vfio-msi[0](0000:00:11.0)",
            Array.Empty<string>(), "msi", "0-1", null);

    [Fact]
    public void TwoSamplesGiveTheDeltaAndTheRatePerSecond()
    {
        var now = Assert.Single(VfioInterruptMonitor.Describe(Snapshot(12.5, Msi(26, 110, 7)), Snapshot(10, Msi(26, 100, 2)), 1, perCpu: true));
        Assert.Equal(15UL, now.Delta);
        Assert.Equal(2.5, now.IntervalSeconds!.Value, 6);
        Assert.Equal(6.0, now.Rate!.Value, 6);
        Assert.False(now.Restarted);
        Assert.Equal(new ulong?[] { 10, 5 }, now.PerCpu!.Select(c => c.Delta));
        Assert.Equal(1, now.Sample);
    }

    [Fact]
    public void ACounterThatWrapsAt32BitsIsCountedAcrossTheWrap()
    {
        var now = Assert.Single(VfioInterruptMonitor.Describe(Snapshot(1, Msi(26, 3, 0)), Snapshot(0, Msi(26, uint.MaxValue - 1, 0)), 1, false));
        Assert.Equal(5UL, now.Delta);
        Assert.False(now.Restarted);
    }

    [Fact]
    public void ACounterThatGoesBackwardsRestartedAndCountsFromZero()
    {
        // 1000 -> 4 cannot be a wrap of fewer than 2^31 interrupts: the IRQ was freed and allocated again.
        var now = Assert.Single(VfioInterruptMonitor.Describe(Snapshot(1, Msi(26, 4, 10)), Snapshot(0, Msi(26, 1000, 10)), 1, false));
        Assert.Equal(4UL, now.Delta);
        Assert.True(now.Restarted);
    }

    [Fact]
    public void ANewVectorOrANewIrqCountsFromZeroAndSaysSo()
    {
        var moved = Assert.Single(VfioInterruptMonitor.Describe(Snapshot(1, Msi(30, 2, 1)), Snapshot(0, Msi(26, 50, 50)), 1, false));
        Assert.Equal((3UL, true), (moved.Delta!.Value, moved.Restarted));
        var fresh = Assert.Single(VfioInterruptMonitor.Describe(Snapshot(1, Msi(26, 2, 1)), Snapshot(0), 1, false));
        Assert.Equal((3UL, true), (fresh.Delta!.Value, fresh.Restarted));
    }

    [Fact]
    public void ACpuBroughtOnlineBetweenSamplesAddsNothing()
    {
        var before = Msi(26, 10, 10) with { Cpus = new[] { 0, 2 } };
        var after = Msi(26, 12, 500, 13) with { Cpus = new[] { 0, 1, 2 } };
        var now = Assert.Single(VfioInterruptMonitor.Describe(Snapshot(1, after), Snapshot(0, before), 1, perCpu: true));
        Assert.Equal(5UL, now.Delta);
        Assert.Equal(new ulong?[] { 2, null, 3 }, now.PerCpu!.Select(c => c.Delta));
    }

    [Theory]
    [InlineData(5UL, 9UL, 4UL, false)]
    [InlineData(4294967295UL, 0UL, 1UL, false)]
    [InlineData(4294967000UL, 296UL, 592UL, false)]
    [InlineData(3000000000UL, 10UL, 1294967306UL, false)]
    [InlineData(1000000000UL, 10UL, 10UL, true)]
    [InlineData(1UL, 0UL, 0UL, true)]
    [InlineData(5000000000UL, 7UL, 7UL, true)]
    public void CounterDeltas(ulong then, ulong now, ulong delta, bool restarted)
    {
        bool r = false;
        Assert.Equal(delta, VfioInterruptMonitor.CounterDelta(then, now, ref r));
        Assert.Equal(restarted, r);
    }
}

public sealed class VfioDeviceHoldersTests
{
    [Fact]
    public void AProcessHoldingTheGroupNodeHoldsEveryDeviceOfTheGroup()
    {
        using var tree = new FakeHostTree()
            .Device("0000:00:14.0", "1234:11e8", "00ff00", "vfio-pci", 8)
            .Device("0000:00:14.1", "1234:11e8", "00ff00", "vfio-pci", 8)
            .Device("0000:00:11.0", "1234:11e8", "00ff00", "vfio-pci", 5);
        tree.Holder(4242, "qemu-system-x86", "qemu-system-x86_64 -device vfio-pci,host=0000:00:14.0", tree.Paths.Group(8));
        var devices = PciDeviceEnumerator.Enumerate(tree.Paths);
        var holders = VfioDeviceHolders.Find(tree.Paths, devices);
        Assert.Equal(new[] { "0000:00:14.0", "0000:00:14.1" }, holders.Select(h => h.Address));
        var first = holders[0];
        Assert.Equal((4242, "qemu-system-x86", "qemu-system-x86_64 -device vfio-pci,host=0000:00:14.0", tree.Paths.Group(8), (int?)8, false),
            (first.Pid, first.Command, first.CommandLine, first.Node, first.IommuGroup, first.IsCurrentProcess));
    }

    [Fact]
    public void ACdevHolderHoldsOnlyItsDeviceAndSeveralHoldersAreInPidOrder()
    {
        using var tree = new FakeHostTree()
            .Device("0000:00:10.0", "8086:10d3", "020000", "vfio-pci", 4, cdev: "vfio0")
            .Device("0000:00:11.0", "1234:11e8", "00ff00", "vfio-pci", 5, cdev: "vfio1");
        tree.Holder(900, "dpdk-testpmd", "dpdk-testpmd -a 0000:00:11.0", tree.Paths.Cdev("vfio1"))
            .Holder(77, "cloud-hypervisor", "cloud-hypervisor", tree.Paths.Group(5));
        var holders = VfioDeviceHolders.Find(tree.Paths, PciDeviceEnumerator.Enumerate(tree.Paths));
        Assert.Equal(new[] { ("0000:00:11.0", 77, tree.Paths.Group(5)), ("0000:00:11.0", 900, tree.Paths.Cdev("vfio1")) },
            holders.Select(h => (h.Address, h.Pid, h.Node)));
    }

    [Fact]
    public void NobodyHoldingADeviceGivesNoHolder()
    {
        using var tree = new FakeHostTree().Device("0000:00:11.0", "1234:11e8", "00ff00", "vfio-pci", 5).Device("0000:00:1f.0", "8086:2918", "060100", null, null);
        Directory.CreateDirectory(tree.Paths.ProcRoot);
        Assert.Empty(VfioDeviceHolders.Find(tree.Paths, PciDeviceEnumerator.Enumerate(tree.Paths)));
    }

    [Fact]
    public void AProcessWhoseNameCannotBeReadIsStillAHolder()
    {
        using var tree = new FakeHostTree().Device("0000:00:11.0", "1234:11e8", "00ff00", "vfio-pci", 5);
        tree.Holder(31, "x", "x", tree.Paths.Group(5));
        File.Delete(Path.Combine(tree.Paths.ProcRoot, "31", "comm"));
        Assert.Equal("?", Assert.Single(VfioDeviceHolders.Find(tree.Paths, PciDeviceEnumerator.Enumerate(tree.Paths))).Command);
    }
}
