using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using VfioPS.Abi;

namespace VfioPS.Kernel;

/// <summary>What the binder asks of its caller (the cmdlet): confirmation, and where its messages go.</summary>
internal interface IVfioPciBindingHost
{
    /// <summary>-WhatIf/-Confirm for one device: <paramref name="description"/> lists the writes in order.</summary>
    bool ShouldProcess(string description, string warning, string caption);
    void Verbose(string text);
    void Warning(string text);
    void Error(VfioException error);
}

/// <summary>The switches of Enable-/Disable-VfioDevice.</summary>
internal sealed record VfioPciBindOptions(bool IncludeGroup = false, bool Force = false, bool Persistent = false)
{
    /// <summary>How long to wait for a driver to show up after drivers_probe (a driver may probe asynchronously).</summary>
    public TimeSpan ProbeSettleTime { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>One sysfs write: the file and the text written to it.</summary>
internal sealed record SysfsWrite(string Path, string Text)
{
    public override string ToString() => $"write '{Text.Replace("\n", "\\n", StringComparison.Ordinal)}' to {Path}";
}

/// <summary>
/// Hands PCI devices to vfio-pci and back through sysfs, as libvirt and driverctl do: driver_override, unbind,
/// drivers_probe, then the driver link is read, because drivers_probe succeeds even when no driver binds. Never new_id:
/// it makes vfio-pci claim every device with that ID, and it outlives the call.
/// </summary>
/// <remarks>
/// One call is one transaction: when a device fails, every device moved before it in the call, and the failing one,
/// get their previous driver_override and driver back, and the error says how that went.
/// </remarks>
internal sealed class VfioPciBinder
{
    private readonly VfioHostPaths _paths;
    private readonly IPciSysfsWriter _writer;
    private readonly IKernelModuleLoader _loader;
    private readonly IVfioPciBindingHost _host;
    private readonly VfioPciBindOptions _options;

    public VfioPciBinder(VfioHostPaths paths, IVfioPciBindingHost host, VfioPciBindOptions options, IPciSysfsWriter? writer = null, IKernelModuleLoader? loader = null)
    {
        _paths = paths;
        _host = host;
        _options = options;
        _writer = writer ?? LinuxPciSysfsWriter.Instance;
        _loader = loader ?? ModprobeLoader.Instance;
    }

    /// <summary>One device's part of the call: its state before, the writes that move it, and the boot-time change.</summary>
    private sealed class DevicePlan
    {
        public required string Address;
        /// <summary>The device as Get-VfioDevice read it before the call (null only if it went away meanwhile).</summary>
        public required VfioPciDevice? Device;
        public required string Id;
        public required string? Driver;
        public required string? Override;
        public required List<SysfsWrite> Writes;
        public string? PersistentChange;
        public bool Probes => Writes.Any(w => w.Path == Probe);
        public required string Probe;
        public string Describe() => Driver is null ? $"{Address} ({Id}, no driver)" : $"{Address} ({Id}, on {Driver})";
    }

    /// <summary>Gives the devices to vfio-pci; returns the addresses that are on a VFIO driver afterwards.</summary>
    public IReadOnlyList<string> Enable(IEnumerable<string> addresses) => Run(addresses, enable: true);

    /// <summary>Gives the devices back to their host drivers; returns the addresses no longer on a VFIO driver.</summary>
    public IReadOnlyList<string> Disable(IEnumerable<string> addresses) => Run(addresses, enable: false);

    private IReadOnlyList<string> Run(IEnumerable<string> addresses, bool enable)
    {
        var done = new List<string>();
        var approved = new List<DevicePlan>();
        bool loadVfioPci = false;
        foreach (string address in Targets(addresses))
        {
            if (!Directory.Exists(_paths.PciDevice(address)))
            {
                _host.Error(new VfioException("VfioDeviceNotFound", VfioErrorKind.ObjectNotFound, $"There is no PCI device {address} in {_paths.PciDevices}.", address));
                continue;
            }
            var plan = enable ? PlanEnable(address) : PlanDisable(address);
            if (plan.Writes.Count == 0 && plan.PersistentChange is null)
            {
                _host.Verbose(enable
                    ? $"{plan.Describe()} is already on {plan.Driver} with driver_override {plan.Override}: nothing to write."
                    : $"{plan.Describe()} is not on a VFIO driver and has no driver_override: nothing to write.");
                done.Add(address);
                continue;
            }
            if (!Preflight(plan)) continue;
            bool needsModprobe = enable && plan.Probes && !loadVfioPci && !Directory.Exists(_paths.PciDriver(PciDeviceEnumerator.VfioPciDriver));
            var steps = new List<string>();
            if (needsModprobe) steps.Add("run modprobe vfio-pci");
            steps.AddRange(plan.Writes.Select(w => w.ToString()));
            if (plan.Probes) steps.Add(enable ? "read the driver link (it must be vfio-pci)" : "read the driver link (the driver that took it)");
            if (plan.PersistentChange is not null) steps.Add(plan.PersistentChange);
            string verb = enable ? "Hand" : "Give back";
            string description = $"{verb} {plan.Describe()} {(enable ? "to vfio-pci" : "to its host driver")}: " +
                string.Join("; ", steps.Select((s, i) => $"{i + 1}) {s}")) + ".";
            if (!_host.ShouldProcess(description, $"{verb} {plan.Describe()} {(enable ? "to vfio-pci" : "to its host driver")}? Its current driver stops using it.",
                    enable ? "Enable-VfioDevice" : "Disable-VfioDevice"))
                continue;
            loadVfioPci |= needsModprobe;
            approved.Add(plan);
        }
        if (approved.Count == 0) return done;

        if (loadVfioPci && !LoadVfioPci(approved[0].Address)) return done;
        if (!Execute(approved, enable)) return done;

        if (enable && !_options.IncludeGroup) WarnAboutGroups(approved.Select(p => p.Address).ToHashSet(StringComparer.Ordinal));
        done.AddRange(approved.Select(p => p.Address));
        Persist(approved.Where(p => p.PersistentChange is not null).Select(p => p.Address).ToList(), enable);
        foreach (string address in done.Where(a => File.Exists(_paths.DriverctlOverride(a))))
            _host.Warning($"{_paths.DriverctlOverride(address)} exists: driverctl also sets the driver of {address} at boot, and both would act. " +
                $"Remove one of them (driverctl unset-override {address}, or {(enable ? "do not use -Persistent" : "Disable-VfioDevice")}).");
        return done;
    }

    /// <summary>The requested devices in order, each followed by the other endpoints of its IOMMU group with -IncludeGroup.</summary>
    private IEnumerable<string> Targets(IEnumerable<string> addresses)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string address in addresses)
        {
            if (seen.Add(address)) yield return address;
            if (!_options.IncludeGroup) continue;
            foreach (string member in GroupMembers(address).Where(m => m != address))
            {
                if (PciDeviceEnumerator.IsBridge(_paths, member))
                {
                    if (seen.Add(member)) _host.Verbose($"{member} is a PCI bridge in the IOMMU group of {address}: left on its driver.");
                    continue;
                }
                if (seen.Add(member)) yield return member;
            }
        }
    }

