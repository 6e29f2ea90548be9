namespace VfioPS.Abi;

/// <summary>
/// VFIO ioctl request numbers. Every VFIO request is <c>_IO(';', 100 + n)</c>: no direction bits and no size,
/// because callers state the size in <c>argsz</c>. The numbers are reused across fd kinds (0x3B70 is
/// GET_PCI_HOT_RESET_INFO on a device fd and IOMMU_GET_INFO on a container fd), so a channel dispatches on the
/// fd it owns, never on the number alone.
/// </summary>
public static class VfioIoctl
{
    /// <summary>VFIO_TYPE, the ioctl "magic" character ';'.</summary>
    public const uint Type = 0x3B;

    /// <summary>VFIO_BASE, added to every request's sequence number.</summary>
    public const uint Base = 100;

    /// <summary>_IO(type, nr) on Linux (x86_64, arm64, arm): <c>(type &lt;&lt; 8) | nr</c>.</summary>
    public static uint Io(uint type, uint nr) => (type << 8) | nr;

    public static readonly uint GetApiVersion = Io(Type, Base + 0);
    public static readonly uint CheckExtension = Io(Type, Base + 1);
    public static readonly uint SetIommu = Io(Type, Base + 2);
    public static readonly uint GroupGetStatus = Io(Type, Base + 3);
    public static readonly uint GroupSetContainer = Io(Type, Base + 4);
    public static readonly uint GroupUnsetContainer = Io(Type, Base + 5);
    public static readonly uint GroupGetDeviceFd = Io(Type, Base + 6);
    public static readonly uint DeviceGetInfo = Io(Type, Base + 7);
    public static readonly uint DeviceGetRegionInfo = Io(Type, Base + 8);
    public static readonly uint DeviceGetIrqInfo = Io(Type, Base + 9);
    public static readonly uint DeviceSetIrqs = Io(Type, Base + 10);
    public static readonly uint DeviceReset = Io(Type, Base + 11);
    /// <summary>On a device fd; the same number is VFIO_IOMMU_GET_INFO on a container fd.</summary>
    public static readonly uint DeviceGetPciHotResetInfo = Io(Type, Base + 12);
    public static readonly uint DeviceBindIommufd = Io(Type, Base + 18);

    /// <summary>The kernel name of a device-fd request, for messages; the hex value when it is not one of ours.</summary>
    public static string DeviceRequestName(uint request)
    {
        if (request == DeviceGetInfo) return "VFIO_DEVICE_GET_INFO";
        if (request == DeviceGetRegionInfo) return "VFIO_DEVICE_GET_REGION_INFO";
        if (request == DeviceGetIrqInfo) return "VFIO_DEVICE_GET_IRQ_INFO";
        if (request == DeviceSetIrqs) return "VFIO_DEVICE_SET_IRQS";
        if (request == DeviceReset) return "VFIO_DEVICE_RESET";
        if (request == DeviceGetPciHotResetInfo) return "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO";
        if (request == DeviceBindIommufd) return "VFIO_DEVICE_BIND_IOMMUFD";
        return "0x" + request.ToString("X");
    }
}
