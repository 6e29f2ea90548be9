using System;
using System.Globalization;

namespace VfioPS.Kernel;

/// <summary>
/// The names vfio-pci gives the handlers it registers for a device's interrupts, as /proc/interrupts shows them
/// (drivers/vfio/pci/vfio_pci_intrs.c, the same from 3.6 to 6.12 and later): "vfio-intx(&lt;address&gt;)" for the
/// INTx line, "vfio-msi[&lt;vector&gt;](&lt;address&gt;)" and "vfio-msix[&lt;vector&gt;](&lt;address&gt;)" for each MSI
/// and MSI-X vector that has an eventfd bound. The address is pci_name(): DDDD:BB:DD.F in lowercase hex.
/// </summary>
public static class VfioIrqActionName
{
    /// <summary>The VFIO IRQ index of each kind of handler: INTx 0, MSI 1, MSI-X 2.</summary>
    public const uint IntxIndex = 0, MsiIndex = 1, MsixIndex = 2;

    /// <summary>
    /// Reads a handler name: the VFIO IRQ index, the vector (0 for INTx) and the device's address. False for any
    /// other name, including names with a vector that is not a plain decimal int as %d prints it (no sign, no leading
    /// zero) or an address that is not canonical.
    /// </summary>
    public static bool TryParse(string? name, out uint index, out int vector, out string address)
    {
        index = 0;
        vector = 0;
        address = string.Empty;
        if (name is null || !name.StartsWith("vfio-", StringComparison.Ordinal) || !name.EndsWith(')')) return false;
        var rest = name.AsSpan(5);
        if (rest.StartsWith("intx(", StringComparison.Ordinal))
        {
            index = IntxIndex;
            rest = rest[4..];
        }
        else
        {
            if (rest.StartsWith("msix[", StringComparison.Ordinal)) { index = MsixIndex; rest = rest[5..]; }
            else if (rest.StartsWith("msi[", StringComparison.Ordinal)) { index = MsiIndex; rest = rest[4..]; }
            else return false;
            int close = rest.IndexOf(']');
            // The kernel prints the vector with %d: ASCII digits only (int.TryParse would also take trailing NULs), and
            // no leading zero ("msi[01]").
            if (close <= 0) return false;
            var digits = rest[..close];
            if (digits.ContainsAnyExceptInRange('0', '9') || (close > 1 && digits[0] == '0')
                || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out vector)) return false;
            rest = rest[(close + 1)..];
        }
        if (rest.Length < 2 || rest[0] != '(') return false;
        var inner = rest[1..^1];
        if (!PciAddress.TryNormalize(inner.ToString(), out string normalized) || !inner.SequenceEqual(normalized)) return false;
        address = normalized;
        return true;
    }

    /// <summary>The name vfio-pci gives a handler: the inverse of <see cref="TryParse"/>.</summary>
    public static string Format(uint index, int vector, string address) => index switch
    {
        IntxIndex => $"vfio-intx({address})",
        MsiIndex => string.Create(CultureInfo.InvariantCulture, $"vfio-msi[{vector}]({address})"),
        MsixIndex => string.Create(CultureInfo.InvariantCulture, $"vfio-msix[{vector}]({address})"),
        _ => throw new ArgumentOutOfRangeException(nameof(index), index, "vfio-pci names handlers for INTx (0), MSI (1) and MSI-X (2) only."),
    };
}
