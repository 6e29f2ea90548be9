using System;
using System.Management.Automation;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>
/// Write-VfioRegion: a typed little-endian value (-Value, -Width) or raw bytes (-Bytes) to a region of an open
/// device, bounds-checked against VFIO_DEVICE_GET_REGION_INFO and its Write flag, with ShouldProcess naming the
/// region, offset and value. The device must be open: closing a vfio-pci device resets the function, which would
/// undo the write.
/// </summary>
[Cmdlet(VerbsCommunications.Write, "VfioRegion", DefaultParameterSetName = ValueSet, SupportsShouldProcess = true)]
[OutputType(typeof(VfioRegionData))]
public sealed class WriteVfioRegionCommand : VfioRegionCmdletBase
{
    private const string ValueSet = "Value";
    private const string BytesSet = "Bytes";

    /// <summary>The open device (object or name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
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

    /// <summary>The value to write, little-endian in -Width bytes.</summary>
    [Parameter(Mandatory = true, Position = 3, ParameterSetName = ValueSet)]
    [UnsignedValueTransformation]
    public ulong Value { get; set; }

    /// <summary>The width of the value in bytes: 1, 2, 4 (the default) or 8. The offset must be a multiple of it.</summary>
    [Parameter(ParameterSetName = ValueSet)]
    [ValidateSet("1", "2", "4", "8")]
    public int Width { get; set; } = 4;

    /// <summary>Raw bytes to write in one pwrite instead of a typed value.</summary>
    [Parameter(Mandatory = true, ParameterSetName = BytesSet)]
    [ValidateNotNullOrEmpty]
    public byte[] Bytes { get; set; } = Array.Empty<byte>();

    /// <summary>Emit what was written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var argument in Device)
        {
            var device = ResolveDevice(argument);
            if (device is null) continue;
            try
            {
                if (ResolveRegion(Region, device) is not uint index) continue;
                bool typed = ParameterSetName == ValueSet;
                byte[] data = typed ? RegionAccess.Encode(Value, Width, device.Name) : Bytes;
                int width = typed ? Width : 0;
                // Checked before asking, so -WhatIf says only what would really be sent.
                var info = RegionAccess.Locate(device, index, Offset, data.Length, write: true);
                string what = typed ? $"0x{Value.ToString("x" + Width * 2, System.Globalization.CultureInfo.InvariantCulture)} ({Width} bytes)" : $"{data.Length} byte(s)";
                if (!ShouldProcess($"{device.Name} {info.Name} (region {index}) offset 0x{Offset:x}", $"Write {what}")) continue;
                var written = RegionAccess.Write(device, index, Offset, data, width);
                if (PassThru) WriteObject(written);
            }
            catch (VfioException e)
            {
                WriteVfioError(e);
            }
        }
    }
}
