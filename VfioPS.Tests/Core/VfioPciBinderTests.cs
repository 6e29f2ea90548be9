using System;
using System.IO;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Kernel;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>Enable/Disable over a fake sysfs whose kernel is simulated: every write, its order and text, and the outcome.</summary>
public sealed class VfioPciBinderTests : IDisposable
{
    private readonly FakeHostTree _tree = new();
    private readonly RecordingBindingHost _host = new();
    private SimulatedPciKernel? _kernel;

    public void Dispose() => _tree.Dispose();

    private SimulatedPciKernel Kernel => _kernel ??= new SimulatedPciKernel(_tree);

    private VfioPciBinder Binder(bool includeGroup = false, bool force = false, bool persistent = false)
        => new(_tree.Paths, _host, new VfioPciBindOptions(includeGroup, force, persistent) { ProbeSettleTime = TimeSpan.Zero }, Kernel, Kernel);

    private string? Driver(string address) => PciDeviceEnumerator.ReadDriver(_tree.Paths, address);
    private string? Override(string address) => PciDeviceEnumerator.ReadDriverOverride(_tree.Paths, address);

    /// <summary>A GPU and its audio function in group 7 behind a bridge on pcieport, all on host drivers.</summary>
    private void GpuGroup(string audioDriver = "snd_hda_intel")
    {
        _tree.Device("0000:00:01.0", "8086:1901", "060400", "pcieport", 7, secondaryBus: true)
            .Device("0000:01:00.0", "10de:1b80", "030000", "nouveau", 7)
            .Device("0000:01:00.1", "10de:10f0", "040300", audioDriver, 7);
        Kernel.HostDrivers["0000:01:00.0"] = "nouveau";
        Kernel.HostDrivers["0000:01:00.1"] = audioDriver;
        Kernel.HostDrivers["0000:00:01.0"] = "pcieport";
    }

    [Fact]
    public void EnableWritesTheOverrideUnbindsProbesAndReadsTheLink()
    {
        _tree.Device("0000:00:10.0", "8086:10d3", "020000", "e1000e", 3);
        var done = Binder().Enable(new[] { "0000:00:10.0" });
        Assert.Equal(new[]
        {
            ("bus/pci/devices/0000:00:10.0/driver_override", "vfio-pci"),
            ("bus/pci/devices/0000:00:10.0/driver/unbind", "0000:00:10.0"),
            ("bus/pci/drivers_probe", "0000:00:10.0"),
        }, Kernel.Writes);
        Assert.Equal(new[] { "0000:00:10.0" }, done);
        Assert.Equal("vfio-pci", Driver("0000:00:10.0"));
        Assert.Empty(_host.Errors);
        Assert.Equal(0, Kernel.ModprobeCalls);
    }

    [Fact]
    public void EnableOfAnUnboundDeviceDoesNotUnbind()
    {
        _tree.Device("0000:00:11.0", "1234:11e8", "00ff00", null, 4);
        Binder().Enable(new[] { "0000:00:11.0" });
        Assert.Equal(new[] { "bus/pci/devices/0000:00:11.0/driver_override", "bus/pci/drivers_probe" }, Kernel.Writes.Select(w => w.File));
        Assert.Equal("vfio-pci", Driver("0000:00:11.0"));
    }

    [Fact]
    public void DisableClearsTheOverrideUnbindsProbesAndSaysWhichDriverTookIt()
    {
        _tree.Device("0000:00:10.0", "8086:10d3", "020000", "vfio-pci", 3, driverOverride: "vfio-pci");
        Directory.CreateDirectory(_tree.Paths.PciDriver("e1000e"));
        Kernel.HostDrivers["0000:00:10.0"] = "e1000e";
        var done = Binder().Disable(new[] { "0000:00:10.0" });
        Assert.Equal(new[]
        {
            ("bus/pci/devices/0000:00:10.0/driver_override", "\n"),
            ("bus/pci/devices/0000:00:10.0/driver/unbind", "0000:00:10.0"),
            ("bus/pci/drivers_probe", "0000:00:10.0"),
        }, Kernel.Writes);
        Assert.Equal(new[] { "0000:00:10.0" }, done);
        Assert.Equal("e1000e", Driver("0000:00:10.0"));
        Assert.Null(Override("0000:00:10.0"));
        Assert.Contains(_host.Verbose, v => v.Contains("now on e1000e"));
        Assert.Empty(_host.Warnings);
    }

