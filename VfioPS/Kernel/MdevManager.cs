using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using VfioPS.Abi;
using VfioPS.Operations;

namespace VfioPS.Kernel;

/// <summary>
/// A planned create: the write that makes the instance, or none when it exists already as asked (then
/// <see cref="Existing"/> is it). Planning reads sysfs only; the caller confirms (ShouldProcess) before
/// <see cref="MdevManager.Create"/> writes.
/// </summary>
internal sealed record MdevCreatePlan(string Parent, string TypeId, string Uuid, SysfsWrite? Write, VfioMdev? Existing)
{
    public string Describe() => $"{Parent}/{TypeId} instance {Uuid}";
}

/// <summary>A planned remove: the write, or none when the instance is already gone.</summary>
internal sealed record MdevRemovePlan(string Uuid, SysfsWrite? Write, VfioMdev? Device);

/// <summary>
/// Creates and removes mediated devices through sysfs, as mdevctl start/stop does: the UUID written to the type's
/// create file, 1 written to the instance's remove file. Every name in a written path comes from a sysfs listing or
/// a parsed UUID. The kernel's errno on a write is its answer and becomes the error.
/// </summary>
internal sealed class MdevManager
{
    private readonly VfioHostPaths _paths;
    private readonly IPciSysfsWriter _writer;

    public MdevManager(VfioHostPaths paths, IPciSysfsWriter? writer = null)
    {
        _paths = paths;
        _writer = writer ?? LinuxPciSysfsWriter.Instance;
    }

    /// <summary>How long to wait for a created instance to show up in /sys/bus/mdev/devices (or a removed one to go).</summary>
    public TimeSpan SettleTime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Checks the request against sysfs; throws what is wrong with it, before anything is written.</summary>
    public MdevCreatePlan PlanCreate(string parent, string typeId, string? uuid)
    {
        string id;
        if (uuid is null) id = MdevUuid.NewUuid();
        else if (!MdevUuid.TryNormalize(uuid, out id))
            throw MdevUuid.Invalid(uuid);
        // Only names sysfs lists are used in paths: a parent or type given as "../x" matches none of them.
        if (!MdevEnumerator.Parents(_paths).Contains(parent, StringComparer.Ordinal))
            throw new VfioException("VfioMdevParentNotFound", VfioErrorKind.ObjectNotFound,
                $"There is no mediated device parent '{parent}' in {_paths.MdevParents}; Get-VfioMdevType lists the parents and their types " +
                "(a parent appears when its driver is loaded).", parent);
        var type = MdevEnumerator.Types(_paths).FirstOrDefault(t => t.Parent == parent && t.TypeId == typeId)
            ?? throw new VfioException("VfioMdevTypeNotFound", VfioErrorKind.ObjectNotFound,
                $"{parent} has no mediated device type '{typeId}'; it offers: {string.Join(", ", MdevEnumerator.Types(_paths).Where(t => t.Parent == parent).Select(t => t.TypeId))}.",
                typeId);

        if (MdevEnumerator.Find(_paths, id) is { } existing)
        {
            if (existing.Parent == parent && existing.TypeId == typeId) return new MdevCreatePlan(parent, typeId, id, null, existing);
            throw new VfioException("VfioMdevUuidInUse", VfioErrorKind.ResourceExists,
                $"{id} already exists as an instance of {existing.Parent}/{existing.TypeId}, not of {parent}/{typeId}; remove it first (Remove-VfioMdev {id}) or choose another UUID.", id);
        }
        if (type.AvailableInstances == 0)
            throw NoInstances(type, id, Errno.None);
        return new MdevCreatePlan(parent, typeId, id, new SysfsWrite(_paths.MdevCreate(parent, typeId), id), null);
    }

    /// <summary>Writes the UUID to the type's create file and returns the new instance as sysfs shows it.</summary>
    public VfioMdev Create(MdevCreatePlan plan)
    {
        if (plan.Write is null) return plan.Existing!;
        var errno = _writer.Write(plan.Write.Path, plan.Write.Text);
        if (errno != Errno.None) throw CreateFailure(plan, errno);
        if (!WaitFor(() => Directory.Exists(_paths.MdevDevice(plan.Uuid))))
            throw new VfioException("VfioMdevNotCreated", VfioErrorKind.DeviceError,
                $"The kernel took {plan.Uuid} for {plan.Parent}/{plan.TypeId}, but {_paths.MdevDevice(plan.Uuid)} did not appear within {SettleTime.TotalSeconds:0.#} s; the kernel log says why (dmesg, journalctl -k).",
                plan.Uuid);
        return MdevEnumerator.Find(_paths, plan.Uuid)!;
    }

