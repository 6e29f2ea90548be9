using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;

namespace VfioPS.Commands;

/// <summary>
/// Devices and eventfds belong to the runspace that created them: they are disposed when it closes, and when the
/// module is removed from it (PowerShellStandard 5.1 has no IModuleAssemblyCleanup, so the module's OnRemove
/// script block calls <see cref="ReleaseCurrentRunspace"/>). No fd outlives them.
/// </summary>
public static class RunspaceResources
{
    private static readonly ConditionalWeakTable<Runspace, List<IDisposable>> s_owned = new();

    internal static void Track(PSCmdlet cmdlet, IDisposable resource)
    {
        var runspace = Runspace.DefaultRunspace;
        if (runspace is null) return;
        var module = cmdlet.MyInvocation.MyCommand.Module;
        if (module is not null && module.OnRemove is null)
            module.OnRemove = ScriptBlock.Create("[VfioPS.Commands.RunspaceResources]::ReleaseCurrentRunspace()");
        bool isNew = false;
        var list = s_owned.GetValue(runspace, _ => { isNew = true; return new List<IDisposable>(); });
        if (isNew) runspace.StateChanged += OnStateChanged;
        lock (list)
        {
            list.RemoveAll(IsReleased);
            list.Add(resource);
        }
    }

    /// <summary>Disposes every device and eventfd the current runspace created.</summary>
    public static void ReleaseCurrentRunspace()
    {
        if (Runspace.DefaultRunspace is { } runspace) Release(runspace);
    }

    /// <summary>The open eventfds of the current runspace.</summary>
    internal static IReadOnlyList<VfioEventFd> EventFds()
    {
        if (Runspace.DefaultRunspace is not { } runspace || !s_owned.TryGetValue(runspace, out var list)) return Array.Empty<VfioEventFd>();
        lock (list) return list.OfType<VfioEventFd>().Where(e => !e.IsClosed).ToArray();
    }

    private static void OnStateChanged(object? sender, RunspaceStateEventArgs e)
    {
        if (sender is Runspace runspace && e.RunspaceStateInfo.State is RunspaceState.Closing or RunspaceState.Closed or RunspaceState.Broken)
            Release(runspace);
    }

    private static void Release(Runspace runspace)
    {
        if (!s_owned.TryGetValue(runspace, out var list)) return;
        IDisposable[] items;
        lock (list)
        {
            items = list.ToArray();
            list.Clear();
        }
        foreach (var item in items) item.Dispose();
    }

    private static bool IsReleased(IDisposable resource) => resource switch
    {
        VfioEventFd e => e.IsClosed,
        VfioDevice d => !d.IsOpen,
        _ => false,
    };
}
