using System;
using System.Management.Automation;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>
/// Read-VfioRegion: typed little-endian values (-Width, -Count) or raw bytes (-Length) from a region of a device,
/// bounds-checked against VFIO_DEVICE_GET_REGION_INFO before the pread. A PCI address that is not open is opened
/// for the call, as the Get- cmdlets do (closing a vfio-pci device resets the function).
/// </summary>
[Cmdlet(VerbsCommunications.Read, "VfioRegion", DefaultParameterSetName = ValueSet)]
[OutputType(typeof(VfioRegionData))]
public sealed class ReadVfioRegionCommand : VfioRegionCmdletBase
{
    private const string ValueSet = "Value";
    private const string BytesSet = "Bytes";

    /// <summary>The device: an open device object or name, or a PCI address.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Address")]
    [ArgumentCompleter(typeof(VfioDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    [VfioDeviceArgumentTransformation]
    public VfioDeviceArgument[] Device { get; set; } = Array.Empty<VfioDeviceArgument>();

    /// <summary>The region: BAR0..BAR5, ROM, CONFIG, VGA, or an index.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Index")]
    [ArgumentCompleter(typeof(RegionNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Region { get; set; } = string.Empty;

    /// <summary>The offset inside the region.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    public ulong Offset { get; set; }

    /// <summary>The width of each value in bytes: 1, 2, 4 (the default) or 8. The offset must be a multiple of it.</summary>
    [Parameter(ParameterSetName = ValueSet)]
    [ValidateSet("1", "2", "4", "8")]
    public int Width { get; set; } = 4;

    /// <summary>How many consecutive values to read (one pread each).</summary>
    [Parameter(ParameterSetName = ValueSet)]
    [ValidateRange(1, 65536)]
    public int Count { get; set; } = 1;

    /// <summary>Read this many raw bytes in one pread instead of typed values.</summary>
    [Parameter(Mandatory = true, ParameterSetName = BytesSet)]
    [ValidateRange(1, RegionAccess.MaxLength)]
    public int Length { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var argument in Device)
        {
            var device = ResolveDevice(argument, openAddress: true, out bool temporary);
            if (device is null) continue;
            try
            {
                if (ResolveRegion(Region, device) is not uint index) continue;
                if (ParameterSetName == BytesSet)
                {
                    WriteObject(RegionAccess.Read(device, index, Offset, Length));
                    continue;
                }
                for (int i = 0; i < Count; i++)
                {
                    ulong step = (ulong)i * (ulong)Width;
                    // Past the last offset a ulong holds is past every region's end; said as such, not as an overflow.
                    ulong offset = step > ulong.MaxValue - Offset ? ulong.MaxValue : Offset + step;
                    WriteObject(RegionAccess.Read(device, index, offset, Width, Width));
                }
            }
            catch (VfioException e)
            {
                WriteVfioError(e);
            }
            finally
            {
                if (temporary) device.Dispose();
            }
        }
    }
}
