using System;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Kernel;

namespace VfioPS.Operations;

/// <summary>
/// The reset scope of an open device: its reset methods, whether a function reset works, and for a slot or bus reset
/// the devices it would also reset and whether this process owns them all. Ownership follows what
/// VFIO_DEVICE_PCI_HOT_RESET asks for: on the group path a group fd for every affected group, which this process has
/// when one of its open devices holds that group; on the cdev path the kernel says it (a device id or
/// VFIO_PCI_DEVID_OWNED per entry, VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED for all).
/// </summary>
public static class ResetScopeReader
{
    public const string NoHotResetNote = "no slot or bus reset";

    public static VfioResetScope Read(VfioDevice device, VfioHostPaths? paths = null)
    {
        var info = HotResetInfoReader.Read(device);
        return FromAnswer(device, info, DeviceResetter.ResetMethods(device, paths));
    }

    /// <summary>The scope from a decoded answer, with ownership as this process stands now.</summary>
    internal static VfioResetScope FromAnswer(VfioDevice device, HotResetInfo info, string[] methods)
    {
        bool functionReset = (device.Flags & VfioDeviceFlags.Reset) != 0;
        if (!info.Available)
            return new VfioResetScope(device.Name, methods, functionReset, false, NoHotResetNote, VfioPciHotResetFlags.None, Array.Empty<VfioResetScopeDevice>(), null);

        bool byDevId = (info.Flags & VfioPciHotResetFlags.DevId) != 0;
        var open = VfioDeviceRegistry.OpenDevices;
        var entries = info.Devices.Select(d =>
        {
            bool isDevice = string.Equals(d.Address, device.Name, StringComparison.OrdinalIgnoreCase);
            if (byDevId)
                return new VfioResetScopeDevice(d.Address, null, d.GroupIdOrDevId, d.GroupIdOrDevId != VfioPciHotResetInfoCodec.DevIdNotOwned, isDevice);
            int group = unchecked((int)d.GroupIdOrDevId);
            bool owned = open.Any(o => o.IsOpen && o.HoldsGroup && o.IommuGroup == group);
            return new VfioResetScopeDevice(d.Address, group, null, owned, isDevice);
        }).ToArray();
        // The kernel clears DEV_ID_OWNED exactly when an entry is VFIO_PCI_DEVID_NOT_OWNED.
        bool ownsAll = byDevId ? (info.Flags & VfioPciHotResetFlags.DevIdOwned) != 0 : entries.All(e => e.Owned);
        return new VfioResetScope(device.Name, methods, functionReset, true, null, info.Flags, entries, ownsAll);
    }
}
