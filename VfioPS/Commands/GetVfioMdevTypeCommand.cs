using System;
using System.Linq;
using System.Management.Automation;
using VfioPS.Kernel;

namespace VfioPS.Commands;

/// <summary>Get-VfioMdevType: the mediated device parents of the host and the types each offers, from sysfs.</summary>
[Cmdlet(VerbsCommon.Get, "VfioMdevType")]
[OutputType(typeof(VfioMdevType))]
public sealed class GetVfioMdevTypeCommand : VfioHostCmdletBase
{
    /// <summary>Only these parents (their names in /sys/class/mdev_bus; wildcards allowed).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Parent { get; set; }

    /// <summary>Only these type ids (seed_mdev-display; wildcards allowed).</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? TypeId { get; set; }

    protected override void ProcessRecord()
    {
        var parents = MdevPatterns.Of(Parent);
        var types = MdevPatterns.Of(TypeId);
        WriteObject(MdevEnumerator.Types(HostPaths).Where(t => MdevPatterns.Match(parents, t.Parent) && MdevPatterns.Match(types, t.TypeId)), enumerateCollection: true);
    }
}

/// <summary>The name filters of the mdev cmdlets: wildcard patterns, case-insensitive; none given matches all.</summary>
internal static class MdevPatterns
{
    public static WildcardPattern[]? Of(string[]? texts) => texts?.Select(t => new WildcardPattern(t, WildcardOptions.IgnoreCase)).ToArray();

    public static bool Match(WildcardPattern[]? patterns, string? value) => patterns is null || patterns.Any(p => p.IsMatch(value ?? string.Empty));
}
