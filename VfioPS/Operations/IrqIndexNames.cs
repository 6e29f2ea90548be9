using System;
using System.Globalization;
using VfioPS.Abi;

namespace VfioPS.Operations;

/// <summary>Names of IRQ indexes: the fixed vfio-pci ones, and names built from a TYPE capability.</summary>
public static class IrqIndexNames
{
    /// <summary>The fixed vfio-pci index names, in index order.</summary>
    public static readonly string[] Fixed = { "INTx", "MSI", "MSI-X", "ERR", "REQ" };

    /// <summary>
    /// The name shown for an index: the fixed name on a PCI device, else TYPE/SUBTYPE from the TYPE capability
    /// (GFX/DISPLAY for the seed's display IRQ), else "Index" and the number.
    /// </summary>
    public static string For(uint index, bool isPci, uint? type, uint? subtype)
    {
        if (isPci && index < VfioPciIrq.NumFixed) return Fixed[index];
        if (type is uint t && subtype is uint s) return TypeName(t, s);
        return "Index" + index.ToString(CultureInfo.InvariantCulture);
    }

    // The one device-specific name a known device has: made once, not per read.
    private const string GfxDisplay = "GFX/DISPLAY";

    /// <summary>GFX/DISPLAY for the seed's VFIO_IRQ_TYPE_GFX/VFIO_IRQ_SUBTYPE_GFX_DISPLAY_IRQ; Type{t}/Subtype{s} otherwise.</summary>
    public static string TypeName(uint type, uint subtype)
    {
        if (type == VfioCapabilityCodec.IrqTypeGfx && subtype == VfioCapabilityCodec.IrqSubtypeGfxDisplayIrq) return GfxDisplay;
        string typeText = type == VfioCapabilityCodec.IrqTypeGfx ? "GFX" : "Type" + type.ToString(CultureInfo.InvariantCulture);
        string subtypeText = type == VfioCapabilityCodec.IrqTypeGfx && subtype == VfioCapabilityCodec.IrqSubtypeGfxDisplayIrq
            ? "DISPLAY"
            : "Subtype" + subtype.ToString(CultureInfo.InvariantCulture);
        return typeText + "/" + subtypeText;
    }

    /// <summary>
    /// Parses an index as a user writes it: a number (decimal or 0x hex) or a fixed name, case-insensitive,
    /// with MSIX accepted for MSI-X.
    /// </summary>
    public static bool TryParse(string? text, out uint index)
    {
        index = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        string t = text.Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return uint.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out index);
        if (uint.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out index)) return true;
        if (string.Equals(t, "MSIX", StringComparison.OrdinalIgnoreCase)) { index = (uint)VfioPciIrqIndex.MsiX; return true; }
        for (uint i = 0; i < Fixed.Length; i++)
        {
            if (string.Equals(t, Fixed[i], StringComparison.OrdinalIgnoreCase)) { index = i; return true; }
        }
        return false;
    }
}
