using System;
using System.Collections.Generic;
using VfioPS.Abi;

namespace VfioPS.Mock;

/// <summary>
/// What a mock profile says about resets (its "reset" key): the reset methods sysfs would list in reset_method, the
/// IOMMU group the mock device stands for, and the answer to VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: an errno (ENODEV:
/// no slot or bus reset, as on q35's root bus) or the devices a slot or bus reset would also reset.
/// </summary>
/// <param name="Methods">sysfs reset_method, in the kernel's order; empty when the device has none; null when the profile does not say.</param>
/// <param name="IommuGroup">The group the mock device stands for: open mock devices of a group count as holding it.</param>
/// <param name="HotResetErrno">The errno GET_PCI_HOT_RESET_INFO answers with; None when <paramref name="HotResetDevices"/> answer it.</param>
/// <param name="HotResetDevices">The affected devices, in the order the kernel walks the bus.</param>
public sealed record MockResetProfile(IReadOnlyList<string>? Methods, int? IommuGroup, Errno HotResetErrno, IReadOnlyList<VfioPciDependentDevice> HotResetDevices)
{
    /// <summary>No "reset" key: methods unknown, no group, and ENODEV for the hot-reset info (a root-bus device).</summary>
    public static MockResetProfile Default { get; } = new(null, null, Errno.ENODEV, Array.Empty<VfioPciDependentDevice>());
}
