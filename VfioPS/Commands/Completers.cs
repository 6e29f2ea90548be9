using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using VfioPS.Kernel;
using VfioPS.Mock;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>Completes -Index with the fixed vfio-pci names.</summary>
public sealed class IrqIndexCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
        => Complete(IrqIndexNames.Fixed.Select((name, i) => (name, $"{name} (index {i})")), wordToComplete);

    internal static IEnumerable<CompletionResult> Complete(IEnumerable<(string Value, string Tooltip)> candidates, string wordToComplete)
    {
        string prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var pattern = new WildcardPattern(prefix + "*", WildcardOptions.IgnoreCase);
        foreach (var (value, tooltip) in candidates)
        {
            if (!pattern.IsMatch(value)) continue;
            string text = value.IndexOfAny(new[] { ' ', ':', '/', '$', '\'' }) >= 0 ? "'" + value.Replace("'", "''") + "'" : value;
            yield return new CompletionResult(text, value, CompletionResultType.ParameterValue, tooltip);
        }
    }
}

/// <summary>Completes -Device with the names of the devices open in this process.</summary>
public sealed class VfioDeviceCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
        => IrqIndexCompleter.Complete(VfioDeviceRegistry.OpenDevices.Select(d => (d.Name, $"{d.Name} ({d.Channel}, {d.NumIrqs} IRQ indexes)")), wordToComplete);
}

/// <summary>Completes -Profile with the built-in mock profiles.</summary>
public sealed class MockProfileCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
        => IrqIndexCompleter.Complete(MockProfileReader.BuiltInNames.Select(n => (n, $"built-in mock profile {n}")), wordToComplete);
}

/// <summary>Completes -Kernel with the kernel series the built-in mock profiles were measured on.</summary>
public sealed class MockKernelCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
        => IrqIndexCompleter.Complete(MockProfileReader.BuiltInNames.Select(MockProfileReader.LoadBuiltIn)
            .Select(p => p.KernelRules.Version).OrderBy(v => v).Select(v => $"{v.Major}.{v.Minor}").Distinct()
            .Select(series => (series, $"readings of kernel {series}")), wordToComplete);
}

/// <summary>Completes -Address with the host's PCI addresses (from -SysfsRoot when it is given).</summary>
public sealed class PciAddressCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var defaults = VfioHostPaths.Default;
        var paths = fakeBoundParameters?["SysfsRoot"] is string sys ? defaults with { SysfsRoot = sys } : defaults;
        return IrqIndexCompleter.Complete(PciDeviceEnumerator.Enumerate(paths).Select(d => (d.Address, $"{d.Address} ({d.Id}, {d.Driver ?? "no driver"})")), wordToComplete);
    }
}
