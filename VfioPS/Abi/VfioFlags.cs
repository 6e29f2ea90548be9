using System;

namespace VfioPS.Abi;

/// <summary>vfio_device_info.flags (include/uapi/linux/vfio.h).</summary>
[Flags]
public enum VfioDeviceFlags : uint
{
    None = 0,
    Reset = 1u << 0,
    Pci = 1u << 1,
    Platform = 1u << 2,
    Amba = 1u << 3,
    Ccw = 1u << 4,
    Ap = 1u << 5,
    FslMc = 1u << 6,
    Caps = 1u << 7,
    Cdx = 1u << 8,
}

/// <summary>
/// vfio_irq_info.flags. EventFd..NoResize are mainline; Caps (1 &lt;&lt; 4) is the seed's proposal as corrected
/// in review and is never set by a mainline kernel. Bits the module does not know are kept, not dropped.
/// </summary>
[Flags]
public enum VfioIrqFlags : uint
{
    None = 0,
    EventFd = 1u << 0,
    Maskable = 1u << 1,
    AutoMasked = 1u << 2,
    NoResize = 1u << 3,
    Caps = 1u << 4,
}

/// <summary>The fixed vfio-pci IRQ indexes. Indexes at or above <see cref="NumFixed"/> are device specific.</summary>
public enum VfioPciIrqIndex : uint
{
    IntX = 0,
    Msi = 1,
    MsiX = 2,
    Err = 3,
    Req = 4,
}

public static class VfioPciIrq
{
    /// <summary>VFIO_PCI_NUM_IRQS: the fixed-index count, implicit (5) in mainline, "= 5" in the seed.</summary>
    public const uint NumFixed = 5;
}
