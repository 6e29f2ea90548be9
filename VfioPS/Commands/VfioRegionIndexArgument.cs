using System;
using System.Globalization;
using System.Management.Automation;
using VfioPS.Abi;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>
/// What -Index of Get-VfioRegion accepts: a number, or a fixed vfio-pci region name (BAR0..BAR5, ROM, CONFIG, VGA; any
/// case). Parsing waits until the cmdlet runs, so a bad value is an InvalidArgument error with a stable id.
/// </summary>
public sealed class VfioRegionIndexArgument
{
    private readonly string _text;
    private readonly long? _number;

    public VfioRegionIndexArgument(int index) { _number = index; _text = index.ToString(CultureInfo.InvariantCulture); }
    public VfioRegionIndexArgument(uint index) { _number = index; _text = index.ToString(CultureInfo.InvariantCulture); }
    public VfioRegionIndexArgument(long index) { _number = index; _text = index.ToString(CultureInfo.InvariantCulture); }
    public VfioRegionIndexArgument(VfioPciRegionIndex index) { _number = (uint)index; _text = RegionNames.Fixed[(int)index]; }
    public VfioRegionIndexArgument(string text) { _text = text ?? string.Empty; }

    internal uint Resolve(string device)
    {
        if (_number is long n)
        {
            if (n is >= 0 and <= uint.MaxValue) return (uint)n;
        }
        else if (RegionNames.TryParse(_text, out uint parsed))
        {
            return parsed;
        }
        throw new VfioException("VfioRegionIndexInvalid", VfioErrorKind.InvalidArgument,
            $"'{_text}' is not a region index: give a number from 0 to num_regions-1, or one of {string.Join(", ", RegionNames.Fixed)}.",
            device);
    }

    public override string ToString() => _text;
}

/// <summary>Turns numbers, names and arrays of them into VfioRegionIndexArgument[] before binding; anything else is left to PowerShell.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class VfioRegionIndexArgumentTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        if (TryConvert(inputData, out var single)) return new[] { single };
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is not object?[] items) return inputData;
        var arguments = new VfioRegionIndexArgument[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            if (!TryConvert(items[i], out arguments[i])) return inputData;
        }
        return arguments;
    }

    private static bool TryConvert(object? item, out VfioRegionIndexArgument argument)
    {
        object? value = item is PSObject wrapped ? wrapped.BaseObject : item;
        argument = value switch
        {
            VfioRegionIndexArgument known => known,
            int n => new VfioRegionIndexArgument(n),
            uint n => new VfioRegionIndexArgument(n),
            long n => new VfioRegionIndexArgument(n),
            VfioPciRegionIndex n => new VfioRegionIndexArgument(n),
            string { Length: > 0 } text => new VfioRegionIndexArgument(text),
            _ => null!,
        };
        return argument is not null;
    }
}

/// <summary>Completes -Index of Get-VfioRegion with the fixed vfio-pci region names.</summary>
public sealed class RegionIndexCompleter : IArgumentCompleter
{
    public System.Collections.Generic.IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters)
        => IrqIndexCompleter.Complete(System.Linq.Enumerable.Select(RegionNames.Fixed, (name, i) => (name, $"{name} (region {i})")), wordToComplete);
}