    [Fact]
    public void DisableOfADeviceNoDriverTakesIsAWarningNotAnError()
    {
        _tree.Device("0000:00:11.0", "1234:11e8", "00ff00", "vfio-pci", 4, driverOverride: "vfio-pci");
        var done = Binder().Disable(new[] { "0000:00:11.0" });
        Assert.Equal(new[] { "0000:00:11.0" }, done);
        Assert.Null(Driver("0000:00:11.0"));
        Assert.Empty(_host.Errors);
        Assert.Contains("No driver took 0000:00:11.0", Assert.Single(_host.Warnings));
    }

    [Fact]
    public void IncludeGroupBindsEveryEndpointAndLeavesTheBridgeAlone()
    {
        GpuGroup();
        var done = Binder(includeGroup: true).Enable(new[] { "0000:01:00.0" });
        Assert.Equal(new[] { "0000:01:00.0", "0000:01:00.1" }, done);
        Assert.DoesNotContain(Kernel.Writes, w => w.File.Contains("0000:00:01.0") || w.Text == "0000:00:01.0");
        Assert.Equal("pcieport", Driver("0000:00:01.0"));
        Assert.Equal("vfio-pci", Driver("0000:01:00.0"));
        Assert.Equal("vfio-pci", Driver("0000:01:00.1"));
        Assert.Equal(6, Kernel.Writes.Count);
        Assert.Empty(_host.Warnings);
    }

    [Fact]
    public void WithoutIncludeGroupTheDeviceIsBoundAndTheGroupIsSaidNotViable()
    {
        GpuGroup();
        Binder().Enable(new[] { "0000:01:00.0" });
        Assert.Equal("vfio-pci", Driver("0000:01:00.0"));
        Assert.Equal("snd_hda_intel", Driver("0000:01:00.1"));
        string warning = Assert.Single(_host.Warnings);
        Assert.Contains("IOMMU group 7 is not viable", warning);
        Assert.Contains("0000:01:00.1 is bound to snd_hda_intel", warning);
        Assert.DoesNotContain("0000:00:01.0", warning);
    }

    [Fact]
    public void ADeviceAlreadyOnVfioPciWithItsOverrideIsLeftAloneWithNoWrite()
    {
        _tree.Device("0000:00:10.0", "8086:10d3", "020000", "vfio-pci", 3, driverOverride: "vfio-pci")
            .Device("0000:03:00.2", "15b3:101e", "020000", "mlx5_vfio_pci", 11, driverOverride: "mlx5_vfio_pci");
        var done = Binder().Enable(new[] { "0000:00:10.0", "0000:03:00.2" });
        Assert.Empty(Kernel.Writes);
        Assert.Empty(_host.WhatIf);
        Assert.Equal(new[] { "0000:00:10.0", "0000:03:00.2" }, done);
        Assert.Contains(_host.Verbose, v => v.Contains("already on vfio-pci") && v.Contains("nothing to write"));
    }

    [Fact]
    public void ADeviceOnVfioPciWithoutOverrideGetsTheOverrideOnlyAndStaysBound()
    {
        _tree.Device("0000:00:10.0", "8086:10d3", "020000", "vfio-pci", 3);
        Binder().Enable(new[] { "0000:00:10.0" });
        Assert.Equal(new[] { ("bus/pci/devices/0000:00:10.0/driver_override", "vfio-pci") }, Kernel.Writes);
        Assert.Equal("vfio-pci", Driver("0000:00:10.0"));
    }

    [Fact]
    public void DisableOfADeviceOnAHostDriverWithoutOverrideWritesNothing()
    {
        _tree.Device("0000:00:1f.2", "8086:2922", "010601", "ahci", 9);
        var done = Binder().Disable(new[] { "0000:00:1f.2" });
        Assert.Empty(Kernel.Writes);
        Assert.Equal(new[] { "0000:00:1f.2" }, done);
        Assert.Contains(_host.Verbose, v => v.Contains("nothing to write"));
    }

    [Fact]
    public void WhatIfListsEveryWriteInOrderAndMakesNone()
    {
        GpuGroup();
        _host.Confirm = false;
        var done = Binder(includeGroup: true).Enable(new[] { "0000:01:00.0" });
        Assert.Empty(Kernel.Writes);
        Assert.Empty(done);
        Assert.Equal(2, _host.WhatIf.Count);
        string gpu = _host.WhatIf[0];
        Assert.StartsWith("Hand 0000:01:00.0 (10de:1b80, on nouveau) to vfio-pci: 1) write 'vfio-pci' to ", gpu);
        int over = gpu.IndexOf("0000:01:00.0/driver_override", StringComparison.Ordinal);
        int unbind = gpu.IndexOf("2) write '0000:01:00.0' to " + _tree.Paths.DeviceUnbind("0000:01:00.0"), StringComparison.Ordinal);
        int probe = gpu.IndexOf("3) write '0000:01:00.0' to " + _tree.Paths.DriversProbe, StringComparison.Ordinal);
        Assert.True(over > 0 && unbind > over && probe > unbind, gpu);
        Assert.Contains("4) read the driver link", gpu);
        Assert.StartsWith("Hand 0000:01:00.1 (10de:10f0, on snd_hda_intel)", _host.WhatIf[1]);
        Assert.Equal("nouveau", Driver("0000:01:00.0"));
        Assert.Null(Override("0000:01:00.0"));
    }