    /// <summary>
    /// The remove write for the instance, or none when it is already gone. An instance open as a VfioDevice in this
    /// process is refused: the kernel's remove waits until every user has closed the device, this process included.
    /// </summary>
    public MdevRemovePlan PlanRemove(string uuid)
    {
        if (!MdevUuid.TryNormalize(uuid, out string id))
            throw MdevUuid.Invalid(uuid);
        var device = MdevEnumerator.Find(_paths, id);
        if (device is null) return new MdevRemovePlan(id, null, null);
        if (VfioDeviceRegistry.TryGet(id, out _))
            throw new VfioException("VfioDeviceOpenInSession", VfioErrorKind.ResourceBusy,
                $"{id} is open as a VfioDevice in this session; run Close-VfioDevice {id} first (the remove would wait for this process to close it).", id);
        return new MdevRemovePlan(id, new SysfsWrite(_paths.MdevRemove(id), "1"), device);
    }

    /// <summary>Writes 1 to the instance's remove file and waits for it to go.</summary>
    public void Remove(MdevRemovePlan plan)
    {
        if (plan.Write is null) return;
        var errno = _writer.Write(plan.Write.Path, plan.Write.Text);
        // ENOENT/ENODEV: it went away between the plan and the write, which is what was asked for.
        if (errno is Errno.ENOENT or Errno.ENODEV && !Directory.Exists(_paths.MdevDevice(plan.Uuid))) return;
        if (errno != Errno.None) throw WriteFailure("VfioMdevRemoveFailed", plan.Write, errno, plan.Uuid, "removing a mediated device");
        if (!WaitFor(() => !Directory.Exists(_paths.MdevDevice(plan.Uuid))))
            throw new VfioException("VfioMdevNotRemoved", VfioErrorKind.ResourceBusy,
                $"{plan.Uuid} is still in {_paths.MdevDevices} {SettleTime.TotalSeconds:0.#} s after the remove write: a process still holds it" +
                (plan.Device?.IommuGroup is int group ? $" ({_paths.Group(group)} is open in it; fuser or /proc/*/fd show which)." : "."), plan.Uuid);
    }

    private VfioException CreateFailure(MdevCreatePlan plan, Errno errno) => errno switch
    {
        Errno.EEXIST => new VfioException("VfioMdevUuidInUse", VfioErrorKind.ResourceExists,
            $"The kernel refused {plan.Uuid} for {plan.Parent}/{plan.TypeId}: an instance with that UUID exists ({ErrnoText.Format(errno)}).", plan.Uuid, errno),
        Errno.EUSERS or Errno.ENOSPC => NoInstances(MdevEnumerator.FindType(_paths, plan.Parent, plan.TypeId), plan.Uuid, errno, plan),
        _ => WriteFailure("VfioMdevCreateFailed", plan.Write!, errno, plan.Uuid, "creating a mediated device"),
    };

    private VfioException NoInstances(VfioMdevType? type, string uuid, Errno errno, MdevCreatePlan? plan = null)
    {
        string what = type is null ? $"{plan?.Parent}/{plan?.TypeId}" : $"{type.Parent}/{type.TypeId}";
        string existing = type is null || type.Instances.Length == 0 ? "" : $" (its instances: {string.Join(", ", type.Instances)})";
        string cause = errno == Errno.None ? "available_instances is 0" : $"the kernel answered {ErrnoText.Format(errno)}";
        return new VfioException("VfioMdevNoInstancesAvailable", VfioErrorKind.ResourceUnavailable,
            $"{what} cannot take another instance: {cause}{existing}. Remove an instance (Remove-VfioMdev) or choose another type; no instance was created.",
            uuid, errno);
    }

    private static VfioException WriteFailure(string errorId, SysfsWrite write, Errno errno, string uuid, string what) => errno switch
    {
        Errno.EACCES or Errno.EPERM => new VfioException("VfioSysfsPermissionDenied", VfioErrorKind.PermissionDenied,
            $"Permission denied writing {write.Path}: {what} needs root (or write access to that file).", uuid, errno),
        _ => new VfioException(errorId, VfioException.KindFromErrno(errno), $"Writing '{write.Text}' to {write.Path} failed: {ErrnoText.Format(errno)}.", uuid, errno),
    };

    private bool WaitFor(Func<bool> done)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed >= SettleTime) return false;
            Thread.Sleep(20);
        }
        return true;
    }
}
