using System;

namespace VfioPS;

/// <summary>
/// One entry of a function's capability list as config space shows it: a standard capability (from the pointer at
/// 0x34) or an extended one (from 0x100). Ids without a decoder of their own stay this base type, with their bytes.
/// </summary>
public class VfioPciCapability
{
    internal VfioPciCapability(string device, bool extended, ushort offset, ushort id, byte version, ushort next, byte[] bytes)
    {
        Device = device;
        Extended = extended;
        Offset = offset;
        Id = id;
        Version = version;
        Next = next;
        Bytes = bytes;
        Name = Operations.PciCapabilityNames.For(id, extended);
    }

    public string Device { get; }
    /// <summary>True for a PCI Express extended capability (config offset 0x100 and up).</summary>
    public bool Extended { get; }
    public ushort Offset { get; }
    public ushort Id { get; }
    /// <summary>"MSI", "MSI-X", "PCIe", "PM", "AER"...; "Unknown(0xNN)" for an id the module does not know.</summary>
    public string Name { get; }
    /// <summary>The capability version of an extended capability (bits 16-19 of its header); 0 for a standard one.</summary>
    public byte Version { get; }
    /// <summary>The next pointer as read (0 ends the list).</summary>
    public ushort Next { get; }
    /// <summary>The capability's bytes from its header on: its defined length, or up to the next capability.</summary>
    public byte[] Bytes { get; }

    public override string ToString() => $"{Name} at 0x{Offset:x2}";
}

/// <summary>MSI (id 0x05): the message control word and what follows it.</summary>
public sealed class VfioPciMsiCapability : VfioPciCapability
{
    internal VfioPciMsiCapability(string device, ushort offset, ushort next, byte[] bytes, ushort control, ulong address, ushort data, uint? mask, uint? pending)
        : base(device, false, offset, 0x05, 0, next, bytes)
    {
        Control = control;
        MessageAddress = address;
        MessageData = data;
        MaskBits = mask;
        PendingBits = pending;
    }

    public ushort Control { get; }
    public bool Enabled => (Control & 0x1) != 0;
    /// <summary>Vectors the function can request (Multiple Message Capable, 1 to 32).</summary>
    public int MultipleMessageCapable => 1 << ((Control >> 1) & 0x7);
    /// <summary>Vectors enabled (Multiple Message Enable).</summary>
    public int MultipleMessageEnabled => 1 << ((Control >> 4) & 0x7);
    public bool Is64Bit => (Control & 0x80) != 0;
    public bool PerVectorMasking => (Control & 0x100) != 0;
    public ulong MessageAddress { get; }
    public ushort MessageData { get; }
    /// <summary>The per-vector mask bits; null without per-vector masking.</summary>
    public uint? MaskBits { get; }
    public uint? PendingBits { get; }
}

/// <summary>MSI-X (id 0x11): table size, where the table and the PBA live, enable and function mask.</summary>
public sealed class VfioPciMsixCapability : VfioPciCapability
{
    internal VfioPciMsixCapability(string device, ushort offset, ushort next, byte[] bytes, ushort control, uint table, uint pba)
        : base(device, false, offset, 0x11, 0, next, bytes)
    {
        Control = control;
        TableRegister = table;
        PbaRegister = pba;
    }

    public ushort Control { get; }
    /// <summary>Vectors in the table (the encoded N-1 plus one).</summary>
    public int TableSize => (Control & 0x7FF) + 1;
    public bool Enabled => (Control & 0x8000) != 0;
    public bool FunctionMask => (Control & 0x4000) != 0;
    public uint TableRegister { get; }
    public uint PbaRegister { get; }
    /// <summary>The BAR (0-5) that holds the vector table.</summary>
    public int TableBir => (int)(TableRegister & 0x7);
    public uint TableOffset => TableRegister & ~0x7u;
    public int PbaBir => (int)(PbaRegister & 0x7);
    public uint PbaOffset => PbaRegister & ~0x7u;
}

/// <summary>PCI Power Management (id 0x01).</summary>
public sealed class VfioPciPowerManagementCapability : VfioPciCapability
{
    internal VfioPciPowerManagementCapability(string device, ushort offset, ushort next, byte[] bytes, ushort capabilities, ushort control)
        : base(device, false, offset, 0x01, 0, next, bytes)
    {
        PmCapabilities = capabilities;
        PmControl = control;
    }

    public ushort PmCapabilities { get; }
    public ushort PmControl { get; }
    public int PmVersion => PmCapabilities & 0x7;
    public bool D1Support => (PmCapabilities & 0x200) != 0;
    public bool D2Support => (PmCapabilities & 0x400) != 0;
    /// <summary>The PME_Support bits (D0, D1, D2, D3hot, D3cold from bit 0); vfio-pci hides them (reads 0).</summary>
    public int PmeSupport => PmCapabilities >> 11;
    public string PowerState => "D" + (PmControl & 0x3) switch { 3 => "3hot", var s => s.ToString(System.Globalization.CultureInfo.InvariantCulture) };
    public bool NoSoftReset => (PmControl & 0x8) != 0;
    public bool PmeEnabled => (PmControl & 0x100) != 0;
}