    [Fact]
    public void WhenTheSecondFunctionFailsTheFirstIsPutBackAndTheErrorSaysSo()
    {
        GpuGroup();
        Kernel.Failures.Add(("bus/pci/devices/0000:01:00.1/driver/unbind", null, Errno.EINVAL));
        var done = Binder(includeGroup: true).Enable(new[] { "0000:01:00.0" });
        Assert.Empty(done);
        var error = Assert.Single(_host.Errors);
        Assert.Equal("VfioSysfsWriteFailed", error.ErrorId);
        Assert.Equal(VfioErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(Errno.EINVAL, error.Errno);
        Assert.Equal("0000:01:00.1", error.Target);
        Assert.Contains(_tree.Paths.DeviceUnbind("0000:01:00.1"), error.Message);
        Assert.Contains("EINVAL", error.Message);
        Assert.Contains("Nothing is left half done", error.Message);
        Assert.Contains("0000:01:00.0 restored (on nouveau, driver_override none)", error.Message);
        Assert.Contains("0000:01:00.1 restored (on snd_hda_intel, driver_override none)", error.Message);
        Assert.Equal("nouveau", Driver("0000:01:00.0"));
        Assert.Equal("snd_hda_intel", Driver("0000:01:00.1"));
        Assert.Null(Override("0000:01:00.0"));
        Assert.Null(Override("0000:01:00.1"));
        // The failing function's override goes back first, then the first function's, which is unbound and reprobed.
        Assert.Equal(new[]
        {
            ("bus/pci/devices/0000:01:00.1/driver_override", "\n"),
            ("bus/pci/devices/0000:01:00.0/driver_override", "\n"),
            ("bus/pci/devices/0000:01:00.0/driver/unbind", "0000:01:00.0"),
            ("bus/pci/drivers_probe", "0000:01:00.0"),
        }, Kernel.Writes.Skip(5));
    }

    [Fact]
    public void AProbeThatBindsNothingIsVfioDriverNotBoundAndIsRolledBack()
    {
        _tree.Device("0000:00:10.0", "8086:10d3", "020000", "e1000e", 3)
            .Device("0000:00:11.0", "1234:11e8", "00ff00", "edu", 4);
        Kernel.HostDrivers["0000:00:10.0"] = "e1000e";
        Kernel.HostDrivers["0000:00:11.0"] = "edu";
        Kernel.VfioRefuses.Add("0000:00:11.0");
        var done = Binder().Enable(new[] { "0000:00:10.0", "0000:00:11.0" });
        Assert.Empty(done);
        var error = Assert.Single(_host.Errors);
        Assert.Equal("VfioDriverNotBound", error.ErrorId);
        Assert.Equal(VfioErrorKind.DeviceError, error.Kind);
        Assert.Contains("journalctl -k", error.Message);
        Assert.Contains("bound to no driver", error.Message);
        Assert.Contains("0000:00:10.0 restored (on e1000e", error.Message);
        Assert.Contains("0000:00:11.0 restored (on edu", error.Message);
        Assert.Equal("e1000e", Driver("0000:00:10.0"));
        Assert.Equal("edu", Driver("0000:00:11.0"));
    }

    [Fact]
    public void ARestoreThatFailsIsSaid()
    {
        _tree.Device("0000:00:10.0", "8086:10d3", "020000", "e1000e", 3)
            .Device("0000:00:11.0", "1234:11e8", "00ff00", "edu", 4);
        Kernel.HostDrivers["0000:00:11.0"] = "edu";
        Kernel.VfioRefuses.Add("0000:00:11.0");
        // e1000e gave its device up but no probe gives it back (its driver got it by bind), and the bind fails too.
        Kernel.Failures.Add(("bus/pci/drivers/e1000e/bind", null, Errno.ENODEV));
        Binder().Enable(new[] { "0000:00:10.0", "0000:00:11.0" });
        var error = Assert.Single(_host.Errors);
        Assert.Contains("Putting the devices back failed in part", error.Message);
        Assert.Contains("0000:00:10.0 NOT restored", error.Message);
        Assert.Contains("0000:00:11.0 restored", error.Message);
    }

    [Fact]
    public void EaccesIsVfioSysfsPermissionDenied()
    {
        _tree.Device("0000:00:10.0", "8086:10d3", "020000", "e1000e", 3);
        Kernel.Failures.Add(("bus/pci/devices/0000:00:10.0/driver_override", "vfio-pci", Errno.EACCES));
        Binder().Enable(new[] { "0000:00:10.0" });
        var error = Assert.Single(_host.Errors);
        Assert.Equal("VfioSysfsPermissionDenied", error.ErrorId);
        Assert.Equal(VfioErrorKind.PermissionDenied, error.Kind);
        Assert.Contains("root", error.Message);
        Assert.Contains("/sys/bus/pci", error.Message);
        Assert.Equal("e1000e", Driver("0000:00:10.0"));
    }

    [Fact]
    public void AMissingDeviceIsVfioDeviceNotFound()
    {
        _tree.Device("0000:00:10.0", "8086:10d3", "020000", "e1000e", 3);
        Binder().Enable(new[] { "0000:00:05.0" });
        Assert.Equal("VfioDeviceNotFound", Assert.Single(_host.Errors).ErrorId);
        Assert.Empty(Kernel.Writes);
    }

    [Fact]
    public void AHeldGroupIsNotUnboundAndTheHolderIsNamedUnlessForce()
    {
        _tree.Device("0000:00:10.0", "8086:10d3", "020000", "vfio-pci", 3, driverOverride: "vfio-pci")
            .Holder(4242, "qemu-system-x86", "qemu-system-x86_64 -name vm1 -device vfio-pci,host=0000:00:10.0", _tree.Paths.Group(3));
        Binder().Disable(new[] { "0000:00:10.0" });
        var error = Assert.Single(_host.Errors);
        Assert.Equal("VfioDeviceInUse", error.ErrorId);
        Assert.Equal(VfioErrorKind.ResourceBusy, error.Kind);
        Assert.Contains("4242 (qemu-system-x86_64 -name vm1 -device vfio-pci,host=0000:00:10.0)", error.Message);
        Assert.Contains(_tree.Paths.Group(3), error.Message);
        Assert.Empty(Kernel.Writes);

        _host.Errors.Clear();
        Binder(force: true).Disable(new[] { "0000:00:10.0" });
        Assert.Empty(_host.Errors);
        Assert.Equal(3, Kernel.Writes.Count);
    }

    [Fact]
    public void ADeviceOpenInThisProcessIsRefusedEvenWithForce()
    {
        _tree.Device("0000:0e:00.0", "8086:10d3", "020000", "vfio-pci", 14, driverOverride: "vfio-pci");
        var nodes = new FakeKernelNodes();
        using (var device = KernelDevices.Open("0000:0e:00.0", null, _tree.Paths, VfioOpenPath.Group, nodes))
        {
            Binder(force: true).Disable(new[] { "0000:0e:00.0" });
            var error = Assert.Single(_host.Errors);
            Assert.Equal("VfioDeviceOpenInSession", error.ErrorId);
            Assert.Equal(VfioErrorKind.ResourceBusy, error.Kind);
            Assert.Contains("Close-VfioDevice", error.Message);
            Assert.Empty(Kernel.Writes);
        }
    }

    [Fact]
    public void AMissingVfioPciIsLoadedWithModprobeOrIsVfioDriverNotAvailable()
    {
        _tree.Device("0000:00:10.0", "8086:10d3", "020000", "e1000e", 3);
        Kernel.ModprobeWorks = false;
        Directory.Delete(_tree.Paths.PciDriver("vfio-pci"));
        Binder().Enable(new[] { "0000:00:10.0" });
        var error = Assert.Single(_host.Errors);
        Assert.Equal("VfioDriverNotAvailable", error.ErrorId);
        Assert.Equal(VfioErrorKind.NotInstalled, error.Kind);
        Assert.Contains("Module vfio-pci not found", error.Message);
        Assert.Empty(Kernel.Writes);

        _host.Errors.Clear();
        Kernel.ModprobeWorks = true;
        Binder().Enable(new[] { "0000:00:10.0" });
        Assert.Empty(_host.Errors);
        Assert.Equal(2, Kernel.ModprobeCalls);
        Assert.Equal("vfio-pci", Driver("0000:00:10.0"));
    }
}
