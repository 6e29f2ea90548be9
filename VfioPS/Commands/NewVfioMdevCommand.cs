using System.Management.Automation;
using VfioPS.Kernel;

namespace VfioPS.Commands;

/// <summary>
/// New-VfioMdev: creates a mediated device instance of a parent's type (the UUID written to the type's create
/// file). An instance that already exists with that UUID, parent and type is success with no write.
/// </summary>
[Cmdlet(VerbsCommon.New, "VfioMdev", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VfioMdev))]
public sealed class NewVfioMdevCommand : VfioHostCmdletBase
{
    /// <summary>The parent device (its name in /sys/class/mdev_bus).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Parent { get; set; } = string.Empty;

    /// <summary>The type id (a folder of the parent's mdev_supported_types).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string TypeId { get; set; } = string.Empty;

    /// <summary>The instance's UUID; a random one when omitted.</summary>
    [Parameter(Position = 2)]
    [ValidateNotNullOrEmpty]
    public string? Uuid { get; set; }

    protected override void ProcessRecord()
    {
        var manager = new MdevManager(HostPaths);
        try
        {
            var plan = manager.PlanCreate(Parent, TypeId, Uuid);
            if (plan.Write is null)
            {
                WriteVerbose($"{plan.Describe()} exists already: nothing to write.");
                WriteObject(plan.Existing);
                return;
            }
            if (!ShouldProcess($"Create {plan.Describe()}: {plan.Write}.", $"Create {plan.Describe()}?", "New-VfioMdev")) return;
            WriteVerbose($"{plan.Write}.");
            WriteObject(manager.Create(plan));
        }
        catch (VfioException e)
        {
            WriteVfioError(e);
        }
    }
}
