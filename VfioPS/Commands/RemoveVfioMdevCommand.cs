using System;
using System.Management.Automation;
using VfioPS.Kernel;

namespace VfioPS.Commands;

/// <summary>
/// Remove-VfioMdev: removes mediated device instances (1 written to their remove file). An instance that is already
/// gone is no error; one open as a VfioDevice in this session is refused.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "VfioMdev", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class RemoveVfioMdevCommand : VfioHostCmdletBase
{
    /// <summary>The instances' UUIDs, or objects from Get-VfioMdev.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Uuid { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        var manager = new MdevManager(HostPaths);
        foreach (string uuid in Uuid)
        {
            try
            {
                var plan = manager.PlanRemove(uuid);
                if (plan.Write is null)
                {
                    WriteVerbose($"There is no mediated device {plan.Uuid}: nothing to remove.");
                    continue;
                }
                string what = $"{plan.Uuid} ({plan.Device!.Parent}/{plan.Device.TypeId})";
                if (!ShouldProcess($"Remove {what}: {plan.Write}.", $"Remove {what}? A process using it loses it.", "Remove-VfioMdev")) continue;
                WriteVerbose($"{plan.Write}.");
                manager.Remove(plan);
            }
            catch (VfioException e)
            {
                WriteVfioError(e);
            }
        }
    }
}
