using System;
using System.Threading;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Operations;

/// <summary>
/// Tries a BAR access again when vfio-pci answered EBUSY because another thread of this process was claiming the
/// same BAR at that moment. vfio-pci claims a BAR's resource on the first pread/pwrite after an open
/// (vfio_pci_core_setup_barmap: pci_request_selected_regions, then pci_iomap, kept in vdev->barmap until the close)
/// without a lock: of two first accesses at once, the one that loses asks for a resource the other already holds
/// and gets EBUSY, though the BAR is usable microseconds later. Seen on 6.1 with eight runspaces sharing an edu
/// just after a reopen. An EBUSY that stays after the pauses is a real one (another driver holds the BAR's
/// resource: /proc/iomem names it) and comes back unchanged.
/// </summary>
internal static class BarClaimRetry
{
    /// <summary>Accesses in all, the first included.</summary>
    public const int Attempts = 4;

    /// <summary>The last BAR's region index (VFIO_PCI_BAR5_REGION_INDEX): the ROM and config space are claimed otherwise.</summary>
    public const uint LastBarIndex = 5;

    /// <summary>Runs <paramref name="access"/>, and again after 1, 2 and 3 ms while a BAR access answers EBUSY.</summary>
    public static RegionIoResult Run(uint regionIndex, Func<RegionIoResult> access)
    {
        var result = access();
        for (int attempt = 1; attempt < Attempts && regionIndex <= LastBarIndex && result.IsError && result.Errno == Errno.EBUSY; attempt++)
        {
            Thread.Sleep(attempt);
            result = access();
        }
        return result;
    }
}
