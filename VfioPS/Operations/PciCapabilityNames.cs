using System.Globalization;

namespace VfioPS.Operations;

/// <summary>Names for PCI capability ids, PCIe port types, link speeds and class codes (PCI Local Bus / PCIe Base specs, include/uapi/linux/pci_regs.h).</summary>
public static class PciCapabilityNames
{
    public static string For(ushort id, bool extended) => extended ? Extended(id) : Standard(id);

    public static string Standard(ushort id) => id switch
    {
        0x01 => "PM",
        0x02 => "AGP",
        0x03 => "VPD",
        0x04 => "SlotId",
        0x05 => "MSI",
        0x06 => "CompactPciHotSwap",
        0x07 => "PCI-X",
        0x08 => "HyperTransport",
        0x09 => "Vendor",
        0x0A => "DebugPort",
        0x0B => "CompactPciCrc",
        0x0C => "HotPlug",
        0x0D => "BridgeSubsystemVendorId",
        0x0E => "AGP3",
        0x0F => "SecureDevice",
        0x10 => "PCIe",
        0x11 => "MSI-X",
        0x12 => "SATA",
        0x13 => "AdvancedFeatures",
        0x14 => "EnhancedAllocation",
        0x15 => "FlatteningPortalBridge",
        _ => Unknown(id),
    };

    public static string Extended(ushort id) => id switch
    {
        0x0001 => "AER",
        0x0002 => "VirtualChannel",
        0x0003 => "DSN",
        0x0004 => "PowerBudgeting",
        0x0005 => "RootComplexLinkDeclaration",
        0x0006 => "RootComplexInternalLinkControl",
        0x0007 => "RootComplexEventCollector",
        0x0008 => "MFVC",
        0x0009 => "VirtualChannel9",
        0x000A => "RCRB",
        0x000B => "VendorSpecific",
        0x000D => "ACS",
        0x000E => "ARI",
        0x000F => "ATS",
        0x0010 => "SR-IOV",
        0x0011 => "MR-IOV",
        0x0012 => "Multicast",
        0x0013 => "PRI",
        0x0015 => "ResizableBar",
        0x0016 => "DPA",
        0x0017 => "TPH",
        0x0018 => "LTR",
        0x0019 => "SecondaryPCIe",
        0x001B => "PASID",
        0x001D => "DPC",
        0x001E => "L1Substates",
        0x001F => "PTM",
        0x0023 => "DVSEC",
        0x0025 => "DataLinkFeature",
        0x0026 => "PhysicalLayer16GT",
        _ => Unknown(id),
    };

    private static string Unknown(ushort id) => "Unknown(0x" + id.ToString("x2", CultureInfo.InvariantCulture) + ")";

    public static string PortType(int type) => type switch
    {
        0 => "Endpoint",
        1 => "LegacyEndpoint",
        4 => "RootPort",
        5 => "UpstreamSwitchPort",
        6 => "DownstreamSwitchPort",
        7 => "PcieToPciBridge",
        8 => "PciToPcieBridge",
        9 => "RootComplexIntegratedEndpoint",
        10 => "RootComplexEventCollector",
        _ => "Reserved(" + type.ToString(CultureInfo.InvariantCulture) + ")",
    };

    /// <summary>A link speed encoding (Supported Link Speeds vector position) as GT/s.</summary>
    public static string LinkSpeed(int encoding) => encoding switch
    {
        1 => "2.5 GT/s",
        2 => "5 GT/s",
        3 => "8 GT/s",
        4 => "16 GT/s",
        5 => "32 GT/s",
        6 => "64 GT/s",
        _ => "Unknown(" + encoding.ToString(CultureInfo.InvariantCulture) + ")",
    };

    public static string BaseClass(byte value) => value switch
    {
        0x00 => "Unclassified",
        0x01 => "Mass storage controller",
        0x02 => "Network controller",
        0x03 => "Display controller",
        0x04 => "Multimedia controller",
        0x05 => "Memory controller",
        0x06 => "Bridge",
        0x07 => "Communication controller",
        0x08 => "Generic system peripheral",
        0x09 => "Input device controller",
        0x0A => "Docking station",
        0x0B => "Processor",
        0x0C => "Serial bus controller",
        0x0D => "Wireless controller",
        0x0E => "Intelligent controller",
        0x0F => "Satellite communications controller",
        0x10 => "Encryption controller",
        0x11 => "Signal processing controller",
        0x12 => "Processing accelerator",
        0x13 => "Non-essential instrumentation",
        0xFF => "Unassigned class",
        _ => "Reserved(0x" + value.ToString("x2", CultureInfo.InvariantCulture) + ")",
    };
}
