using System;
using System.Management.Automation;

namespace VfioPS.Commands;

/// <summary>
/// Turns what -Device is given (a device object, its name, a Get-VfioDevice object, or an array of them) into
/// VfioDeviceArgument[] before PowerShell binds it. PowerShell would get there through its own conversion (the
/// constructors of <see cref="VfioDeviceArgument"/>), but that took about 3.5 us per device, and a piped device
/// first failed an uncoerced bind and property-name lookups: more than the cmdlet's own work. Anything else is
/// handed on unchanged, so PowerShell converts it, or refuses it, exactly as before.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class VfioDeviceArgumentTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        if (TryConvert(inputData, out var single)) return new[] { single };
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        switch (value)
        {
            case VfioDeviceArgument[]:
                return value;
            case object?[] items:
            {
                var arguments = new VfioDeviceArgument[items.Length];
                for (int i = 0; i < items.Length; i++)
                {
                    if (!TryConvert(items[i], out arguments[i])) return inputData;
                }
                return arguments;
            }
            default:
                return inputData;
        }
    }

    private static bool TryConvert(object? item, out VfioDeviceArgument argument)
    {
        object? value = item is PSObject wrapped ? wrapped.BaseObject : item;
        switch (value)
        {
            case VfioDeviceArgument known:
                argument = known;
                return true;
            case VfioDevice device:
                argument = new VfioDeviceArgument(device);
                return true;
            case VfioPciDevice pci:
                argument = new VfioDeviceArgument(pci);
                return true;
            case VfioMdev mdev:
                argument = new VfioDeviceArgument(mdev);
                return true;
            case string { Length: > 0 } name:
                argument = new VfioDeviceArgument(name);
                return true;
            default:
                argument = null!;
                return false;
        }
    }
}
