using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>What the region and config cmdlets share: turning -Region (a name or a number) into an index.</summary>
public abstract class VfioRegionCmdletBase : VfioCmdletBase
{
    /// <summary>The region index <paramref name="region"/> names, or null after writing why it names none.</summary>
    protected uint? ResolveRegion(string region, VfioDevice device)
    {
        if (RegionNames.TryParse(region, out uint index)) return index;
        WriteVfioError(new VfioException("VfioRegionInvalid", VfioErrorKind.InvalidArgument,
            $"'{region}' is not a region: give a number from 0 to num_regions-1 ({device.NumRegions} on '{device.Name}'), or one of {string.Join(", ", RegionNames.Fixed)}.",
            device.Name));
        return null;
    }
}
