using System;
using VfioPS.Abi;

namespace VfioPS;

/// <summary>One capability of an IRQ index's chain, in chain order. Unknown ids are kept with their raw bytes.</summary>
public sealed class VfioIrqCapability
{
    internal VfioIrqCapability(string device, uint index, ushort id, ushort version, uint offset, uint next, uint? type, uint? subtype, byte[] data)
    {
        Device = device;
        Index = index;
        Id = id;
        Version = version;
        Offset = offset;
        Next = next;
        Type = type;
        Subtype = subtype;
        Data = data;
    }

    /// <summary>The device's name (an address or a mock name such as mock:gvt-vgpu/1).</summary>
    public string Device { get; }
    public uint Index { get; }
    public ushort Id { get; }
    public ushort Version { get; }
    /// <summary>Where the capability's header sits, counted from the start of the vfio_irq_info answer.</summary>
    public uint Offset { get; }
    /// <summary>The header's next field: the offset of the following capability, 0 for the last.</summary>
    public uint Next { get; }
    /// <summary>"Type" for VFIO_IRQ_INFO_CAP_TYPE, "Unknown" for ids the module does not decode.</summary>
    public string Name => Id == VfioCapabilityCodec.IrqInfoCapType ? "Type" : "Unknown";
    /// <summary>vfio_irq_info_cap_type.type; null for other capabilities.</summary>
    public uint? Type { get; }
    /// <summary>vfio_irq_info_cap_type.subtype; null for other capabilities.</summary>
    public uint? Subtype { get; }
    /// <summary>The capability's bytes, header included: its declared size for known ids, else up to the next capability or the end of the answer.</summary>
    public byte[] Data { get; }

    public override string ToString() => $"{Device} index {Index} capability {Id} v{Version} @{Offset}";
}
