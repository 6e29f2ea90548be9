using System;
using VfioPS.Abi;

namespace VfioPS;

/// <summary>One capability of the VFIO_DEVICE_INFO chain, in chain order. Only PCI_ATOMIC_COMP is decoded; the others are kept raw.</summary>
public sealed class VfioDeviceCapability
{
    internal VfioDeviceCapability(string device, ushort id, ushort version, uint offset, uint next, VfioPciAtomicCompFlags? atomicCompleter, byte[] data)
    {
        Device = device;
        Id = id;
        Version = version;
        Offset = offset;
        Next = next;
        AtomicCompleter = atomicCompleter;
        Data = data;
    }

    public string Device { get; }
    public ushort Id { get; }
    public ushort Version { get; }
    /// <summary>Where the capability's header sits, counted from the start of the vfio_device_info answer.</summary>
    public uint Offset { get; }
    public uint Next { get; }
    /// <summary>ZpciBase, ZpciGroup, ZpciUtil, ZpciPfip (s390, kept raw), PciAtomicComp, or Unknown.</summary>
    public string Name => VfioDeviceInfoCapabilityCodec.Name(Id);
    /// <summary>The AtomicOp completer widths of PCI_ATOMIC_COMP; null for other capabilities.</summary>
    public VfioPciAtomicCompFlags? AtomicCompleter { get; }
    /// <summary>The capability's bytes, header included.</summary>
    public byte[] Data { get; }

    public override string ToString() => $"{Device} device capability {Id} ({Name}) v{Version} @{Offset}";
}