    /// <summary>The devices of the device's IOMMU group that are PCI addresses (sysfs paths are built from them).</summary>
    private IEnumerable<string> GroupMembers(string address)
        => PciDeviceEnumerator.ReadIommuGroup(_paths, address) is int group
            ? PciDeviceEnumerator.ReadGroupDevices(_paths, group).Where(PciAddress.IsAddress)
            : Array.Empty<string>();

    private DevicePlan NewPlan(string address)
    {
        // One read of the device: its id, driver and override here, its group and cdev nodes in Preflight.
        var device = PciDeviceEnumerator.Find(_paths, address);
        return new DevicePlan
        {
            Address = address,
            Device = device,
            Id = device?.Id ?? "?",
            Driver = device is null ? PciDeviceEnumerator.ReadDriver(_paths, address) : device.Driver,
            Override = device is null ? PciDeviceEnumerator.ReadDriverOverride(_paths, address) : device.DriverOverride,
            Writes = new List<SysfsWrite>(),
            Probe = _paths.DriversProbe,
        };
    }

    private DevicePlan PlanEnable(string address)
    {
        var plan = NewPlan(address);
        if (PciDeviceEnumerator.IsVfioDriver(plan.Driver))
        {
            // Already on vfio-pci (or a variant). An empty override is set to that driver, and nothing is unbound: the
            // device stays where it is, and a later unbind or reprobe (a host driver loaded, a reset) keeps it there.
            if (!PciDeviceEnumerator.IsVfioDriver(plan.Override)) plan.Writes.Add(new SysfsWrite(_paths.DriverOverride(address), plan.Driver!));
        }
        else
        {
            plan.Writes.Add(new SysfsWrite(_paths.DriverOverride(address), PciDeviceEnumerator.VfioPciDriver));
            if (plan.Driver is not null) plan.Writes.Add(new SysfsWrite(_paths.DeviceUnbind(address), address));
            plan.Writes.Add(new SysfsWrite(_paths.DriversProbe, address));
        }
        if (_options.Persistent) plan.PersistentChange = VfioPciUdevRules.DescribeAdd(_paths, address);
        return plan;
    }

