using System;
using System.Management.Automation;

namespace VfioPS.Commands;

/// <summary>Close-VfioEventFd: closes eventfds now (Dispose does the same). Closing one twice is harmless.</summary>
[Cmdlet(VerbsCommon.Close, "VfioEventFd")]
public sealed class CloseVfioEventFdCommand : VfioCmdletBase
{
    /// <summary>The eventfds to close.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public VfioEventFd[] EventFd { get; set; } = Array.Empty<VfioEventFd>();

    protected override void ProcessRecord()
    {
        foreach (var eventFd in EventFd)
        {
            if (eventFd.Device is not null)
                WriteVerbose($"eventfd {eventFd.Fd} was bound to {eventFd.Device} index {eventFd.Index} vector {eventFd.Vector}; the device keeps its own reference until the vector is de-assigned or the index disabled.");
            eventFd.Dispose();
        }
    }
}
