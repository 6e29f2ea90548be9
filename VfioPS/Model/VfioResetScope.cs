using System;
using VfioPS.Abi;

namespace VfioPS;

/// <summary>One device a slot or bus reset of the scope's device would also reset (an entry of vfio_pci_hot_reset_info).</summary>
public sealed class VfioResetScopeDevice
{
    internal VfioResetScopeDevice(string address, int? iommuGroup, uint? devId, bool owned, bool isDevice)
    {
        Address = address;
        IommuGroup = iommuGroup;
        DevId = devId;
        Owned = owned;
        IsDevice = isDevice;
    }

    /// <summary>DDDD:BB:DD.F.</summary>
    public string Address { get; }
    /// <summary>The IOMMU group the kernel reported (a device opened through its group); null when it reported device ids.</summary>
    public int? IommuGroup { get; }
    /// <summary>The iommufd device id the kernel reported (a device opened through its cdev, kernel 6.6+); null otherwise.</summary>
    public uint? DevId { get; }
    /// <summary>
    /// This process owns the device for a hot reset: it holds the device's IOMMU group open (group path), or the
    /// kernel said so (cdev path: a device id, or VFIO_PCI_DEVID_OWNED).
    /// </summary>
    public bool Owned { get; }
    /// <summary>The entry is the scope's own device.</summary>
    public bool IsDevice { get; }

    public override string ToString() => IommuGroup is int g ? $"{Address} (group {g})" : DevId is uint id ? $"{Address} (devid {id})" : Address;
}

/// <summary>
/// What Get-VfioResetScope emits: how an open device can be reset and what else a reset would hit. A function reset
/// (VFIO_DEVICE_RESET) resets the device alone; a slot or bus reset (VFIO_DEVICE_PCI_HOT_RESET) resets every device
/// that VFIO_DEVICE_GET_PCI_HOT_RESET_INFO lists, and needs this process to own all of them.
/// </summary>
public sealed class VfioResetScope
{
    internal VfioResetScope(string device, string[] resetMethods, bool functionReset, bool hotReset, string? hotResetNote,
        VfioPciHotResetFlags flags, VfioResetScopeDevice[] devices, bool? ownsAll)
    {
        Device = device;
        ResetMethods = resetMethods;
        FunctionReset = functionReset;
        HotReset = hotReset;
        HotResetNote = hotResetNote;
        Flags = flags;
        Devices = devices;
        OwnsAll = ownsAll;
    }

    public string Device { get; }
    /// <summary>sysfs reset_method of the device (empty: it has none; a mock: what its profile says).</summary>
    public string[] ResetMethods { get; }
    /// <summary>VFIO_DEVICE_GET_INFO reports VFIO_DEVICE_FLAGS_RESET: Reset-VfioDevice (VFIO_DEVICE_RESET) works.</summary>
    public bool FunctionReset { get; }
    /// <summary>The device has a slot or bus reset (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO answered with its devices).</summary>
    public bool HotReset { get; }
    /// <summary>Why there is no hot reset ("no slot or bus reset" when the kernel answered ENODEV); null when there is one.</summary>
    public string? HotResetNote { get; }
    /// <summary>vfio_pci_hot_reset_info.flags: DevId (entries are iommufd device ids) and DevIdOwned (the kernel says all are owned).</summary>
    public VfioPciHotResetFlags Flags { get; }
    /// <summary>The devices a slot or bus reset would reset, the device itself included; empty without a hot reset.</summary>
    public VfioResetScopeDevice[] Devices { get; }
    /// <summary>This process owns every device of <see cref="Devices"/>, so it could hot-reset them; null without a hot reset.</summary>
    public bool? OwnsAll { get; }

    public override string ToString() => Device;
}
