using System;
using System.Diagnostics;
using System.IO;

namespace VfioPS.Kernel;

/// <summary>Loads a kernel module. The real one runs modprobe; tests fake it.</summary>
internal interface IKernelModuleLoader
{
    /// <summary>True when the module loaded; otherwise false, with what went wrong in <paramref name="message"/>.</summary>
    bool TryLoad(string module, VfioHostPaths paths, out string message);
}

/// <summary>`modprobe &lt;module&gt;`, which also loads what it depends on (vfio, vfio_iommu_type1, vfio_pci_core).</summary>
internal sealed class ModprobeLoader : IKernelModuleLoader
{
    public static ModprobeLoader Instance { get; } = new();

    public bool TryLoad(string module, VfioHostPaths paths, out string message)
    {
        // modprobe acts on the running kernel, whose drivers show in /sys: it cannot make one appear in another tree.
        if (paths.SysfsRoot != VfioHostPaths.HostSysfsRoot)
        {
            message = $"modprobe was not run: the sysfs root {paths.SysfsRoot} is not the running kernel's {VfioHostPaths.HostSysfsRoot}";
            return false;
        }
        try
        {
            var start = new ProcessStartInfo("modprobe", module) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            using var process = Process.Start(start)!;
            string errors = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            message = process.ExitCode == 0 ? string.Empty : $"modprobe {module} exited {process.ExitCode}: {errors.Trim()}";
            return process.ExitCode == 0;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            message = $"modprobe {module} could not be run: {e.Message}";
            return false;
        }
    }
}
