using System.Collections.Generic;

namespace VfioPS;

/// <summary>
/// Which <see cref="VfioEventFd"/> objects a device's vectors were bound to, per index, so that the objects can show
/// their binding (Device, Index, Vector) and lose it when the vector is rebound or the index disabled. The cost of
/// each change is the vectors it touches, whatever number of eventfds the session owns.
/// </summary>
internal sealed class EventFdBindings
{
    private readonly object _gate = new();
    private readonly Dictionary<uint, Dictionary<uint, VfioEventFd>> _byIndex = new();

    /// <summary>
    /// Records a bind of vectors start.. of <paramref name="index"/>: every object bound to one of them loses that
    /// binding, then each given object (null for a number without an object, or a de-assigned vector) takes its vector.
    /// </summary>
    public void Bind(VfioDevice device, uint index, uint start, IReadOnlyList<VfioEventFd?> eventFds)
    {
        lock (_gate)
        {
            if (!_byIndex.TryGetValue(index, out var vectors)) _byIndex[index] = vectors = new Dictionary<uint, VfioEventFd>();
            for (int i = 0; i < eventFds.Count; i++)
            {
                uint vector = start + (uint)i;
                if (vectors.Remove(vector, out var previous)) previous.UnbindIfBoundTo(device, index, vector);
            }
            for (int i = 0; i < eventFds.Count; i++)
            {
                if (eventFds[i] is not { } eventFd) continue;
                uint vector = start + (uint)i;
                eventFd.Bind(device, index, vector);
                vectors[vector] = eventFd;
            }
        }
    }

    /// <summary>The index was disabled: every object bound to one of its vectors loses that binding.</summary>
    public void UnbindIndex(VfioDevice device, uint index)
    {
        lock (_gate)
        {
            if (!_byIndex.Remove(index, out var vectors)) return;
            foreach (var (vector, eventFd) in vectors) eventFd.UnbindIfBoundTo(device, index, vector);
        }
    }

    /// <summary>The device closed: its bindings end with it (the objects already show none, their device being closed).</summary>
    public void Clear()
    {
        lock (_gate) _byIndex.Clear();
    }
}
