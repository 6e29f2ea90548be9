using System;
using System.Management.Automation;
using VfioPS.Abi;

namespace VfioPS.Commands;

/// <summary>
/// Turns what -Index is given (a number, a name, or an array of them) into VfioIrqIndexArgument, or an array of them
/// for the cmdlets that take several, before PowerShell binds it: its own conversion through the constructors cost
/// microseconds per piped object (a VfioIrqInfo's Index binds by property name). Anything else is handed on unchanged,
/// so PowerShell converts it, or refuses it, exactly as before.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class VfioIrqIndexArgumentTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>True for an -Index of type VfioIrqIndexArgument[].</summary>
    public bool Many { get; set; }

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        if (TryConvert(inputData, out var single)) return Many ? new[] { single } : single;
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (!Many || value is not object?[] items) return inputData;
        var arguments = new VfioIrqIndexArgument[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            if (!TryConvert(items[i], out arguments[i])) return inputData;
        }
        return arguments;
    }

    private static bool TryConvert(object? item, out VfioIrqIndexArgument argument)
    {
        object? value = item is PSObject wrapped ? wrapped.BaseObject : item;
        argument = value switch
        {
            VfioIrqIndexArgument known => known,
            int n => new VfioIrqIndexArgument(n),
            uint n => new VfioIrqIndexArgument(n),
            long n => new VfioIrqIndexArgument(n),
            VfioPciIrqIndex n => new VfioIrqIndexArgument(n),
            string { Length: > 0 } text => new VfioIrqIndexArgument(text),
            _ => null!,
        };
        return argument is not null;
    }
}