    private DevicePlan PlanDisable(string address)
    {
        var plan = NewPlan(address);
        bool onVfio = PciDeviceEnumerator.IsVfioDriver(plan.Driver);
        // "\n" clears driver_override (the kernel stores an empty override as none).
        if (plan.Override is not null) plan.Writes.Add(new SysfsWrite(_paths.DriverOverride(address), "\n"));
        if (onVfio) plan.Writes.Add(new SysfsWrite(_paths.DeviceUnbind(address), address));
        // A device left without a driver (its override named a driver that was not loaded) is probed too.
        if (onVfio || (plan.Driver is null && plan.Override is not null)) plan.Writes.Add(new SysfsWrite(_paths.DriversProbe, address));
        plan.PersistentChange = VfioPciUdevRules.DescribeRemove(_paths, address);
        return plan;
    }

    /// <summary>
    /// A device whose VFIO driver would be unbound must not be in use: not open in this process (even with -Force:
    /// the unbind would wait for this very process), and, without -Force, not held by another one.
    /// </summary>
    private bool Preflight(DevicePlan plan)
    {
        if (!PciDeviceEnumerator.IsVfioDriver(plan.Driver) || !plan.Writes.Any(w => w.Path == _paths.DeviceUnbind(plan.Address))) return true;
        if (VfioDeviceRegistry.TryGet(plan.Address, out _))
        {
            _host.Error(new VfioException("VfioDeviceOpenInSession", VfioErrorKind.ResourceBusy,
                $"{plan.Address} is open as a VfioDevice in this session; run Close-VfioDevice {plan.Address} first (the unbind would wait for this process to close it).", plan.Address));
            return false;
        }
        if (_options.Force) return true;
        var nodes = new[] { plan.Device?.GroupPath, plan.Device?.CdevPath }.Where(n => n is not null).Select(n => n!);
        var holders = nodes.SelectMany(n => ProcessHolders.Find(_paths.ProcRoot, n).Select(h => (Node: n, Holder: h))).ToList();
        if (holders.Count == 0) return true;
        _host.Error(new VfioException("VfioDeviceInUse", VfioErrorKind.ResourceBusy,
            $"{plan.Address} is in use: " + string.Join(", ", holders.Select(h => $"{h.Node} is open in process {h.Holder}")) +
            ". Stop that process (a running VM holds its devices) before giving the device back; -Force unbinds anyway, and then the unbind waits until the process lets the device go.",
            plan.Address));
        return false;
    }

