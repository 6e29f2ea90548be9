using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>Completes -Region with the fixed vfio-pci region names (BAR0..BAR5, ROM, CONFIG, VGA).</summary>
public sealed class RegionNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
        => IrqIndexCompleter.Complete(RegionNames.Fixed.Select((name, i) => (name, $"{name} (region {i})")), wordToComplete);
}
