using System;
using System.Collections.Generic;
using System.Linq;

namespace VfioPS;

/// <summary>One Base Address Register as config space shows it (vfio-pci virtualizes them: the guest's view).</summary>
public sealed class VfioPciBar
{
    internal VfioPciBar(int number, uint register, uint? upper, bool isUpperHalf)
    {
        Number = number;
        Register = register;
        IsUpperHalf = isUpperHalf;
        if (isUpperHalf || register == 0) return;
        IsIo = (register & 0x1) != 0;
        Is64Bit = !IsIo && ((register >> 1) & 0x3) == 0x2;
        Prefetchable = !IsIo && (register & 0x8) != 0;
        Address = IsIo ? register & ~0x3u : (register & ~0xFu) | ((ulong)(upper ?? 0) << 32);
    }

    public int Number { get; }
    /// <summary>The 32-bit register as read.</summary>
    public uint Register { get; }
    /// <summary>The upper half of the 64-bit BAR before it: no BAR of its own.</summary>
    public bool IsUpperHalf { get; }
    /// <summary>A register that reads 0: vfio-pci shows BARs the host left unassigned as unimplemented.</summary>
    public bool Implemented => !IsUpperHalf && Register != 0;
    public bool IsIo { get; }
    public bool Is64Bit { get; }
    public bool Prefetchable { get; }
    /// <summary>The address bits (both halves for a 64-bit BAR).</summary>
    public ulong Address { get; }
    /// <summary>"IO", "Mem32", "Mem64", "Upper" or "None".</summary>
    public string Kind => IsUpperHalf ? "Upper" : Register == 0 ? "None" : IsIo ? "IO" : Is64Bit ? "Mem64" : "Mem32";

    public override string ToString() => $"BAR{Number} {Kind} 0x{Address:x}";
}

/// <summary>
/// PCI config space of a device as read through its CONFIG region: what a guest sees (vfio-pci's virtualized view),
/// decoded. The type-0 header, the capability list from the pointer at 0x34 and the extended list from 0x100 are
/// walked with bounds and a visited set; a list that points outside config space, at itself or in a cycle ends the
/// walk there, and <see cref="Faults"/> says where.
/// </summary>
public sealed class VfioPciConfig
{
    internal VfioPciConfig(string device, byte[] bytes, VfioPciBar[] bars, VfioPciCapability[] capabilities,
        VfioPciCapability[] extended, string[] faults)
    {
        Device = device;
        Bytes = bytes;
        Bars = bars;
        Capabilities = capabilities;
        ExtendedCapabilities = extended;
        Faults = faults;
    }

    private ushort U16(int offset) => (ushort)(Bytes[offset] | Bytes[offset + 1] << 8);
    private uint U32(int offset) => (uint)(Bytes[offset] | Bytes[offset + 1] << 8 | Bytes[offset + 2] << 16 | Bytes[offset + 3] << 24);

    public string Device { get; }
    /// <summary>The bytes as read: 256 for conventional PCI, 4096 for PCI Express.</summary>
    public byte[] Bytes { get; }
    public int Length => Bytes.Length;
    public ushort VendorId => U16(0x00);
    public ushort DeviceId => U16(0x02);
    public ushort Command => U16(0x04);
    public bool IoSpaceEnabled => (Command & 0x1) != 0;
    public bool MemorySpaceEnabled => (Command & 0x2) != 0;
    public bool BusMaster => (Command & 0x4) != 0;
    public bool InterruptDisable => (Command & 0x400) != 0;
    public ushort Status => U16(0x06);
    public bool CapabilitiesListed => (Status & 0x10) != 0;
    public bool InterruptStatus => (Status & 0x8) != 0;
    public byte RevisionId => Bytes[0x08];
    /// <summary>The 24-bit class code: base class, subclass, programming interface.</summary>
    public uint ClassCode => (uint)(Bytes[0x0B] << 16 | Bytes[0x0A] << 8 | Bytes[0x09]);
    public byte BaseClass => Bytes[0x0B];
    public byte SubClass => Bytes[0x0A];
    public byte ProgrammingInterface => Bytes[0x09];
    /// <summary>The base class by name ("Network controller"...).</summary>
    public string ClassName => Operations.PciCapabilityNames.BaseClass(BaseClass);
    public byte CacheLineSize => Bytes[0x0C];
    public byte LatencyTimer => Bytes[0x0D];
    /// <summary>The header layout (bit 7, multi-function, left out): 0 for an endpoint, 1 for a bridge.</summary>
    public int HeaderType => Bytes[0x0E] & 0x7F;
    public bool MultiFunction => (Bytes[0x0E] & 0x80) != 0;
    public byte Bist => Bytes[0x0F];
    /// <summary>BAR0..BAR5 (BAR0..BAR1 for a bridge header).</summary>
    public VfioPciBar[] Bars { get; }
    /// <summary>Subsystem ids; null for a header type other than 0.</summary>
    public ushort? SubsystemVendorId => HeaderType == 0 ? U16(0x2C) : null;
    public ushort? SubsystemId => HeaderType == 0 ? U16(0x2E) : null;
    /// <summary>The expansion ROM BAR (0x30 in a type-0 header, 0x38 in a bridge's).</summary>
    public uint RomBar => U32(HeaderType == 1 ? 0x38 : 0x30);
    public bool RomEnabled => (RomBar & 0x1) != 0;
    public byte CapabilitiesPointer => Bytes[0x34];
    public byte InterruptLine => Bytes[0x3C];
    public byte InterruptPin => Bytes[0x3D];
    /// <summary>"INTA".."INTD", or "None" for pin 0 (vfio-pci shows 0 when it hides INTx).</summary>
    public string InterruptPinName => InterruptPin switch { 0 => "None", >= 1 and <= 4 => "INT" + (char)('A' + InterruptPin - 1), _ => $"Invalid({InterruptPin})" };
    /// <summary>The standard capability list, in list order.</summary>
    public VfioPciCapability[] Capabilities { get; }
    /// <summary>The extended capability list from 0x100 (empty for 256-byte config space), in list order.</summary>
    public VfioPciCapability[] ExtendedCapabilities { get; }
    /// <summary>What stopped a list walk early: pointers out of bounds, loops. Empty for a well-formed space.</summary>
    public string[] Faults { get; }

    /// <summary>The first capability with this name (MSI, MSI-X, PCIe, PM, AER...), standard list first; null if none.</summary>
    public VfioPciCapability? FindCapability(string name)
        => Capabilities.Concat(ExtendedCapabilities).FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

    public VfioPciMsiCapability? Msi => Capabilities.OfType<VfioPciMsiCapability>().FirstOrDefault();
    public VfioPciMsixCapability? MsiX => Capabilities.OfType<VfioPciMsixCapability>().FirstOrDefault();
    public VfioPciExpressCapability? Express => Capabilities.OfType<VfioPciExpressCapability>().FirstOrDefault();
    public VfioPciPowerManagementCapability? PowerManagement => Capabilities.OfType<VfioPciPowerManagementCapability>().FirstOrDefault();
    public VfioPciAerCapability? Aer => ExtendedCapabilities.OfType<VfioPciAerCapability>().FirstOrDefault();

    /// <summary>"MSI-X@0xa0 PCIe@0xe0 ..." for the table view.</summary>
    public string CapabilitySummary => string.Join(" ", Capabilities.Concat(ExtendedCapabilities).Select(c => $"{c.Name}@0x{c.Offset:x}"));

    public override string ToString() => $"{Device} {VendorId:x4}:{DeviceId:x4}";
}
