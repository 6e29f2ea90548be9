using System;
using System.Collections.Generic;
using System.Linq;

namespace VfioPS.Kernel;

/// <summary>
/// Who holds devices: the processes with the device's VFIO group node or its device cdev open, from one pass over
/// /proc. The group node counts for every device of the group, since VFIO gives a process the whole group.
/// </summary>
public static class VfioDeviceHolders
{
    public static IReadOnlyList<VfioDeviceHolder> Find(VfioHostPaths paths, IReadOnlyList<VfioPciDevice> devices)
    {
        var nodes = devices.SelectMany(Nodes).Distinct(StringComparer.Ordinal).ToArray();
        if (nodes.Length == 0) return Array.Empty<VfioDeviceHolder>();
        var held = ProcessHolders.FindAll(paths.ProcRoot, nodes, includeSelf: true);
        var result = new List<VfioDeviceHolder>();
        foreach (var device in devices)
        {
            foreach (string node in Nodes(device))
            {
                foreach (var holder in held[node])
                    result.Add(new VfioDeviceHolder(device.Address, device.IommuGroup, node, holder.Pid, holder.Command, holder.CommandLine,
                        holder.Pid == Environment.ProcessId));
            }
        }
        return result;
    }

    private static IEnumerable<string> Nodes(VfioPciDevice device)
    {
        if (device.GroupPath is not null) yield return device.GroupPath;
        if (device.CdevPath is not null) yield return device.CdevPath;
    }
}
