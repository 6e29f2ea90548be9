using System;
using System.Linq;

namespace VfioPS.Operations;

/// <summary>
/// Config space through the CONFIG region (vfio-pci index 7): the whole space read and decoded, and single register
/// writes read back so the caller sees what vfio-pci and the device kept.
/// </summary>
public static class PciConfigAccess
{
    public const uint ConfigIndex = 7;

    /// <summary>The raw bytes of config space: the CONFIG region's whole size (256 or 4096).</summary>
    public static byte[] ReadBytes(VfioDevice device)
    {
        var info = RegionInfoReader.Read(device, ConfigIndex).Info;
        if (!info.Supported || info.Size == 0)
            throw new VfioException("VfioPciConfigUnavailable", VfioErrorKind.ObjectNotFound,
                $"'{device.Name}' has no CONFIG region (region 7): {(info.Supported ? "its size is 0" : info.UnsupportedReason)}. Config space exists on vfio-pci devices.",
                device.Name);
        if (info.Size > 4096)
            throw new VfioException("VfioPciConfigUnavailable", VfioErrorKind.InvalidData,
                $"The CONFIG region of '{device.Name}' claims 0x{info.Size:x} bytes; PCI config space has at most 4096.", device.Name);
        return RegionAccess.Read(device, ConfigIndex, 0, (int)info.Size).Bytes;
    }

    public static VfioPciConfig Read(VfioDevice device) => PciConfigDecoder.Decode(device.Name, ReadBytes(device));

    /// <summary>
    /// Writes <paramref name="value"/> (<paramref name="width"/> 1, 2 or 4 bytes, naturally aligned) at
    /// <paramref name="offset"/>, and reads the register before and after.
    /// </summary>
    public static VfioPciConfigWrite Write(VfioDevice device, ushort offset, int width, uint value, string register)
    {
        if (width is not (1 or 2 or 4))
            throw new VfioException("VfioRegionWidthInvalid", VfioErrorKind.InvalidArgument, $"A config register is 1, 2 or 4 bytes wide, not {width}.", device.Name);
        byte[] data = RegionAccess.Encode(value, width, device.Name);
        uint before = ToUInt(RegionAccess.Read(device, ConfigIndex, offset, width, width).Bytes);
        RegionAccess.Write(device, ConfigIndex, offset, data, width);
        uint after = ToUInt(RegionAccess.Read(device, ConfigIndex, offset, width, width).Bytes);
        return new VfioPciConfigWrite(device.Name, offset, width, register, before, value, after);
    }

    private static uint ToUInt(byte[] bytes)
    {
        uint value = 0;
        for (int i = 0; i < bytes.Length; i++) value |= (uint)bytes[i] << (8 * i);
        return value;
    }

    /// <summary>The register at <paramref name="offset"/> by name, from the header layout and the decoded capability lists.</summary>
    public static string RegisterName(VfioPciConfig config, int offset)
    {
        if (offset < PciConfigDecoder.HeaderSize && config.HeaderType == 0)
        {
            return offset switch
            {
                < 0x02 => "VendorId",
                < 0x04 => "DeviceId",
                < 0x06 => "Command",
                < 0x08 => "Status",
                0x08 => "RevisionId",
                < 0x0C => "ClassCode",
                0x0C => "CacheLineSize",
                0x0D => "LatencyTimer",
                0x0E => "HeaderType",
                0x0F => "BIST",
                < 0x28 => "BAR" + (offset - 0x10) / 4,
                < 0x2C => "CardbusCisPointer",
                < 0x2E => "SubsystemVendorId",
                < 0x30 => "SubsystemId",
                < 0x34 => "RomBar",
                0x34 => "CapabilitiesPointer",
                < 0x3C => "Reserved",
                0x3C => "InterruptLine",
                0x3D => "InterruptPin",
                0x3E => "MinGrant",
                _ => "MaxLatency",
            };
        }
        if (offset < PciConfigDecoder.HeaderSize) return "Header+0x" + offset.ToString("x2", System.Globalization.CultureInfo.InvariantCulture);
        var cap = config.Capabilities.Concat(config.ExtendedCapabilities)
            .FirstOrDefault(c => offset >= c.Offset && offset < c.Offset + c.Bytes.Length);
        if (cap is null) return "Unassigned";
        int relative = offset - cap.Offset;
        string field = (cap.Name, relative) switch
        {
            (_, 0) when !cap.Extended => "Id",
            (_, 1) when !cap.Extended => "Next",
            (_, < 4) when cap.Extended => "Header",
            ("MSI" or "MSI-X", 2 or 3) => "Control",
            ("MSI", 4) => "MessageAddress",
            ("MSI-X", 4) => "Table",
            ("MSI-X", 8) => "PBA",
            ("PM", 2) => "Capabilities",
            ("PM", 4) => "Control",
            ("PCIe", 2) => "Flags",
            ("PCIe", 4) => "DeviceCapabilities",
            ("PCIe", 8) => "DeviceControl",
            ("PCIe", 0x0A) => "DeviceStatus",
            ("PCIe", 0x0C) => "LinkCapabilities",
            ("PCIe", 0x10) => "LinkControl",
            ("PCIe", 0x12) => "LinkStatus",
            ("PCIe", 0x28) => "DeviceControl2",
            ("AER", 4) => "UncorrectableStatus",
            ("AER", 8) => "UncorrectableMask",
            ("AER", 0x0C) => "UncorrectableSeverity",
            ("AER", 0x10) => "CorrectableStatus",
            ("AER", 0x14) => "CorrectableMask",
            ("AER", 0x18) => "CapabilitiesAndControl",
            _ => "",
        };
        string at = $"{cap.Name}+0x{relative:x}";
        return field.Length == 0 ? at : $"{at} ({field})";
    }
}
