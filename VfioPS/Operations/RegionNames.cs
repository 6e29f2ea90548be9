using System;
using System.Globalization;
using VfioPS.Abi;

namespace VfioPS.Operations;

/// <summary>Names of regions: the fixed vfio-pci ones, and names built from a region's TYPE capability.</summary>
public static class RegionNames
{
    /// <summary>The fixed vfio-pci region names, in index order (VFIO_PCI_BAR0_REGION_INDEX .. VFIO_PCI_VGA_REGION_INDEX).</summary>
    public static readonly string[] Fixed = { "BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "CONFIG", "VGA" };

    /// <summary>
    /// The name shown for a region: the fixed name for indexes 0..8 of a PCI device, else TYPE/SUBTYPE from the TYPE
    /// capability (the known vfio-pci types named, e.g. PCI-8086/IGD-OPREGION, GFX/EDID), else "Region" and the number.
    /// </summary>
    public static string For(uint index, bool isPci, uint? type, uint? subtype)
    {
        if (isPci && index < VfioPciRegion.NumFixed) return Fixed[index];
        if (type is uint t && subtype is uint s) return TypeName(t, s);
        return "Region" + index.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>TYPE/SUBTYPE for a region type capability, with the types and subtypes of include/uapi/linux/vfio.h named.</summary>
    public static string TypeName(uint type, uint subtype) => TypeText(type) + "/" + SubtypeText(type, subtype);

    private static string TypeText(uint type)
    {
        if ((type & VfioRegionCapabilityCodec.PciVendorType) != 0)
            return "PCI-" + (type & VfioRegionCapabilityCodec.PciVendorMask).ToString("x4", CultureInfo.InvariantCulture);
        return type switch
        {
            VfioRegionCapabilityCodec.TypeGfx => "GFX",
            VfioRegionCapabilityCodec.TypeCcw => "CCW",
            VfioRegionCapabilityCodec.TypeMigrationDeprecated => "MIGRATION",
            _ => "Type" + type.ToString(CultureInfo.InvariantCulture),
        };
    }

    private const uint IntelVendor = 0x8086;

    private static string SubtypeText(uint type, uint subtype)
    {
        string? known = null;
        if (type == (VfioRegionCapabilityCodec.PciVendorType | IntelVendor))
        {
            known = subtype switch
            {
                VfioRegionCapabilityCodec.SubtypeIntelIgdOpregion => "IGD-OPREGION",
                VfioRegionCapabilityCodec.SubtypeIntelIgdHostCfg => "IGD-HOST-CFG",
                VfioRegionCapabilityCodec.SubtypeIntelIgdLpcCfg => "IGD-LPC-CFG",
                _ => null,
            };
        }
        else if (type == VfioRegionCapabilityCodec.TypeGfx && subtype == VfioRegionCapabilityCodec.SubtypeGfxEdid)
        {
            known = "EDID";
        }
        else if (type == VfioRegionCapabilityCodec.TypeCcw)
        {
            known = subtype switch
            {
                VfioRegionCapabilityCodec.SubtypeCcwAsyncCmd => "ASYNC-CMD",
                VfioRegionCapabilityCodec.SubtypeCcwSchib => "SCHIB",
                VfioRegionCapabilityCodec.SubtypeCcwCrw => "CRW",
                _ => null,
            };
        }
        else if (type == VfioRegionCapabilityCodec.TypeMigrationDeprecated && subtype == VfioRegionCapabilityCodec.SubtypeMigrationDeprecated)
        {
            // The v1 migration region, removed from the kernel in 6.2; both constants carry _DEPRECATED.
            known = "DEPRECATED";
        }
        return known ?? "Subtype" + subtype.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Parses a region index as a user writes it: a number (decimal or 0x hex) or a fixed vfio-pci name
    /// (BAR0..BAR5, ROM, CONFIG, VGA), case-insensitive.
    /// </summary>
    public static bool TryParse(string? text, out uint index)
    {
        index = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        string t = text.Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return uint.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out index);
        if (uint.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out index)) return true;
        for (uint i = 0; i < Fixed.Length; i++)
        {
            if (string.Equals(t, Fixed[i], StringComparison.OrdinalIgnoreCase)) { index = i; return true; }
        }
        return false;
    }
}
