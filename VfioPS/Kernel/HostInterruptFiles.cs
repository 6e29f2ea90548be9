using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace VfioPS.Kernel;

/// <summary>Where the kernel shows a device's interrupts: /proc/interrupts, /proc/irq/&lt;n&gt;/ and the device's msi_irqs/.</summary>
public static class HostInterruptPaths
{
    public static string ProcInterrupts(this VfioHostPaths paths) => Path.Combine(paths.ProcRoot, "interrupts");
    public static string IrqDir(this VfioHostPaths paths, int irq) => Path.Combine(paths.ProcRoot, "irq", irq.ToString(CultureInfo.InvariantCulture));
    /// <summary>The CPUs the IRQ may be delivered to (kernel/irq/proc.c, "%*pbl": "0-3,8").</summary>
    public static string IrqAffinityList(this VfioHostPaths paths, int irq) => Path.Combine(paths.IrqDir(irq), "smp_affinity_list");
    /// <summary>The CPUs the interrupt controller actually targets (kernels with GENERIC_IRQ_EFFECTIVE_AFF_MASK, x86 among them).</summary>
    public static string IrqEffectiveAffinityList(this VfioHostPaths paths, int irq) => Path.Combine(paths.IrqDir(irq), "effective_affinity_list");
    /// <summary>One file per MSI or MSI-X IRQ the device has allocated, named by IRQ number, holding "msi" or "msix".</summary>
    public static string MsiIrqs(this VfioHostPaths paths, string address) => Path.Combine(paths.PciDevice(address), "msi_irqs");
}

/// <summary>Reads the per-IRQ files. Missing or unreadable files are answered with null, never an exception.</summary>
public static class HostInterruptFiles
{
    /// <summary>
    /// The device's msi_irqs/ (drivers/pci/msi/sysfs, Documentation/ABI/testing/sysfs-bus-pci): IRQ number to "msi" or
    /// "msix". Empty when the folder is missing (MSI and MSI-X off) or unreadable; entries that are not numbers are
    /// skipped; a file that cannot be read gives an empty mode.
    /// </summary>
    public static IReadOnlyDictionary<int, string> ReadMsiIrqs(VfioHostPaths paths, string address)
    {
        var irqs = new SortedDictionary<int, string>();
        string dir = paths.MsiIrqs(address);
        try
        {
            if (!Directory.Exists(dir)) return irqs;
            foreach (string entry in Directory.EnumerateFileSystemEntries(dir))
            {
                if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int irq)) continue;
                irqs[irq] = ReadSmallText(entry) ?? string.Empty;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return irqs;
    }

    /// <summary>smp_affinity_list of an IRQ as the kernel wrote it ("0-3"); null when the file is missing (no SMP, IRQ gone).</summary>
    public static string? ReadAffinityList(VfioHostPaths paths, int irq) => ReadSmallText(paths.IrqAffinityList(irq));

    /// <summary>effective_affinity_list; null where the kernel has none.</summary>
    public static string? ReadEffectiveAffinityList(VfioHostPaths paths, int irq) => ReadSmallText(paths.IrqEffectiveAffinityList(irq));

    // sysfs and procfs attributes are at most a page; anything longer is not such a file, and is cut.
    private const int MaxAttributeLength = 64 * 1024;

    private static string? ReadSmallText(string path)
    {
        try
        {
            using var reader = new StreamReader(path);
            var buffer = new char[MaxAttributeLength];
            int read = reader.ReadBlock(buffer, 0, buffer.Length);
            return new string(buffer, 0, read).Trim();
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// A CPU list as the kernel prints one ("0-3,8,10-11"; bitmap_print_to_pagebuf with list format): the CPUs in
    /// ascending order, each once. Null for text that is not such a list, or that names more CPUs than any kernel has.
    /// </summary>
    public static int[]? ParseCpuList(string? text)
    {
        const int maxCpus = 1 << 16;
        if (text is null) return null;
        var trimmed = text.Trim();
        if (trimmed.Length == 0) return Array.Empty<int>();
        var cpus = new SortedSet<int>();
        foreach (string part in trimmed.Split(','))
        {
            int dash = part.IndexOf('-');
            string low = dash < 0 ? part : part[..dash];
            string high = dash < 0 ? part : part[(dash + 1)..];
            if (!int.TryParse(low, NumberStyles.None, CultureInfo.InvariantCulture, out int from)
                || !int.TryParse(high, NumberStyles.None, CultureInfo.InvariantCulture, out int to)
                || to < from || to >= maxCpus) return null;
            for (int cpu = from; cpu <= to; cpu++) cpus.Add(cpu);
        }
        return cpus.ToArray();
    }
}
