using System;
using System.Collections.Generic;
using System.Linq;

namespace VfioPS;

/// <summary>One vector's binding in the module's record.</summary>
public sealed class VfioIrqVectorBinding
{
    internal VfioIrqVectorBinding(uint vector, int eventFd)
    {
        Vector = vector;
        EventFd = eventFd;
    }

    public uint Vector { get; }
    /// <summary>The eventfd number the caller bound (the device holds its own reference to it).</summary>
    public int EventFd { get; }

    public override string ToString() => $"{Vector}:{EventFd}";
}

/// <summary>What Set-VfioIrq -PassThru emits: the module's record of an index after the call.</summary>
public sealed class VfioIrqState
{
    internal VfioIrqState(string device, uint index, string name, bool enabled, bool masked, int? resampleEventFd, VfioIrqVectorBinding[] vectors,
        uint allocatedVectors = 0)
    {
        AllocatedVectors = allocatedVectors;
        Device = device;
        Index = index;
        Name = name;
        Enabled = enabled;
        Masked = masked;
        ResampleEventFd = resampleEventFd;
        Vectors = vectors;
    }

    public string Device { get; }
    public uint Index { get; }
    public string Name { get; }
    /// <summary>INTx/MSI/MSI-X: the index is enabled on the device. ERR/REQ and device-specific indexes: a trigger is bound.</summary>
    public bool Enabled { get; }
    /// <summary>INTx only: masked by an ACTION_MASK from this module (the device's own automask is not visible).</summary>
    public bool Masked { get; }
    /// <summary>INTx only: the resample eventfd registered with ACTION_UNMASK|DATA_EVENTFD.</summary>
    public int? ResampleEventFd { get; }
    public VfioIrqVectorBinding[] Vectors { get; }
    /// <summary>
    /// MSI/MSI-X only: how many vectors the device has allocated for the enabled index (start + count of the call that
    /// enabled it, grown by vectors added later where the index has no NORESIZE); 0 when it is not enabled.
    /// </summary>
    public uint AllocatedVectors { get; }
}

/// <summary>The per-device record behind <see cref="VfioIrqState"/>; updated only after the device accepted a call.</summary>
internal sealed class IrqStateRecord
{
    private readonly object _gate = new();
    private readonly Dictionary<uint, IndexRecord> _indexes = new();

    internal sealed class IndexRecord
    {
        public bool Enabled;
        public bool Masked;
        public int? ResampleFd;
        /// <summary>MSI/MSI-X: the vectors allocated on the device while the index is enabled (see IrqVectorGrowth).</summary>
        public uint Allocated;
        public readonly SortedDictionary<uint, int> Vectors = new();
    }

    public bool IsEnabled(uint index)
    {
        lock (_gate) return _indexes.TryGetValue(index, out var r) && r.Enabled;
    }

    /// <summary>The vectors allocated for an enabled MSI/MSI-X index, or null when it is not enabled.</summary>
    public uint? AllocatedVectors(uint index)
    {
        lock (_gate) return _indexes.TryGetValue(index, out var r) && r.Enabled ? r.Allocated : null;
    }

    public void Update(uint index, Action<IndexRecord> change)
    {
        lock (_gate)
        {
            if (!_indexes.TryGetValue(index, out var r)) _indexes[index] = r = new IndexRecord();
            change(r);
        }
    }

    public VfioIrqState Snapshot(string device, uint index, string name)
    {
        lock (_gate)
        {
            if (!_indexes.TryGetValue(index, out var r)) return new VfioIrqState(device, index, name, false, false, null, Array.Empty<VfioIrqVectorBinding>());
            return new VfioIrqState(device, index, name, r.Enabled, r.Masked, r.ResampleFd,
                r.Vectors.Select(p => new VfioIrqVectorBinding(p.Key, p.Value)).ToArray(), r.Enabled ? r.Allocated : 0);
        }
    }

    /// <summary>Which (index, vector) an eventfd number is bound to, if any.</summary>
    public (uint Index, uint Vector)? FindBinding(int fd)
    {
        lock (_gate)
        {
            foreach (var (index, r) in _indexes)
                foreach (var (vector, bound) in r.Vectors)
                    if (bound == fd) return (index, vector);
            return null;
        }
    }

    public void Clear()
    {
        lock (_gate) _indexes.Clear();
    }
}
