using System;
using System.Management.Automation;

namespace VfioPS.Commands;

/// <summary>
/// Register values as people type them: PowerShell reads 0xffffffff as the Int32 -1 and 0xffffffffffffffff as the
/// Int64 -1, which would not bind to an unsigned parameter. A negative Int32 or Int64 is taken as the same bits
/// unsigned; everything else is handed on for PowerShell to convert (or refuse) as usual.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class UnsignedValueTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            int n when n < 0 => unchecked((uint)n),
            long n when n < 0 => unchecked((ulong)n),
            _ => inputData,
        };
    }
}
