using System;
using System.Management.Automation;
using VfioPS.Mock;

namespace VfioPS.Commands;

/// <summary>New-VfioMockDevice: opens a loopback mock device from a built-in profile or a JSON profile file.</summary>
[Cmdlet(VerbsCommon.New, "VfioMockDevice", DefaultParameterSetName = ProfileParameterSet)]
[OutputType(typeof(VfioDevice))]
public sealed class NewVfioMockDeviceCommand : VfioCmdletBase
{
    private const string ProfileParameterSet = "Profile";
    private const string PathParameterSet = "Path";

    /// <summary>A built-in profile: e1000e, edu or gvt-vgpu.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ProfileParameterSet)]
    [ArgumentCompleter(typeof(MockProfileCompleter))]
    [ValidateNotNullOrEmpty]
    public string Profile { get; set; } = string.Empty;

    /// <summary>A JSON profile file, in the schema the built-in profiles use.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathParameterSet, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    protected override void ProcessRecord()
    {
        try
        {
            var device = ParameterSetName switch
            {
                ProfileParameterSet => MockDevices.OpenBuiltIn(Profile),
                PathParameterSet => MockDevices.OpenFile(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path)),
                _ => throw new InvalidOperationException("Unknown parameter set " + ParameterSetName),
            };
            WriteVerbose($"Opened {device.Name} from the {device.Profile} profile: {device.NumIrqs} IRQ indexes.");
            WriteObject(device);
        }
        catch (VfioException e)
        {
            WriteVfioError(e);
        }
    }
}
