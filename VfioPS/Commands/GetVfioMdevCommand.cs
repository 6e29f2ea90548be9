using System.Linq;
using System.Management.Automation;
using VfioPS.Kernel;

namespace VfioPS.Commands;

/// <summary>Get-VfioMdev: the host's mediated device instances, from /sys/bus/mdev/devices.</summary>
[Cmdlet(VerbsCommon.Get, "VfioMdev")]
[OutputType(typeof(VfioMdev))]
public sealed class GetVfioMdevCommand : VfioHostCmdletBase
{
    /// <summary>Only these instances (UUIDs; wildcards allowed); a UUID with no instance is an error.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Uuid { get; set; }

    /// <summary>Only instances of these parents (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Parent { get; set; }

    protected override void ProcessRecord()
    {
        var paths = HostPaths;
        var parents = MdevPatterns.Of(Parent);
        var devices = MdevEnumerator.Devices(paths).Where(d => MdevPatterns.Match(parents, d.Parent)).ToArray();
        if (Uuid is null)
        {
            WriteObject(devices, enumerateCollection: true);
            return;
        }
        foreach (string text in Uuid)
        {
            if (WildcardPattern.ContainsWildcardCharacters(text))
            {
                var pattern = new WildcardPattern(text, WildcardOptions.IgnoreCase);
                WriteObject(devices.Where(d => pattern.IsMatch(d.Uuid)), enumerateCollection: true);
                continue;
            }
            if (!MdevUuid.TryNormalize(text, out string uuid))
            {
                WriteVfioError(MdevUuid.Invalid(text));
                continue;
            }
            var match = devices.FirstOrDefault(d => d.Uuid == uuid);
            if (match is null)
                WriteVfioError(new VfioException("VfioMdevNotFound", VfioErrorKind.ObjectNotFound,
                    $"There is no mediated device {uuid} in {paths.MdevDevices}{(Parent is null ? "" : " with that parent")}.", text));
            else WriteObject(match);
        }
    }
}
