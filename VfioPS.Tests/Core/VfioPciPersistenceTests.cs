using System;
using System.IO;
using System.Linq;
using VfioPS.Kernel;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>-Persistent: VfioPS's udev rule file and modules-load.d file under a fake /etc; DriverOverride and PersistentOverride.</summary>
public sealed class VfioPciPersistenceTests : IDisposable
{
    private readonly FakeHostTree _tree = new();
    private readonly RecordingBindingHost _host = new();
    private readonly SimulatedPciKernel _kernel;

    public VfioPciPersistenceTests()
    {
        _tree.Device("0000:00:10.0", "8086:10d3", "020000", "e1000e", 3)
            .Device("0000:00:11.0", "1234:11e8", "00ff00", "vfio-pci", 4, driverOverride: "vfio-pci")
            .Device("0000:00:02.0", "1af4:1009", "000200", "virtio-pci", 2);
        _kernel = new SimulatedPciKernel(_tree);
        _kernel.HostDrivers["0000:00:10.0"] = "e1000e";
    }

    public void Dispose() => _tree.Dispose();

    private VfioPciBinder Binder(bool persistent = false)
        => new(_tree.Paths, _host, new VfioPciBindOptions(Persistent: persistent) { ProbeSettleTime = TimeSpan.Zero }, _kernel, _kernel);

    private string[] RuleLines() => File.ReadAllLines(_tree.Paths.UdevRuleFile).Where(l => !l.StartsWith('#')).ToArray();

    [Fact]
    public void TheRuleSetsTheOverrideOnAddAndRebindsADeviceABuiltInDriverTook()
    {
        string line = VfioPciUdevRules.Line("0000:01:00.0");
        Assert.StartsWith("ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"0000:01:00.0\", ATTR{driver_override}=\"vfio-pci\", RUN+=\"/bin/sh -c '", line);
        Assert.Contains("[ $$(basename $$(readlink $$d/driver)) != vfio-pci ]", line);
        Assert.Contains("echo %k > $$d/driver/unbind", line);
        Assert.EndsWith("echo %k > /sys/bus/pci/drivers_probe'\"", line);
        // Single quotes only inside the value: a double quote would end it.
        Assert.Equal(2, line[line.IndexOf("RUN+=", StringComparison.Ordinal)..].Count(c => c == '"'));
    }

    [Fact]
    public void EnablePersistentWritesSortedLinesAndModulesLoad()
    {
        Binder(persistent: true).Enable(new[] { "0000:00:11.0", "0000:00:10.0" });
        Assert.Empty(_host.Errors);
        Assert.Equal(new[] { VfioPciUdevRules.Line("0000:00:10.0"), VfioPciUdevRules.Line("0000:00:11.0") }, RuleLines());
        Assert.StartsWith("# Written by VfioPS", File.ReadAllText(_tree.Paths.UdevRuleFile));
        Assert.Equal(new[] { "vfio-pci" }, File.ReadAllLines(_tree.Paths.ModulesLoadFile).Where(l => !l.StartsWith('#')));
        Assert.Empty(Directory.GetFiles(_tree.Paths.UdevRulesDir, ".*"));
        // 0000:00:11.0 was already bound: its line is its only change.
        Assert.DoesNotContain(_kernel.Writes, w => w.File.Contains("0000:00:11.0"));

        // Again: nothing to add, nothing written, no confirmation asked.
        _host.WhatIf.Clear();
        Binder(persistent: true).Enable(new[] { "0000:00:11.0" });
        Assert.Empty(_host.WhatIf);
        Assert.Equal(2, RuleLines().Length);
    }

    [Fact]
    public void DisableRemovesTheLineAndTheFilesWithTheLastOne()
    {
        Binder(persistent: true).Enable(new[] { "0000:00:10.0", "0000:00:11.0" });
        Binder().Disable(new[] { "0000:00:10.0" });
        Assert.Equal(new[] { VfioPciUdevRules.Line("0000:00:11.0") }, RuleLines());
        Assert.True(File.Exists(_tree.Paths.ModulesLoadFile));
        Binder().Disable(new[] { "0000:00:11.0" });
        Assert.False(File.Exists(_tree.Paths.UdevRuleFile));
        Assert.False(File.Exists(_tree.Paths.ModulesLoadFile));
        Assert.Empty(_host.Errors);
    }

    [Fact]
    public void WhatIfNamesTheRuleChangeAndWritesNoFile()
    {
        _host.Confirm = false;
        Binder(persistent: true).Enable(new[] { "0000:00:10.0" });
        Assert.Contains($"add a line for 0000:00:10.0 to {_tree.Paths.UdevRuleFile}", Assert.Single(_host.WhatIf));
        Assert.False(File.Exists(_tree.Paths.UdevRuleFile));
    }

    [Fact]
    public void ADriverctlOverrideIsWarnedAbout()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_tree.Paths.DriverctlOverride("0000:00:10.0"))!);
        File.WriteAllText(_tree.Paths.DriverctlOverride("0000:00:10.0"), "vfio-pci\n");
        Binder(persistent: true).Enable(new[] { "0000:00:10.0" });
        Assert.Contains(_host.Warnings, w => w.Contains("driverctl") && w.Contains("0000:00:10.0"));
    }

    [Fact]
    public void DriverOverrideAndPersistentOverrideAreRead()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_tree.Paths.DriverctlOverride("0000:00:02.0"))!);
        File.WriteAllText(_tree.Paths.DriverctlOverride("0000:00:02.0"), "vfio-pci\n");
        Binder(persistent: true).Enable(new[] { "0000:00:11.0" });
        var devices = PciDeviceEnumerator.Enumerate(_tree.Paths).ToDictionary(d => d.Address);
        Assert.Null(devices["0000:00:10.0"].DriverOverride);   // the kernel's "(null)"
        Assert.False(devices["0000:00:10.0"].PersistentOverride);
        Assert.Equal("vfio-pci", devices["0000:00:11.0"].DriverOverride);
        Assert.True(devices["0000:00:11.0"].PersistentOverride);  // the VfioPS rule
        Assert.True(devices["0000:00:02.0"].PersistentOverride);  // driverctl's file
        Assert.True(PciDeviceEnumerator.Find(_tree.Paths, "0000:00:11.0")!.PersistentOverride);
    }
}
