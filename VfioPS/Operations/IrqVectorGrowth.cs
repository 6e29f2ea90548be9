using System.Linq;
using VfioPS.Abi;

namespace VfioPS.Operations;

/// <summary>
/// Binding vectors past those an enabled MSI or MSI-X index was enabled with. The kernel allocates nvec = start +
/// count vectors when a bind enables the index; a later bind inside them rebinds, one past them needs new vectors.
/// Where the index answers NORESIZE (MSI always; MSI-X before 6.5, or where the platform cannot allocate vectors one
/// by one) the kernel refuses that with EINVAL and nothing changes; without NORESIZE (dynamic MSI-X, vfio-abi.md §2.4
/// and §2.7) it allocates them and the other vectors keep running. The module follows the flags: it refuses the first
/// case before any ioctl, saying how to get the vectors, and sends the second.
/// </summary>
public static class IrqVectorGrowth
{
    /// <summary>The vectors a TRIGGER|EVENTFD request would add to its enabled MSI/MSI-X index, lowest and highest; null when none.</summary>
    public static (uint First, uint Last)? Added(VfioDevice device, IrqSetRequest request)
    {
        if (!IsMsiBind(request) || device.IrqRecord.AllocatedVectors(request.Index) is not uint allocated) return null;
        var added = Enumerable.Range(0, (int)request.Count)
            .Where(i => request.EventFds![i] >= 0 && request.Start + (uint)i >= allocated)
            .Select(i => request.Start + (uint)i)
            .ToArray();
        return added.Length == 0 ? null : (added[0], added[^1]);
    }

    /// <summary>Refuses, before the ioctl, a request that adds vectors to an enabled index answered with NORESIZE.</summary>
    public static void Check(VfioDevice device, VfioIrqInfo info, IrqSetRequest request)
    {
        if ((info.Flags & VfioIrqFlags.NoResize) == 0 || Added(device, request) is not var (first, last)) return;
        uint allocated = device.IrqRecord.AllocatedVectors(request.Index) ?? 0;
        string have = allocated == 1 ? "vector 0" : $"vectors 0-{allocated - 1}";
        string want = first == last ? $"vector {first}" : $"vectors {first}-{last}";
        throw new VfioException("VfioIrqNoResize", VfioErrorKind.InvalidOperation,
            $"IRQ index {request.Index} ({info.Name}) of '{device.Name}' is enabled with {have}, and the kernel answers it with NORESIZE: {want} cannot be added while it is enabled (the kernel would refuse with EINVAL). "
            + $"Disable the index (Set-VfioIrq -Disable) and enable it again with every vector it needs, e.g. -EventFd with {last + 1} eventfds. Kernels since 6.5 add MSI-X vectors to an enabled index where the device and platform allow it (no NORESIZE).",
            device.Name);
    }

    /// <summary>What -WhatIf and -Verbose add for a request that grows the enabled index ("" when it does not).</summary>
    public static string Describe(VfioDevice device, IrqSetRequest request)
        => Added(device, request) is var (first, last)
            ? $"; adds {(first == last ? $"vector {first}" : $"vectors {first}-{last}")} to the enabled index (no NORESIZE: the other vectors keep running)"
            : "";

    /// <summary>
    /// The vectors allocated after an accepted TRIGGER|EVENTFD request: start + count when it enabled the index,
    /// else what was allocated, grown by the vectors it bound past that.
    /// </summary>
    internal static uint AllocatedAfter(uint? allocated, IrqSetRequest request)
    {
        if (!IsMsiBind(request)) return 0;
        if (allocated is not uint before) return request.Start + request.Count;
        uint after = before;
        for (uint i = 0; i < request.Count; i++)
            if (request.EventFds![i] >= 0 && request.Start + i >= after) after = request.Start + i + 1;
        return after;
    }

    private static bool IsMsiBind(IrqSetRequest request)
        => request.Action == VfioIrqSetFlags.ActionTrigger && request.DataType == VfioIrqSetFlags.DataEventFd && request.EventFds is not null
           && (request.Index == (uint)VfioPciIrqIndex.Msi || request.Index == (uint)VfioPciIrqIndex.MsiX);
}