    private bool LoadVfioPci(string target)
    {
        _host.Verbose($"{_paths.PciDriver(PciDeviceEnumerator.VfioPciDriver)} does not exist: loading vfio-pci with modprobe.");
        if (_loader.TryLoad(PciDeviceEnumerator.VfioPciDriver, _paths, out string message) && Directory.Exists(_paths.PciDriver(PciDeviceEnumerator.VfioPciDriver)))
            return true;
        _host.Error(new VfioException("VfioDriverNotAvailable", VfioErrorKind.NotInstalled,
            $"The vfio-pci driver is not available: {(message.Length > 0 ? message : $"{_paths.PciDriver(PciDeviceEnumerator.VfioPciDriver)} did not appear after modprobe vfio-pci")}. " +
            "Install the kernel's modules (vfio-pci is in the distribution kernel), or check the kernel log (dmesg, journalctl -k). No device was changed.", target));
        return false;
    }

    /// <summary>Runs the plans in order; on the first failure puts back every device touched and writes one error.</summary>
    private bool Execute(List<DevicePlan> plans, bool enable)
    {
        var touched = new List<DevicePlan>();
        foreach (var plan in plans)
        {
            if (plan.Writes.Count == 0) continue;
            touched.Add(plan);
            VfioException? failure = null;
            foreach (var write in plan.Writes)
            {
                _host.Verbose($"{plan.Address}: {write}.");
                var errno = _writer.Write(write.Path, write.Text);
                if (errno != Errno.None) { failure = WriteFailure(write, errno, plan.Address); break; }
            }
            if (failure is null && plan.Probes)
            {
                string? driver = WaitForDriver(plan.Address, enable ? PciDeviceEnumerator.IsVfioDriver : d => d is not null);
                if (enable && !PciDeviceEnumerator.IsVfioDriver(driver))
                    failure = new VfioException("VfioDriverNotBound", VfioErrorKind.DeviceError,
                        $"vfio-pci did not take {plan.Address}: after drivers_probe it is {(driver is null ? "bound to no driver" : "bound to " + driver)}. " +
                        "drivers_probe reports success even when no driver binds; the kernel log says why (dmesg, journalctl -k), for example a device without an IOMMU group.",
                        plan.Address);
                else if (enable) _host.Verbose($"{plan.Address} is on {driver}.");
                else if (driver is null) _host.Warning($"No driver took {plan.Address} ({plan.Id}): it stays unbound. That is expected for a device without a host driver; otherwise load its driver (modprobe) and write {plan.Address} to {_paths.DriversProbe}.");
                else _host.Verbose($"{plan.Address} is now on {driver}.");
            }
            if (failure is not null)
            {
                _host.Error(WithRollback(failure, touched, plans.Skip(plans.IndexOf(plan) + 1).Where(p => p.Writes.Count > 0).ToList()));
                return false;
            }
        }
        return true;
    }

