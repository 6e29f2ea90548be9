using System.Management.Automation;

namespace VfioPS.Commands;

/// <summary>New-VfioEventFd: creates eventfds (close-on-exec, non-blocking) owned by the current runspace.</summary>
[Cmdlet(VerbsCommon.New, "VfioEventFd")]
[OutputType(typeof(VfioEventFd))]
public sealed class NewVfioEventFdCommand : VfioCmdletBase
{
    /// <summary>How many eventfds to create (default 1; up to 4096, the MSI-X maximum being 2048).</summary>
    [Parameter(Position = 0)]
    [ValidateRange(1, 4096)]
    public int Count { get; set; } = 1;

    protected override void ProcessRecord()
    {
        for (int i = 0; i < Count; i++)
        {
            try
            {
                var eventFd = VfioEventFd.Create();
                RunspaceResources.Track(this, eventFd);
                WriteObject(eventFd);
            }
            catch (VfioException e)
            {
                // Out of fds (EMFILE) and the like: stop here, what was made is already out.
                ThrowTerminatingError(ToErrorRecord(e));
            }
        }
    }
}
