using System;
using System.IO;
using System.Linq;
using VfioPS.Kernel;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>A fake sysfs and /dev tree laid out as the kernel lays them out, with real symlinks.</summary>
public sealed class FakeHostTree : IDisposable
{
    public FakeHostTree()
    {
        Root = Directory.CreateTempSubdirectory("vfiops-sysfs-").FullName;
        Paths = new VfioHostPaths(Path.Combine(Root, "sys"), Path.Combine(Root, "dev"), Path.Combine(Root, "etc"), Path.Combine(Root, "proc"));
        Directory.CreateDirectory(Paths.PciDevices);
        Directory.CreateDirectory(Path.Combine(Paths.SysfsRoot, "bus", "pci", "drivers"));
        Directory.CreateDirectory(Paths.VfioDir);
    }

    public string Root { get; }
    public VfioHostPaths Paths { get; }

    public FakeHostTree Device(string address, string id, string cls, string? driver, int? group, bool groupNode = true, string? cdev = null,
        string? driverOverride = null, bool secondaryBus = false)
    {
        string dir = Paths.PciDevice(address);
        Directory.CreateDirectory(dir);
        var (vendor, device) = (id.Split(':')[0], id.Split(':')[1]);
        File.WriteAllText(Path.Combine(dir, "vendor"), "0x" + vendor + "\n");
        File.WriteAllText(Path.Combine(dir, "device"), "0x" + device + "\n");
        File.WriteAllText(Path.Combine(dir, "class"), "0x" + cls + "\n");
        File.WriteAllText(Path.Combine(dir, "driver_override"), (driverOverride ?? "(null)") + "\n");
        if (secondaryBus) Directory.CreateDirectory(Path.Combine(dir, "pci_bus", "0000:" + address.Substring(5, 2)));
        if (driver is not null)
        {
            string driverDir = Path.Combine(Paths.SysfsRoot, "bus", "pci", "drivers", driver);
            Directory.CreateDirectory(driverDir);
            File.CreateSymbolicLink(Path.Combine(dir, "driver"), driverDir);
        }
        if (group is int g)
        {
            string groupDir = Path.Combine(Paths.SysfsRoot, "kernel", "iommu_groups", g.ToString());
            Directory.CreateDirectory(Path.Combine(groupDir, "devices"));
            File.CreateSymbolicLink(Path.Combine(dir, "iommu_group"), groupDir);
            File.CreateSymbolicLink(Path.Combine(groupDir, "devices", address), dir);
            if (groupNode && !File.Exists(Paths.Group(g))) File.WriteAllText(Paths.Group(g), "");
        }
        if (cdev is not null)
        {
            Directory.CreateDirectory(Path.Combine(dir, "vfio-dev", cdev));
            Directory.CreateDirectory(Path.Combine(Paths.VfioDir, "devices"));
            File.WriteAllText(Paths.Cdev(cdev), "");
        }
        return this;
    }

