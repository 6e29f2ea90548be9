using System;
using System.Collections.Generic;
using System.Management.Automation;
using VfioPS.Mock;

namespace VfioPS.Commands;

/// <summary>New-VfioMockDevice: opens a loopback mock device from a built-in profile or from JSON profile files.</summary>
[Cmdlet(VerbsCommon.New, "VfioMockDevice", DefaultParameterSetName = ProfileParameterSet)]
[OutputType(typeof(VfioDevice))]
public sealed class NewVfioMockDeviceCommand : VfioCmdletBase
{
    private const string ProfileParameterSet = "Profile";
    private const string PathParameterSet = "Path";
    private const string LiteralPathParameterSet = "LiteralPath";

    /// <summary>A built-in profile: e1000e, e1000e-port, edu, gvt-vgpu, pci-testdev or virtio-net (Debian's 6.1 readings), or one of the 6.12 readings (e1000e-6.12, ...).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ProfileParameterSet)]
    [ArgumentCompleter(typeof(MockProfileCompleter))]
    [ValidateNotNullOrEmpty]
    public string Profile { get; set; } = string.Empty;

    /// <summary>The kernel whose readings to use: a series (6.1, 6.12) or a whole release; -Profile e1000e -Kernel 6.12 opens e1000e-6.12.</summary>
    [Parameter(ParameterSetName = ProfileParameterSet)]
    [ArgumentCompleter(typeof(MockKernelCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Kernel { get; set; }

    /// <summary>JSON profile files (wildcards allowed), in the schema the built-in profiles use; one device per file.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathParameterSet, ValueFromPipeline = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>JSON profile files, taken exactly as written (no wildcards).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathParameterSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case ProfileParameterSet:
                Open(() => MockDevices.OpenBuiltIn(Profile, Kernel));
                break;
            case PathParameterSet:
            case LiteralPathParameterSet:
                foreach (string file in ResolveFiles(ParameterSetName == PathParameterSet ? Path : LiteralPath, ParameterSetName == PathParameterSet))
                    Open(() => MockDevices.OpenFile(file));
                break;
            default:
                throw new InvalidOperationException("Unknown parameter set " + ParameterSetName);
        }
    }

    private void Open(Func<VfioDevice> open)
    {
        try
        {
            var device = open();
            RunspaceResources.Track(this, device);
            if (VerboseShown)
            {
                string kernel = device.MockChannel is { } mock ? $" (readings and rules of kernel {mock.Profile.Kernel})" : "";
                WriteVerbose($"Opened {device.Name} from the {device.Profile} profile{kernel}: {device.NumIrqs} IRQ indexes.");
            }
            WriteObject(device);
        }
        catch (VfioException e)
        {
            WriteVfioError(e);
        }
    }

    /// <summary>Filesystem paths for the given PowerShell paths; a path that resolves to nothing is a per-item error.</summary>
    private IEnumerable<string> ResolveFiles(string[] paths, bool expandWildcards)
    {
        foreach (string path in paths)
        {
            var resolved = new List<string>();
            try
            {
                if (expandWildcards && WildcardPattern.ContainsWildcardCharacters(path))
                {
                    resolved.AddRange(SessionState.Path.GetResolvedProviderPathFromPSPath(path, out var provider));
                    if (provider.Name != "FileSystem") throw new NotSupportedException($"'{path}' is not a file system path.");
                }
                else
                {
                    resolved.Add(SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));
                }
            }
            catch (Exception e) when (e is ItemNotFoundException or DriveNotFoundException or ProviderNotFoundException or NotSupportedException or PSArgumentException)
            {
                WriteVfioError(new VfioException("MockProfileNotFound", VfioErrorKind.ObjectNotFound,
                    $"The mock profile path '{path}' does not name a file: {e.Message}", path, inner: e));
                continue;
            }
            if (resolved.Count == 0)
                WriteVfioError(new VfioException("MockProfileNotFound", VfioErrorKind.ObjectNotFound, $"No mock profile file matches '{path}'.", path));
            foreach (string file in resolved) yield return file;
        }
    }
}
