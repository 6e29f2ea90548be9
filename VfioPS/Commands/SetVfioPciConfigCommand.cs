using System;
using System.Globalization;
using System.Management.Automation;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>
/// Set-VfioPciConfig: writes one config register (1, 2 or 4 bytes) through the CONFIG region of an open device and
/// reports what the device kept, read back after the write; vfio-pci virtualizes config space and drops or filters
/// writes to many bits, so a value that did not stick is a warning, not an error. ShouldProcess names the register.
/// </summary>
[Cmdlet(VerbsCommon.Set, "VfioPciConfig", SupportsShouldProcess = true)]
[OutputType(typeof(VfioPciConfigWrite))]
public sealed class SetVfioPciConfigCommand : VfioCmdletBase
{
    /// <summary>The open device (object or name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(VfioDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    [VfioDeviceArgumentTransformation]
    public VfioDeviceArgument[] Device { get; set; } = Array.Empty<VfioDeviceArgument>();

    /// <summary>The config-space offset of the register, a multiple of -Width.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateRange(0, 4095)]
    public int Offset { get; set; }

    /// <summary>The value to write.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [UnsignedValueTransformation]
    public uint Value { get; set; }

    /// <summary>The register width in bytes: 1, 2 or 4.</summary>
    [Parameter(Mandatory = true)]
    [ValidateSet("1", "2", "4")]
    public int Width { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var argument in Device)
        {
            var device = ResolveDevice(argument);
            if (device is null) continue;
            try
            {
                var config = PciConfigAccess.Read(device);
                if (Offset + Width > config.Length)
                    throw new VfioException("VfioRegionOutOfRange", VfioErrorKind.InvalidArgument,
                        $"Offset 0x{Offset:x} and {Width} byte(s) run past the end of config space of '{device.Name}', which has {config.Length} bytes.", device.Name);
                if (Offset % Width != 0)
                    throw new VfioException("VfioRegionUnaligned", VfioErrorKind.InvalidArgument,
                        $"A {Width}-byte register sits at a multiple of {Width}; offset 0x{Offset:x} is not.", device.Name);
                RegionAccess.Encode(Value, Width, device.Name);
                string register = PciConfigAccess.RegisterName(config, Offset);
                string value = "0x" + Value.ToString("x" + Width * 2, CultureInfo.InvariantCulture);
                if (!ShouldProcess($"{device.Name} config 0x{Offset:x2} ({register})", $"Write {value} ({Width} byte{(Width == 1 ? "" : "s")})")) continue;
                var written = PciConfigAccess.Write(device, (ushort)Offset, Width, Value, register);
                if (!written.Kept)
                    WriteWarning($"{device.Name} config 0x{Offset:x2} ({register}): wrote {value}, reads back 0x{written.After.ToString("x" + Width * 2, CultureInfo.InvariantCulture)}; vfio-pci or the device did not keep bits 0x{written.DifferentBits.ToString("x" + Width * 2, CultureInfo.InvariantCulture)}.");
                WriteObject(written);
            }
            catch (VfioException e)
            {
                WriteVfioError(e);
            }
        }
    }
}