    /// <summary>A process in the fake /proc that holds <paramref name="node"/> open (fd 5 links to it).</summary>
    public FakeHostTree Holder(int pid, string comm, string commandLine, string node)
    {
        string dir = Path.Combine(Paths.ProcRoot, pid.ToString());
        Directory.CreateDirectory(Path.Combine(dir, "fd"));
        File.WriteAllText(Path.Combine(dir, "comm"), comm + "\n");
        File.WriteAllText(Path.Combine(dir, "cmdline"), commandLine.Replace(' ', '\0') + "\0");
        File.CreateSymbolicLink(Path.Combine(dir, "fd", "5"), node);
        return this;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

public sealed class PciDeviceEnumeratorTests
{
    [Fact]
    public void DevicesAreReadWithIdsClassDriverGroupAndPaths()
    {
        using var tree = new FakeHostTree()
            .Device("0000:00:10.0", "8086:10d3", "020000", "vfio-pci", 3)
            .Device("0000:00:11.0", "1234:11e8", "00ff00", "vfio-pci", 4, cdev: "vfio0")
            .Device("0000:00:1f.0", "8086:2918", "060100", "lpc_ich", 5);
        var devices = PciDeviceEnumerator.Enumerate(tree.Paths);
        Assert.Equal(new[] { "0000:00:10.0", "0000:00:11.0", "0000:00:1f.0" }, devices.Select(d => d.Address));
        var e1000e = devices[0];
        Assert.Equal("8086:10d3", e1000e.Id);
        Assert.Equal(0x020000u, e1000e.Class);
        Assert.Equal("vfio-pci", e1000e.Driver);
        Assert.Equal(3, e1000e.IommuGroup);
        Assert.Equal(tree.Paths.Group(3), e1000e.GroupPath);
        Assert.Null(e1000e.CdevPath);
        Assert.True(e1000e.Usable);
        Assert.Equal(tree.Paths.Cdev("vfio0"), devices[1].CdevPath);
        Assert.False(devices[2].Usable);
        Assert.Contains("lpc_ich", devices[2].UnusableReason);
    }

    [Fact]
    public void ResetMethodsComeFromResetMethod_AndAMissingFileMeansNone()
    {
        using var tree = new FakeHostTree()
            .Device("0000:00:10.0", "8086:10d3", "020000", "vfio-pci", 3)
            .Device("0000:00:11.0", "1234:11e8", "00ff00", "vfio-pci", 4)
            .Device("0000:01:00.0", "8086:10d3", "020000", "vfio-pci", 15);
        File.WriteAllText(tree.Paths.ResetMethod("0000:00:10.0"), "pm\n");
        File.WriteAllText(tree.Paths.ResetMethod("0000:01:00.0"), "pm bus\n");
        var devices = PciDeviceEnumerator.Enumerate(tree.Paths);
        Assert.Equal(new[] { "pm" }, devices[0].ResetMethods);
        Assert.Empty(devices[1].ResetMethods);
        Assert.Equal(new[] { "pm", "bus" }, devices[2].ResetMethods);
    }

    [Fact]
    public void AGroupWithADeviceOnAHostDriverIsNotViableAndNamesIt()
    {
        using var tree = new FakeHostTree()
            .Device("0000:01:00.0", "10de:1b80", "030000", "vfio-pci", 7)
            .Device("0000:01:00.1", "10de:10f0", "040300", "snd_hda_intel", 7);
        var gpu = PciDeviceEnumerator.Find(tree.Paths, "0000:01:00.0")!;
        Assert.False(gpu.Usable);
        Assert.Contains("0000:01:00.1", gpu.UnusableReason);
        Assert.Contains("snd_hda_intel", gpu.UnusableReason);
        Assert.Equal(new[] { "0000:01:00.0", "0000:01:00.1" }, gpu.GroupDevices);
    }

    [Fact]
    public void ABridgeOnPcieportAndAStubLeaveTheGroupViable()
    {
        // The kernel allows bridges (pcieport, driver_managed_dma since 5.19) and pci-stub in a VFIO group.
        using var tree = new FakeHostTree()
            .Device("0000:00:01.0", "8086:1901", "060400", "pcieport", 2)
            .Device("0000:01:00.0", "10de:1b80", "030000", "vfio-pci", 2)
            .Device("0000:01:00.1", "10de:10f0", "040300", "pci-stub", 2);
        var gpu = PciDeviceEnumerator.Find(tree.Paths, "0000:01:00.0")!;
        Assert.True(gpu.Usable, gpu.UnusableReason);
    }

    [Theory]
    [InlineData("mlx5_vfio_pci", true)]
    [InlineData("nvgrace-gpu-vfio-pci", true)]
    [InlineData("vfio-pci", true)]
    [InlineData("vfio", false)]
    [InlineData("vfio_pci_core", false)]
    [InlineData("mlx5_core", false)]
    public void VariantDriversOfVfioPciAreVfioDrivers(string driver, bool usable)
    {
        using var tree = new FakeHostTree().Device("0000:03:00.2", "15b3:101e", "020000", driver, 11);
        var vf = PciDeviceEnumerator.Find(tree.Paths, "0000:03:00.2")!;
        Assert.Equal(usable, vf.Usable);
        Assert.Equal(usable, PciDeviceEnumerator.IsVfioDriver(driver));
        if (!usable) Assert.Contains(driver, vf.UnusableReason);
    }

    [Fact]
    public void NoDriverNoGroupAndNoDeviceNodeAreSaid()
    {
        using var tree = new FakeHostTree()
            .Device("0000:00:02.0", "1b36:0005", "00ff00", null, 2)
            .Device("0000:00:03.0", "1b36:0005", "00ff00", "vfio-pci", null)
            .Device("0000:00:04.0", "1b36:0005", "00ff00", "vfio-pci", 9, groupNode: false);
        var devices = PciDeviceEnumerator.Enumerate(tree.Paths);
        Assert.Contains("no driver", devices[0].UnusableReason);
        Assert.Contains("no IOMMU group", devices[1].UnusableReason);
        Assert.Contains("does not exist", devices[2].UnusableReason);
        Assert.All(devices, d => Assert.False(d.Usable));
    }

    [Fact]
    public void AMissingSysfsGivesNoDevices() => Assert.Empty(PciDeviceEnumerator.Enumerate(new VfioHostPaths("/nonexistent-sysfs", "/nonexistent-dev")));

    [Theory]
    [InlineData("0000:00:10.0", "0000:00:10.0")]
    [InlineData("00:10.0", "0000:00:10.0")]
    [InlineData("0000:AF:1F.7", "0000:af:1f.7")]
    [InlineData(" 0001:02:03.4 ", "0001:02:03.4")]
    public void AddressesAreNormalized(string text, string expected)
    {
        Assert.True(PciAddress.TryNormalize(text, out var address));
        Assert.Equal(expected, address);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0000:00:10")]
    [InlineData("0000:00:20.0")]   // slot is 5 bits: 00-1f
    [InlineData("0000:00:10.8")]   // function is 3 bits
    [InlineData("../../etc/passwd")]
    [InlineData("0000:00:10.0/../../x")]
    [InlineData("mock:e1000e/1")]
    public void AnythingElseIsNotAnAddress(string text) => Assert.False(PciAddress.IsAddress(text));
}
