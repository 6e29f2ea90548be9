using System;
using System.Runtime.CompilerServices;
using System.Threading;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Operations;

/// <summary>
/// Keeps vfio-pci's first-access BAR claim race away from the module's callers. vfio-pci claims a BAR's resource on
/// the first pread/pwrite after an open (vfio_pci_core_setup_barmap: pci_request_selected_regions, then pci_iomap,
/// kept in vdev->barmap until the close) without a lock: of two first accesses at once, the one that loses asks for
/// a resource the other already holds and gets EBUSY, though the BAR is usable once the winner has mapped it. Under
/// emulation the winner can be preempted between the claim and the map for longer than any short retry waits
/// (seen on 6.1 with eight runspaces sharing an edu), so the first access of each BAR of an open device is made by
/// one thread at a time; once one succeeded the BAR is claimed for the life of the fd and accesses run freely. An
/// EBUSY is still tried again a few times, 1-3 ms apart (another fd of the same device, in another process, races
/// the same way); one that stays is a real one (another driver holds the BAR's resource: /proc/iomem names it) and
/// comes back unchanged.
/// </summary>
internal static class BarClaimRetry
{
    /// <summary>Accesses in all, the first included.</summary>
    public const int Attempts = 4;

    /// <summary>The last BAR's region index (VFIO_PCI_BAR5_REGION_INDEX): the ROM and config space are claimed otherwise.</summary>
    public const uint LastBarIndex = 5;

    /// <summary>Per open device: which BARs an access has succeeded on, and the gate their first accesses pass one at a time.</summary>
    private sealed class Claims
    {
        public readonly object Gate = new();
        public int Claimed; // bit n: BAR n (read and written with Volatile/Interlocked)
    }

    private static readonly ConditionalWeakTable<VfioDevice, Claims> s_claims = new();

    /// <summary>Runs <paramref name="access"/> on region <paramref name="regionIndex"/> of <paramref name="device"/>: the first successful access of a BAR alone, EBUSY tried again.</summary>
    public static RegionIoResult Run(VfioDevice device, uint regionIndex, Func<RegionIoResult> access)
    {
        if (regionIndex > LastBarIndex) return access();
        var claims = s_claims.GetValue(device, _ => new Claims());
        int bit = 1 << (int)regionIndex;
        if ((Volatile.Read(ref claims.Claimed) & bit) != 0) return WithRetry(access);
        lock (claims.Gate)
        {
            var result = WithRetry(access);
            // Any answer but an error means vfio-pci has the BAR mapped (the map comes before the access itself).
            if (!result.IsError) Interlocked.Or(ref claims.Claimed, bit);
            return result;
        }
    }

    private static RegionIoResult WithRetry(Func<RegionIoResult> access)
    {
        var result = access();
        for (int attempt = 1; attempt < Attempts && result.IsError && result.Errno == Errno.EBUSY; attempt++)
        {
            Thread.Sleep(attempt);
            result = access();
        }
        return result;
    }
}
