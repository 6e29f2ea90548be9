using System;
using System.Collections.Generic;
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
    private static readonly ConditionalWeakTable<Runspace, OwnedResources> s_owned = new();

    internal static void Track(PSCmdlet cmdlet, IDisposable resource)
    {
        var runspace = Runspace.DefaultRunspace;
        if (runspace is null) return;
        var module = cmdlet.MyInvocation.MyCommand.Module;
        if (module is not null && module.OnRemove is null)
            module.OnRemove = ScriptBlock.Create("[VfioPS.Commands.RunspaceResources]::ReleaseCurrentRunspace()");
        if (!s_owned.TryGetValue(runspace, out var owned))
        {
            bool isNew = false;
            owned = s_owned.GetValue(runspace, _ => { isNew = true; return new OwnedResources(); });
            if (isNew) runspace.StateChanged += OnStateChanged;
        }
        owned.Add(resource);
    }

    /// <summary>Disposes every device and eventfd the current runspace created.</summary>
    public static void ReleaseCurrentRunspace()
    {
        if (Runspace.DefaultRunspace is { } runspace) Release(runspace);
    }

    /// <summary>The current runspace's open eventfd with fd number <paramref name="fd"/>, if it owns one.</summary>
    internal static VfioEventFd? FindEventFd(int fd)
        => Runspace.DefaultRunspace is { } runspace && s_owned.TryGetValue(runspace, out var owned) ? owned.FindEventFd(fd) : null;

    /// <summary>How many open devices and eventfds the current runspace owns (for tests of the bookkeeping).</summary>
    internal static int CountCurrentRunspace()
        => Runspace.DefaultRunspace is { } runspace && s_owned.TryGetValue(runspace, out var owned) ? owned.Count : 0;

    private static void OnStateChanged(object? sender, RunspaceStateEventArgs e)
    {
        if (sender is Runspace runspace && e.RunspaceStateInfo.State is RunspaceState.Closing or RunspaceState.Closed or RunspaceState.Broken)
            Release(runspace);
    }

    private static void Release(Runspace runspace)
    {
        if (!s_owned.TryGetValue(runspace, out var owned)) return;
        foreach (var item in owned.TakeAll()) item.Dispose();
    }

    /// <summary>
    /// One runspace's devices and eventfds. Adding and forgetting are O(1): a resource leaves the set when it is
    /// closed (its Closed event), not by a sweep over everything on the next add; eventfds are also indexed by fd
    /// number for Set-VfioIrq's lookups.
    /// </summary>
    private sealed class OwnedResources
    {
        private readonly object _gate = new();
        // The value is the order of creation, so the runspace releases its resources in the order they were made.
        private readonly Dictionary<IDisposable, long> _items = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<int, VfioEventFd> _eventFdsByFd = new();
        private readonly Action<VfioEventFd> _forgetEventFd;
        private readonly Action<VfioDevice> _forgetDevice;
        private long _sequence;

        public OwnedResources()
        {
            // One delegate each per runspace, not one per resource.
            _forgetEventFd = Forget;
            _forgetDevice = Forget;
        }

        public int Count
        {
            get { lock (_gate) return _items.Count; }
        }

        public void Add(IDisposable resource)
        {
            lock (_gate)
            {
                switch (resource)
                {
                    case VfioEventFd { IsClosed: true }:
                    case VfioDevice { IsOpen: false }:
                        return;
                    case VfioEventFd eventFd:
                        eventFd.Closed += _forgetEventFd;
                        _eventFdsByFd[eventFd.Fd] = eventFd;
                        break;
                    case VfioDevice device:
                        device.Closed += _forgetDevice;
                        break;
                }
                _items.TryAdd(resource, _sequence++);
            }
        }

        public VfioEventFd? FindEventFd(int fd)
        {
            lock (_gate) return _eventFdsByFd.TryGetValue(fd, out var eventFd) && !eventFd.IsClosed ? eventFd : null;
        }

        public IDisposable[] TakeAll()
        {
            lock (_gate)
            {
                var items = new KeyValuePair<IDisposable, long>[_items.Count];
                ((ICollection<KeyValuePair<IDisposable, long>>)_items).CopyTo(items, 0);
                Array.Sort(items, (a, b) => a.Value.CompareTo(b.Value));
                _items.Clear();
                _eventFdsByFd.Clear();
                return Array.ConvertAll(items, p => p.Key);
            }
        }

        private void Forget(VfioEventFd eventFd)
        {
            lock (_gate)
            {
                _items.Remove(eventFd);
                // The number may already be another open eventfd's: remove only this object's entry.
                if (_eventFdsByFd.TryGetValue(eventFd.Fd, out var current) && ReferenceEquals(current, eventFd)) _eventFdsByFd.Remove(eventFd.Fd);
            }
        }

        private void Forget(VfioDevice device)
        {
            lock (_gate) _items.Remove(device);
        }
    }
}
