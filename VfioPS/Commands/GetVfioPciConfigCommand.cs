using System;
using System.Management.Automation;
using VfioPS.Operations;

namespace VfioPS.Commands;

/// <summary>
/// Get-VfioPciConfig: config space as the CONFIG region shows it (what a guest sees), decoded: the standard header
/// and the capability lists. -Raw emits the bytes instead. A PCI address that is not open is opened for the call.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VfioPciConfig")]
[OutputType(typeof(VfioPciConfig))]
[OutputType(typeof(byte[]))]
public sealed class GetVfioPciConfigCommand : VfioCmdletBase
{
    /// <summary>The device: an open device object or name, or a PCI address.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Address")]
    [ArgumentCompleter(typeof(VfioDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    [VfioDeviceArgumentTransformation]
    public VfioDeviceArgument[] Device { get; set; } = Array.Empty<VfioDeviceArgument>();

    /// <summary>Emit the raw bytes (one byte[] per device) instead of the decoded object.</summary>
    [Parameter]
    public SwitchParameter Raw { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var argument in Device)
        {
            var device = ResolveDevice(argument, openAddress: true, out bool temporary);
            if (device is null) continue;
            try
            {
                byte[] bytes = PciConfigAccess.ReadBytes(device);
                if (Raw)
                {
                    WriteObject(bytes, enumerateCollection: false);
                    continue;
                }
                var config = PciConfigDecoder.Decode(device.Name, bytes);
                WriteObject(config);
                if (config.Faults.Length > 0)
                    WriteVfioError(new VfioException("VfioPciCapabilityListMalformed", VfioErrorKind.InvalidData,
                        $"The capability list of '{device.Name}' is malformed: {string.Join("; ", config.Faults)}. Capabilities before it were read.",
                        device.Name));
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
