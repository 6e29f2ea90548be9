using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace VfioPS.Kernel;

/// <summary>
/// The boot-time half of Enable-VfioDevice -Persistent: a udev rule file that VfioPS owns, one line per device, and a
/// modules-load.d file that loads vfio-pci at boot.
/// </summary>
/// <remarks>
/// Why a udev rule rather than driverctl: driverctl is not installed by default, and VfioPS needs no extra package.
/// The rule does what driverctl's does. On the "add" event (the kernel's, or the one udev replays for every device at
/// boot) ATTR{driver_override} is written while the rules are processed, before the RUN of 80-drivers.rules loads the
/// host driver's module, so a modular host driver never takes the device. A host driver that is built in or in the
/// initramfs has bound the device before udev runs: the RUN unbinds it from any driver but vfio-pci and probes it
/// again, and the override then picks vfio-pci (loaded at boot by the modules-load.d file, which binds the devices
/// whose override names it when it registers).
/// </remarks>
internal static class VfioPciUdevRules
{
    private const string Header =
        "# Written by VfioPS (Enable-VfioDevice -Persistent); Disable-VfioDevice removes lines, and the file with the last one.\n" +
        "# One line per PCI device: it is handed to vfio-pci whenever it appears, at boot too. Edit with VfioPS, not by hand.\n";

    private const string ModulesLoadText = "# Written by VfioPS for the devices in /etc/udev/rules.d/" + VfioHostPaths.UdevRuleFileName + ".\nvfio-pci\n";

    private static readonly Regex s_line = new(@"^ACTION==""add"", SUBSYSTEM==""pci"", KERNEL==""(?<a>[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])""", RegexOptions.CultureInvariant);

    /// <summary>
    /// The rule for one device. In a udev value "$$" is a literal "$" and %k the device's kernel name (its address);
    /// the RUN program is split into arguments at spaces outside single quotes, so the shell script is one argument.
    /// </summary>
    public static string Line(string address)
        => $"ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"{address}\", ATTR{{driver_override}}=\"vfio-pci\", " +
           "RUN+=\"/bin/sh -c 'd=/sys/bus/pci/devices/%k; " +
           "if [ -e $$d/driver ] && [ $$(basename $$(readlink $$d/driver)) != vfio-pci ]; then echo %k > $$d/driver/unbind; fi; " +
           "echo %k > /sys/bus/pci/drivers_probe'\"";

    /// <summary>The addresses that have a line in the rule file (empty when there is no file or it cannot be read).</summary>
    public static IReadOnlySet<string> ReadAddresses(VfioHostPaths paths)
    {
        var addresses = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            if (!File.Exists(paths.UdevRuleFile)) return addresses;
            foreach (string line in File.ReadAllLines(paths.UdevRuleFile))
            {
                var m = s_line.Match(line);
                if (m.Success) addresses.Add(m.Groups["a"].Value);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return addresses;
    }

    /// <summary>What <see cref="Add"/> would change, for -WhatIf; null when the device already has its line.</summary>
    public static string? DescribeAdd(VfioHostPaths paths, string address)
        => ReadAddresses(paths).Contains(address) ? null
            : $"add a line for {address} to {paths.UdevRuleFile}" + (File.Exists(paths.ModulesLoadFile) ? "" : $" and write vfio-pci to {paths.ModulesLoadFile}");

    /// <summary>What <see cref="Remove"/> would change, for -WhatIf; null when the device has no line.</summary>
    public static string? DescribeRemove(VfioHostPaths paths, string address)
    {
        var addresses = ReadAddresses(paths);
        if (!addresses.Contains(address)) return null;
        return $"remove the line for {address} from {paths.UdevRuleFile}" + (addresses.Count == 1 ? $" (the last: remove the file and {paths.ModulesLoadFile})" : "");
    }

    /// <summary>Adds lines for <paramref name="addresses"/>; returns the addresses that were added.</summary>
    public static IReadOnlyList<string> Add(VfioHostPaths paths, IEnumerable<string> addresses)
    {
        var existing = ReadAddresses(paths);
        var added = addresses.Where(a => !existing.Contains(a)).Distinct().OrderBy(a => a, StringComparer.Ordinal).ToList();
        var all = new SortedSet<string>(existing.Concat(added), StringComparer.Ordinal);
        Guard(paths.UdevRuleFile, () =>
        {
            if (added.Count > 0) WriteAtomically(paths.UdevRuleFile, Render(all));
            if (all.Count > 0 && !File.Exists(paths.ModulesLoadFile)) WriteAtomically(paths.ModulesLoadFile, ModulesLoadText);
        });
        return added;
    }

    /// <summary>Removes the lines of <paramref name="addresses"/>, the files with the last line; returns the addresses removed.</summary>
    public static IReadOnlyList<string> Remove(VfioHostPaths paths, IEnumerable<string> addresses)
    {
        var existing = ReadAddresses(paths);
        var removed = addresses.Where(existing.Contains).Distinct().OrderBy(a => a, StringComparer.Ordinal).ToList();
        if (removed.Count == 0) return removed;
        var left = new SortedSet<string>(existing.Except(removed), StringComparer.Ordinal);
        Guard(paths.UdevRuleFile, () =>
        {
            if (left.Count > 0)
            {
                WriteAtomically(paths.UdevRuleFile, Render(left));
                return;
            }
            File.Delete(paths.UdevRuleFile);
            // vfio-pci was loaded at boot for these devices only.
            if (File.Exists(paths.ModulesLoadFile)) File.Delete(paths.ModulesLoadFile);
        });
        return removed;
    }

    private static string Render(IEnumerable<string> addresses)
    {
        var text = new StringBuilder(Header);
        foreach (string address in addresses) text.Append(Line(address)).Append('\n');
        return text.ToString();
    }

    /// <summary>Temp file in the same folder, then rename: udev never reads half a file, and a crash leaves the old one.</summary>
    private static void WriteAtomically(string path, string text)
    {
        string dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Environment.ProcessId + ".tmp");
        try
        {
            File.WriteAllText(temp, text, new UTF8Encoding(false));
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static void Guard(string file, Action write)
    {
        try
        {
            write();
        }
        catch (UnauthorizedAccessException e)
        {
            throw new VfioException("VfioPersistentRuleFailed", VfioErrorKind.PermissionDenied,
                $"Could not write {file}: permission denied; run as root to make the binding persistent ({e.Message}).", file, inner: e);
        }
        catch (IOException e)
        {
            throw new VfioException("VfioPersistentRuleFailed", VfioErrorKind.InvalidOperation, $"Could not write {file}: {e.Message}", file, inner: e);
        }
    }
}
