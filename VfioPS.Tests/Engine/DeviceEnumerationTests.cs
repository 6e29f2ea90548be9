using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>Get-VfioDevice over a fake sysfs tree given through the hidden -SysfsRoot/-DevRoot parameters.</summary>
public sealed class DeviceEnumerationTests : IClassFixture<ModuleFixture>, IDisposable
{
    private readonly ModuleFixture _module;
    private readonly string _root = Directory.CreateTempSubdirectory("vfiops-host-").FullName;

    public DeviceEnumerationTests(ModuleFixture module)
    {
        _module = module;
        AddDevice("0000:00:10.0", "8086", "10d3", "020000", "vfio-pci", 3);
        AddDevice("0000:00:11.0", "1234", "11e8", "00ff00", "vfio-pci", 4);
        AddDevice("0000:00:1f.2", "8086", "2922", "010601", "ahci", 5);
    }

    private string Sys => Path.Combine(_root, "sys");
    private string Dev => Path.Combine(_root, "dev");

    private void AddDevice(string address, string vendor, string device, string cls, string driver, int group)
    {
        string dir = Path.Combine(Sys, "bus", "pci", "devices", address);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "vendor"), "0x" + vendor);
        File.WriteAllText(Path.Combine(dir, "device"), "0x" + device);
        File.WriteAllText(Path.Combine(dir, "class"), "0x" + cls);
        string driverDir = Path.Combine(Sys, "bus", "pci", "drivers", driver);
        Directory.CreateDirectory(driverDir);
        File.CreateSymbolicLink(Path.Combine(dir, "driver"), driverDir);
        string groupDir = Path.Combine(Sys, "kernel", "iommu_groups", group.ToString());
        Directory.CreateDirectory(Path.Combine(groupDir, "devices"));
        File.CreateSymbolicLink(Path.Combine(dir, "iommu_group"), groupDir);
        File.CreateSymbolicLink(Path.Combine(groupDir, "devices", address), dir);
        Directory.CreateDirectory(Path.Combine(Dev, "vfio"));
        File.WriteAllText(Path.Combine(Dev, "vfio", group.ToString()), "");
    }

    private string Roots => $"-SysfsRoot '{Sys}' -DevRoot '{Dev}'";

    [Fact]
    public void ListsEveryDeviceAndFiltersByDriverAndAddressWildcards()
    {
        var all = _module.Run($"Get-VfioDevice {Roots}");
        Assert.Equal(new[] { "0000:00:10.0", "0000:00:11.0", "0000:00:1f.2" }, all.Select(d => (string)d.Properties["Address"].Value));
        var vfio = _module.Run($"Get-VfioDevice {Roots} -Driver vfio-*");
        Assert.Equal(2, vfio.Count);
        Assert.All(vfio, d => Assert.True((bool)d.Properties["Usable"].Value));
        var bySlot = _module.Run($"Get-VfioDevice {Roots} -Address '00:1*.0'");
        Assert.Equal(new[] { "0000:00:10.0", "0000:00:11.0" }, bySlot.Select(d => (string)d.Properties["Address"].Value));
        var ahci = Assert.Single(_module.Run($"Get-VfioDevice {Roots} 0000:00:1f.2"));
        Assert.False((bool)ahci.Properties["Usable"].Value);
        Assert.Contains("ahci", (string)ahci.Properties["UnusableReason"].Value);
    }

    [Fact]
    public void BadAndMissingAddressesAreErrors()
    {
        _module.Run($"Get-VfioDevice {Roots} -Address '../../etc'", out var errors);
        var error = Assert.Single(errors);
        Assert.Equal("VfioPciAddressInvalid,VfioPS.Commands.GetVfioDeviceCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        _module.Run($"Get-VfioDevice {Roots} -Address 0000:00:05.0", out errors);
        Assert.Equal("VfioDeviceNotFound,VfioPS.Commands.GetVfioDeviceCommand", Assert.Single(errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void TheTableViewRenders()
    {
        var (output, _, outcome) = _module.Render($"Get-VfioDevice {Roots} -Driver vfio-pci");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Matches(@"0000:00:10.0 +8086:10d3 +020000 +vfio-pci +3 True", output);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
