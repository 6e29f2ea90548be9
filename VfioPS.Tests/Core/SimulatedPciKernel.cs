using System;
using System.Collections.Generic;
using System.IO;
using VfioPS.Abi;
using VfioPS.Kernel;

namespace VfioPS.Core.Tests;

/// <summary>
/// The kernel's side of the PCI sysfs files, over a <see cref="FakeHostTree"/>: it records every write and reacts as
/// drivers/base and drivers/pci do. driver_override stores the driver name ("\n" or "" clears it); driver/unbind
/// removes the driver link; drivers_probe binds an unbound device to its override when that driver is loaded (and
/// accepts the device), else to its host driver from <see cref="HostDrivers"/>; drivers/&lt;name&gt;/bind binds by name.
/// </summary>
internal sealed class SimulatedPciKernel : IPciSysfsWriter, IKernelModuleLoader
{
    private readonly FakeHostTree _tree;

    public SimulatedPciKernel(FakeHostTree tree)
    {
        _tree = tree;
        Directory.CreateDirectory(tree.Paths.PciDriver("vfio-pci"));
    }

    /// <summary>Every write, in order, as (path relative to the sysfs root, text).</summary>
    public List<(string File, string Text)> Writes { get; } = new();
    /// <summary>The driver a probe gives a device without an override (its host driver).</summary>
    public Dictionary<string, string> HostDrivers { get; } = new(StringComparer.Ordinal);
    /// <summary>Devices whose probe by vfio-pci fails (a device without an IOMMU group, for example).</summary>
    public HashSet<string> VfioRefuses { get; } = new(StringComparer.Ordinal);
    /// <summary>Writes that fail: (path relative to the sysfs root, text or null for any text) and the errno.</summary>
    public List<(string File, string? Text, Errno Errno)> Failures { get; } = new();
    public int ModprobeCalls { get; private set; }
    public bool ModprobeWorks { get; set; } = true;

    public Errno Write(string path, string text)
    {
        string file = Path.GetRelativePath(_tree.Paths.SysfsRoot, path);
        Writes.Add((file, text));
        foreach (var f in Failures)
            if (f.File == file && (f.Text is null || f.Text == text)) return f.Errno;

        var parts = file.Split('/');
        if (file == "bus/pci/drivers_probe")
        {
            string address = text.Trim();
            if (!Directory.Exists(_tree.Paths.PciDevice(address))) return Errno.ENODEV;
            if (PciDeviceEnumerator.ReadDriver(_tree.Paths, address) is not null) return Errno.None;
            string? driverOverride = PciDeviceEnumerator.ReadDriverOverride(_tree.Paths, address);
            string? driver = driverOverride ?? (HostDrivers.TryGetValue(address, out var host) ? host : null);
            // drivers_probe answers success whether or not a driver binds.
            if (driver is null || !Directory.Exists(_tree.Paths.PciDriver(driver))) return Errno.None;
            if (driver == "vfio-pci" && VfioRefuses.Contains(address)) return Errno.None;
            Bind(address, driver);
            return Errno.None;
        }
        if (parts is ["bus", "pci", "devices", var device, "driver_override"])
        {
            string value = text.TrimEnd('\n');
            File.WriteAllText(path, (value.Length == 0 ? "(null)" : value) + "\n");
            return Errno.None;
        }
        if (parts is ["bus", "pci", "devices", var unbound, "driver", "unbind"])
        {
            if (text != unbound || PciDeviceEnumerator.ReadDriver(_tree.Paths, unbound) is null) return Errno.ENODEV;
            File.Delete(_tree.Paths.DeviceDriverLink(unbound));
            return Errno.None;
        }
        if (parts is ["bus", "pci", "drivers", var name, "bind"])
        {
            if (PciDeviceEnumerator.ReadDriver(_tree.Paths, text) is not null) return Errno.EBUSY;
            Bind(text, name);
            return Errno.None;
        }
        return Errno.ENOENT;
    }

    private void Bind(string address, string driver)
        => File.CreateSymbolicLink(_tree.Paths.DeviceDriverLink(address), _tree.Paths.PciDriver(driver));

    public bool TryLoad(string module, VfioHostPaths paths, out string message)
    {
        ModprobeCalls++;
        message = ModprobeWorks ? string.Empty : "modprobe: FATAL: Module vfio-pci not found in directory /lib/modules/6.1.0";
        if (ModprobeWorks) Directory.CreateDirectory(paths.PciDriver(module));
        return ModprobeWorks;
    }
}

/// <summary>Records what the binder asks and says; answers ShouldProcess with <see cref="Confirm"/> (false is -WhatIf).</summary>
internal sealed class RecordingBindingHost : IVfioPciBindingHost
{
    public bool Confirm { get; set; } = true;
    public List<string> WhatIf { get; } = new();
    public List<string> Verbose { get; } = new();
    public List<string> Warnings { get; } = new();
    public List<VfioException> Errors { get; } = new();

    public bool ShouldProcess(string description, string warning, string caption)
    {
        WhatIf.Add(description);
        return Confirm;
    }

    void IVfioPciBindingHost.Verbose(string text) => Verbose.Add(text);
    public void Warning(string text) => Warnings.Add(text);
    public void Error(VfioException error) => Errors.Add(error);
}
