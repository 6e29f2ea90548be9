using System;
using System.Collections.Generic;
using VfioPS.Abi;

namespace VfioPS;

/// <summary>One IRQ index of a device, as VFIO_DEVICE_GET_IRQ_INFO answered it.</summary>
public sealed class VfioIrqInfo
{
    internal VfioIrqInfo(string device, uint index, string name, uint count, VfioIrqFlags flags, bool isDeviceSpecific,
        uint? type, uint? subtype, IReadOnlyList<VfioIrqCapability> capabilities, bool supported, string? unsupportedReason)
    {
        Device = device;
        Index = index;
        Name = name;
        Count = count;
        Flags = flags;
        IsDeviceSpecific = isDeviceSpecific;
        Type = type;
        Subtype = subtype;
        Capabilities = capabilities is VfioIrqCapability[] array ? array : new List<VfioIrqCapability>(capabilities).ToArray();
        Supported = supported;
        UnsupportedReason = unsupportedReason;
    }

    /// <summary>The device's name; binds by property name to -Device of the other VfioPS cmdlets.</summary>
    public string Device { get; }
    public uint Index { get; }
    /// <summary>INTx, MSI, MSI-X, ERR, REQ for the fixed PCI indexes; TYPE/SUBTYPE (e.g. GFX/DISPLAY) or IndexN for the others.</summary>
    public string Name { get; }
    /// <summary>Vectors in the index; 0 means the index exists but is not implemented by the device.</summary>
    public uint Count { get; }
    public VfioIrqFlags Flags { get; }
    /// <summary>True for indexes beyond the fixed PCI ones (index &gt;= 5), which a capability chain describes.</summary>
    public bool IsDeviceSpecific { get; }
    /// <summary>From the TYPE capability; null when the index has none.</summary>
    public uint? Type { get; }
    public uint? Subtype { get; }
    public VfioIrqCapability[] Capabilities { get; }
    /// <summary>False only when the device refused the index (EINVAL), e.g. ERR on a conventional PCI device.</summary>
    public bool Supported { get; }
    /// <summary>Why the index is not supported ("EINVAL (Invalid argument)"), null when it is.</summary>
    public string? UnsupportedReason { get; }

    public override string ToString() => $"{Device} {Name} (index {Index})";
}
