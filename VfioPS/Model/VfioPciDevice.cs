using System;
using System.Globalization;

namespace VfioPS;

/// <summary>A PCI device as sysfs describes it, with what VFIO needs to open it.</summary>
public sealed class VfioPciDevice
{
    internal VfioPciDevice(string address, ushort vendorId, ushort deviceId, uint @class, string? driver, int? iommuGroup,
        string? groupPath, string? cdevPath, string[] groupDevices, bool usable, string? unusableReason, string? driverOverride = null, bool persistentOverride = false,
        string[]? resetMethods = null)
    {
        Address = address;
        VendorId = vendorId;
        DeviceId = deviceId;
        Class = @class;
        Driver = driver;
        IommuGroup = iommuGroup;
        GroupPath = groupPath;
        CdevPath = cdevPath;
        GroupDevices = groupDevices;
        Usable = usable;
        UnusableReason = unusableReason;
        DriverOverride = driverOverride;
        PersistentOverride = persistentOverride;
        ResetMethods = resetMethods ?? Array.Empty<string>();
    }

    /// <summary>DDDD:BB:DD.F; binds by property name to -Device (alias Address) of the other cmdlets.</summary>
    public string Address { get; }
    public ushort VendorId { get; }
    public ushort DeviceId { get; }
    /// <summary>"8086:10d3".</summary>
    public string Id => VendorId.ToString("x4", CultureInfo.InvariantCulture) + ":" + DeviceId.ToString("x4", CultureInfo.InvariantCulture);
    /// <summary>The 24-bit class code (0x020000 is an Ethernet controller).</summary>
    public uint Class { get; }
    public string? Driver { get; }
    public int? IommuGroup { get; }
    /// <summary>/dev/vfio/&lt;group&gt;.</summary>
    public string? GroupPath { get; }
    /// <summary>/dev/vfio/devices/vfioN where the kernel has VFIO device cdevs.</summary>
    public string? CdevPath { get; }
    /// <summary>Every device in the same IOMMU group (they are opened and owned together).</summary>
    public string[] GroupDevices { get; }
    /// <summary>Bound to vfio-pci, in a viable group whose device node exists.</summary>
    public bool Usable { get; }
    public string? UnusableReason { get; }
    /// <summary>
    /// The driver named in the device's driver_override file, the only driver the kernel will bind it to; null when
    /// none is set (the kernel shows "(null)").
    /// </summary>
    public string? DriverOverride { get; }
    /// <summary>
    /// The override is made again at boot: a line for the device in VfioPS's udev rule file
    /// (/etc/udev/rules.d/61-vfiops-vfio-pci.rules) or a driverctl override file (/etc/driverctl.d/pci-&lt;address&gt;).
    /// </summary>
    public bool PersistentOverride { get; }
    /// <summary>
    /// The reset methods the kernel can use on the function, in the order it tries them, from sysfs reset_method
    /// (flr, af_flr, pm, bus, acpi, device_specific, cxl_bus). Empty when the file does not exist: the kernel shows
    /// it only for a device that has at least one.
    /// </summary>
    public string[] ResetMethods { get; }

    public override string ToString() => Address;
}
