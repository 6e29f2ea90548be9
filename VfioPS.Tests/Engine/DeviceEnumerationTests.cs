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

    [Fact]
    public void OpeningSaysWhatIsMissing()
    {
        // Not bound to vfio-pci: the message says how to bind it.
        _module.Run($"Open-VfioDevice {Roots} 0000:00:1f.2", out var errors);
        var notBound = Assert.Single(errors);
        Assert.Equal("VfioDeviceNotBound,VfioPS.Commands.OpenVfioDeviceCommand", notBound.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidOperation, notBound.CategoryInfo.Category);
        Assert.Contains("driver_override", notBound.Exception.Message);

        // No /dev/vfio/vfio: the VFIO driver is not loaded.
        _module.Run($"Open-VfioDevice {Roots} 0000:00:10.0", out errors);
        var missing = Assert.Single(errors);
        Assert.Equal("VfioNotAvailable,VfioPS.Commands.OpenVfioDeviceCommand", missing.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, missing.CategoryInfo.Category);
        Assert.Equal("0000:00:10.0", missing.TargetObject);

        // Something that is not a VFIO container answers the API version ioctl with an error.
        File.WriteAllText(Path.Combine(Dev, "vfio", "vfio"), "");
        _module.Run($"Open-VfioDevice {Roots} 0000:00:10.0", out errors);
        Assert.Equal("VfioApiVersionMismatch,VfioPS.Commands.OpenVfioDeviceCommand", Assert.Single(errors).FullyQualifiedErrorId);

        _module.Run($"Open-VfioDevice {Roots} 'not-an-address'", out errors);
        Assert.Equal("VfioPciAddressInvalid,VfioPS.Commands.OpenVfioDeviceCommand", Assert.Single(errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void ReadCmdletsTakeGetVfioDeviceOutputAndTryToOpenIt()
    {
        // Without a VFIO driver the read fails per device with the reason, and the pipeline goes on.
        var results = _module.Run($"$env:VFIOPS_SYSFS_ROOT = '{Sys}'; $env:VFIOPS_DEV_ROOT = '{Dev}/none'; try {{ Get-VfioDevice -Driver vfio-pci | Get-VfioIrqInfo; 'after' }} finally {{ $env:VFIOPS_SYSFS_ROOT = $null; $env:VFIOPS_DEV_ROOT = $null }}", out var errors);
        Assert.Equal("after", Assert.Single(results).BaseObject);
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Equal("VfioNotAvailable,VfioPS.Commands.GetVfioIrqInfoCommand", e.FullyQualifiedErrorId));
    }

    [Fact]
    public void TheCdevPathIsChosenWhenTheKernelHasItAndCanBeForced()
    {
        // A device with a VFIO cdev (sysfs vfio-dev/vfio0) and /dev/iommu: Auto takes the cdev path. These nodes are
        // plain files here, so VFIO_DEVICE_BIND_IOMMUFD is refused (ENOTTY), which shows the path that was taken.
        string dir = Path.Combine(Sys, "bus", "pci", "devices", "0000:00:11.0");
        Directory.CreateDirectory(Path.Combine(dir, "vfio-dev", "vfio0"));
        Directory.CreateDirectory(Path.Combine(Dev, "vfio", "devices"));
        File.WriteAllText(Path.Combine(Dev, "vfio", "devices", "vfio0"), "");
        File.WriteAllText(Path.Combine(Dev, "iommu"), "");

        _module.Run($"Open-VfioDevice {Roots} 0000:00:11.0", out var errors);
        var bind = Assert.Single(errors);
        Assert.Equal("VfioBindIommufdFailed,VfioPS.Commands.OpenVfioDeviceCommand", bind.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.NotImplemented, bind.CategoryInfo.Category);
        Assert.Contains(Path.Combine(Dev, "vfio", "devices", "vfio0"), bind.Exception.Message);

        _module.Run($"Open-VfioDevice {Roots} 0000:00:11.0 -Path Group", out errors);
        Assert.Equal("VfioNotAvailable,VfioPS.Commands.OpenVfioDeviceCommand", Assert.Single(errors).FullyQualifiedErrorId);

        _module.Run($"Open-VfioDevice {Roots} 0000:00:10.0 -Path Cdev", out errors);
        var noCdev = Assert.Single(errors);
        Assert.Equal("VfioCdevNotAvailable,VfioPS.Commands.OpenVfioDeviceCommand", noCdev.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, noCdev.CategoryInfo.Category);

        var cdevPath = _module.Run($"(Get-VfioDevice {Roots} 0000:00:11.0).CdevPath").Single().BaseObject;
        Assert.Equal(Path.Combine(Dev, "vfio", "devices", "vfio0"), cdevPath);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
