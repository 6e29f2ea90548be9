using System;
using System.Globalization;
using VfioPS.Abi;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>
/// What -Index accepts: a number, or a fixed vfio-pci name (INTx, MSI, MSI-X or MSIX, ERR, REQ; any case).
/// Parsing waits until the cmdlet runs, so a bad value is an InvalidArgument error with a stable id rather than a
/// parameter binding failure.
/// </summary>
public sealed class VfioIrqIndexArgument
{
    private readonly string _text;
    private readonly long? _number;

    public VfioIrqIndexArgument(int index) { _number = index; _text = index.ToString(CultureInfo.InvariantCulture); }
    public VfioIrqIndexArgument(uint index) { _number = index; _text = index.ToString(CultureInfo.InvariantCulture); }
    public VfioIrqIndexArgument(long index) { _number = index; _text = index.ToString(CultureInfo.InvariantCulture); }
    public VfioIrqIndexArgument(VfioPciIrqIndex index) { _number = (uint)index; _text = IrqIndexNames.Fixed[(int)index]; }
    public VfioIrqIndexArgument(string text) { _text = text ?? string.Empty; }

    internal uint Resolve(string device)
    {
        if (_number is long n)
        {
            if (n is >= 0 and <= uint.MaxValue) return (uint)n;
        }
        else if (IrqIndexNames.TryParse(_text, out uint parsed))
        {
            return parsed;
        }
        throw new VfioException("VfioIrqIndexInvalid", VfioErrorKind.InvalidArgument,
            $"'{_text}' is not an IRQ index: give a number from 0 to num_irqs-1, or one of {string.Join(", ", IrqIndexNames.Fixed)} (MSIX also works).",
            device);
    }

    public override string ToString() => _text;
}