/// <summary>PCI Express (id 0x10): device/port type, device capabilities and the link.</summary>
public sealed class VfioPciExpressCapability : VfioPciCapability
{
    internal VfioPciExpressCapability(string device, ushort offset, ushort next, byte[] bytes, ushort flags, uint deviceCapabilities,
        ushort deviceControl, ushort deviceStatus, uint? linkCapabilities, ushort? linkControl, ushort? linkStatus)
        : base(device, false, offset, 0x10, 0, next, bytes)
    {
        Flags = flags;
        DeviceCapabilities = deviceCapabilities;
        DeviceControl = deviceControl;
        DeviceStatus = deviceStatus;
        LinkCapabilities = linkCapabilities;
        LinkControl = linkControl;
        LinkStatus = linkStatus;
    }

    public ushort Flags { get; }
    /// <summary>The capability structure version (1 or 2).</summary>
    public int CapabilityVersion => Flags & 0xF;
    public int DevicePortType => (Flags >> 4) & 0xF;
    /// <summary>"Endpoint", "RootComplexIntegratedEndpoint", "RootPort"...</summary>
    public string DevicePortTypeName => Operations.PciCapabilityNames.PortType(DevicePortType);
    public bool SlotImplemented => (Flags & 0x100) != 0;
    public int InterruptMessageNumber => (Flags >> 9) & 0x1F;
    public uint DeviceCapabilities { get; }
    /// <summary>Max_Payload_Size Supported, in bytes.</summary>
    public int MaxPayloadSupported => 128 << (int)(DeviceCapabilities & 0x7);
    public bool FunctionLevelReset => (DeviceCapabilities & (1u << 28)) != 0;
    public ushort DeviceControl { get; }
    /// <summary>Max_Payload_Size as set in Device Control, in bytes.</summary>
    public int MaxPayload => 128 << ((DeviceControl >> 5) & 0x7);
    public int MaxReadRequest => 128 << ((DeviceControl >> 12) & 0x7);
    public ushort DeviceStatus { get; }
    /// <summary>Link Capabilities; null when config space ends before it.</summary>
    public uint? LinkCapabilities { get; }
    public ushort? LinkControl { get; }
    public ushort? LinkStatus { get; }
    /// <summary>"2.5 GT/s", "5 GT/s"... from Link Capabilities.</summary>
    public string? MaxLinkSpeed => LinkCapabilities is uint c ? Operations.PciCapabilityNames.LinkSpeed((int)(c & 0xF)) : null;
    public int? MaxLinkWidth => LinkCapabilities is uint c ? (int)((c >> 4) & 0x3F) : null;
    /// <summary>The current speed from Link Status.</summary>
    public string? LinkSpeed => LinkStatus is ushort s ? Operations.PciCapabilityNames.LinkSpeed(s & 0xF) : null;
    /// <summary>The negotiated width from Link Status (x1 = 1).</summary>
    public int? LinkWidth => LinkStatus is ushort s ? (s >> 4) & 0x3F : null;
    /// <summary>
    /// Whether the spec defines link registers for this port type: not for root-complex integrated endpoints and
    /// event collectors, whose link words are reserved (QEMU still fills them in for its integrated endpoints).
    /// </summary>
    public bool HasLink => DevicePortType is not (9 or 10);
}

/// <summary>Advanced Error Reporting (extended id 0x0001).</summary>
public sealed class VfioPciAerCapability : VfioPciCapability
{
    internal VfioPciAerCapability(string device, ushort offset, byte version, ushort next, byte[] bytes, uint[] registers)
        : base(device, true, offset, 0x0001, version, next, bytes)
    {
        UncorrectableStatus = registers[0];
        UncorrectableMask = registers[1];
        UncorrectableSeverity = registers[2];
        CorrectableStatus = registers[3];
        CorrectableMask = registers[4];
        CapabilitiesAndControl = registers[5];
    }

    public uint UncorrectableStatus { get; }
    public uint UncorrectableMask { get; }
    public uint UncorrectableSeverity { get; }
    public uint CorrectableStatus { get; }
    public uint CorrectableMask { get; }
    public uint CapabilitiesAndControl { get; }
    public int FirstErrorPointer => (int)(CapabilitiesAndControl & 0x1F);
    public bool EcrcGenerationCapable => (CapabilitiesAndControl & 0x20) != 0;
    public bool EcrcGenerationEnabled => (CapabilitiesAndControl & 0x40) != 0;
    public bool EcrcCheckCapable => (CapabilitiesAndControl & 0x80) != 0;
    public bool EcrcCheckEnabled => (CapabilitiesAndControl & 0x100) != 0;
}