    private string? WaitForDriver(string address, Func<string?, bool> settled)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            string? driver = PciDeviceEnumerator.ReadDriver(_paths, address);
            if (settled(driver) || clock.Elapsed >= _options.ProbeSettleTime) return driver;
            Thread.Sleep(20);
        }
    }

    private VfioException WriteFailure(SysfsWrite write, Errno errno, string address) => errno switch
    {
        Errno.EACCES or Errno.EPERM => new VfioException("VfioSysfsPermissionDenied", VfioErrorKind.PermissionDenied,
            $"Permission denied writing {write.Path}: moving a device between drivers needs root (or write access to /sys/bus/pci).", address, errno),
        Errno.ENOENT or Errno.ENODEV when !Directory.Exists(_paths.PciDevice(address)) => new VfioException("VfioDeviceNotFound", VfioErrorKind.ObjectNotFound,
            $"{address} went away while it was being moved (writing {write.Path}: {ErrnoText.Format(errno)}).", address, errno),
        _ => new VfioException("VfioSysfsWriteFailed", VfioException.KindFromErrno(errno),
            $"Writing '{write.Text.Replace("\n", "\\n", StringComparison.Ordinal)}' to {write.Path} failed: {ErrnoText.Format(errno)}.", address, errno),
    };

    /// <summary>Puts back every device touched (the failing one last in, first out) and says so in the error.</summary>
    private VfioException WithRollback(VfioException failure, List<DevicePlan> touched, List<DevicePlan> untouched)
    {
        var results = new List<string>();
        bool allRestored = true;
        foreach (var plan in Enumerable.Reverse(touched))
        {
            string? problem = Restore(plan);
            allRestored &= problem is null;
            results.Add(problem is null
                ? $"{plan.Address} restored ({(plan.Driver is null ? "no driver" : "on " + plan.Driver)}, driver_override {plan.Override ?? "none"})"
                : $"{plan.Address} NOT restored: {problem}");
        }
        string message = failure.Message + (allRestored ? " Nothing is left half done: " : " Putting the devices back failed in part: ") +
            string.Join("; ", results) + "." +
            (untouched.Count > 0 ? " Not touched: " + string.Join(", ", untouched.Select(p => p.Address)) + "." : "");
        return new VfioException(failure.ErrorId, failure.Kind, message, failure.Target, failure.Errno, failure);
    }

    /// <summary>Previous driver_override back, then the previous driver: unbind, reprobe, and an explicit bind if the probe chose another.</summary>
    private string? Restore(DevicePlan plan)
    {
        var problems = new List<string>();
        void Write(string path, string text)
        {
            var write = new SysfsWrite(path, text);
            _host.Verbose($"{plan.Address} (putting back): {write}.");
            var errno = _writer.Write(path, text);
            if (errno != Errno.None) problems.Add($"{write} failed: {ErrnoText.Format(errno)}");
        }
        if (PciDeviceEnumerator.ReadDriverOverride(_paths, plan.Address) != plan.Override)
            Write(_paths.DriverOverride(plan.Address), plan.Override ?? "\n");
        string? now = PciDeviceEnumerator.ReadDriver(_paths, plan.Address);
        if (now != plan.Driver)
        {
            if (now is not null) Write(_paths.DeviceUnbind(plan.Address), plan.Address);
            if (plan.Driver is not null)
            {
                Write(_paths.DriversProbe, plan.Address);
                now = WaitForDriver(plan.Address, d => d == plan.Driver);
                // A driver that got the device through bind or new_id is not chosen by a probe: bind it by name.
                if (now is null && Directory.Exists(_paths.PciDriver(plan.Driver)))
                {
                    Write(_paths.DriverBind(plan.Driver), plan.Address);
                    now = PciDeviceEnumerator.ReadDriver(_paths, plan.Address);
                }
            }
            else now = PciDeviceEnumerator.ReadDriver(_paths, plan.Address);
            if (now != plan.Driver) problems.Add($"it is {(now is null ? "on no driver" : "on " + now)}, not {(plan.Driver ?? "unbound")}");
        }
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private void WarnAboutGroups(HashSet<string> moved)
    {
        var warned = new HashSet<int>();
        foreach (string address in moved.OrderBy(a => a, StringComparer.Ordinal))
        {
            int? group = PciDeviceEnumerator.ReadIommuGroup(_paths, address);
            if (group is null || !warned.Add(group.Value)) continue;
            var blocking = GroupMembers(address).Where(m => !moved.Contains(m))
                .Select(m => (Address: m, Driver: PciDeviceEnumerator.ReadDriver(_paths, m)))
                .Where(m => !PciDeviceEnumerator.KeepsGroupViable(m.Driver)).ToList();
            if (blocking.Count == 0) continue;
            _host.Warning($"IOMMU group {group} is not viable: " + string.Join(", ", blocking.Select(b => $"{b.Address} is bound to {b.Driver}")) +
                $". {address} is on vfio-pci, but VFIO cannot open it until every device of the group is on vfio-pci, pci-stub or no driver (add -IncludeGroup).");
        }
    }

    private void Persist(IReadOnlyList<string> addresses, bool enable)
    {
        if (addresses.Count == 0) return;
        try
        {
            var changed = enable ? VfioPciUdevRules.Add(_paths, addresses) : VfioPciUdevRules.Remove(_paths, addresses);
            foreach (string address in changed)
                _host.Verbose(enable ? $"{_paths.UdevRuleFile}: added the line for {address}." : $"{_paths.UdevRuleFile}: removed the line for {address}.");
        }
        catch (VfioException e)
        {
            _host.Error(e);
        }
    }
}
