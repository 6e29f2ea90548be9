using System;
using System.Collections.Generic;
using System.Globalization;

namespace VfioPS.Kernel;

/// <summary>
/// One numbered IRQ line of /proc/interrupts: the host IRQ, the count of each CPU the header names (in the header's
/// order), the text between the counts and the handlers (chip, hardware IRQ, trigger: "IR-PCI-MSI 180224-edge"), and
/// the handlers registered on the line (the actions' names, first to last).
/// </summary>
public sealed record ProcInterruptLine(int Irq, int[] Cpus, ulong[] Counts, string Chip, string[] Actions)
{
    /// <summary>The counts summed over the CPUs (saturating at ulong.MaxValue, which no kernel reaches).</summary>
    public ulong Total
    {
        get
        {
            ulong total = 0;
            foreach (ulong count in Counts) total = ulong.MaxValue - total < count ? ulong.MaxValue : total + count;
            return total;
        }
    }
}

/// <summary>
/// Reads /proc/interrupts as the kernel writes it (kernel/irq/proc.c show_interrupts): a header of "CPU&lt;n&gt;" for
/// each online CPU, then per IRQ "&lt;irq&gt;:", one "%10u " count per online CPU, the chip name, the hardware IRQ,
/// the trigger and flow ("-edge", "-fasteoi"), and the actions as "  first, second, ...". Lines the architecture adds
/// after the numbered IRQs (NMI:, LOC:, ERR:, ...) have no number and are skipped.
/// Any text is accepted: a line that does not have this shape is skipped, never an exception. The CPUs come from the
/// header line; without one, each line's leading numbers are its counts, for CPUs 0, 1, ...
/// </summary>
public static class ProcInterruptsParser
{
    // More CPUs than any kernel has (NR_CPUS is at most 8192): a bound on what a malformed header can make us allocate.
    private const int MaxCpus = 1 << 16;

    public static IReadOnlyList<ProcInterruptLine> Parse(string? text)
    {
        var lines = new List<ProcInterruptLine>();
        if (string.IsNullOrEmpty(text)) return lines;
        int[]? cpus = null;
        bool first = true;
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = raw.TrimEnd();
            if (line.IsEmpty) continue;
            if (first)
            {
                first = false;
                // The header is the first line; a text without one (a line that starts with "<n>:") has no CPU list.
                if (TryParseHeader(line, out cpus)) continue;
            }
            if (TryParseLine(line, cpus, out var parsed)) lines.Add(parsed);
        }
        return lines;
    }

    /// <summary>"           CPU0       CPU1": every token is CPU and a number; at least one.</summary>
    private static bool TryParseHeader(ReadOnlySpan<char> line, out int[]? cpus)
    {
        cpus = null;
        var found = new List<int>();
        foreach (string token in line.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!token.StartsWith("CPU", StringComparison.Ordinal)
                || !int.TryParse(token.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int cpu)) return false;
            if (found.Count == MaxCpus) return false;
            found.Add(cpu);
        }
        if (found.Count == 0) return false;
        cpus = found.ToArray();
        return true;
    }

    private static bool TryParseLine(ReadOnlySpan<char> line, int[]? cpus, out ProcInterruptLine parsed)
    {
        parsed = null!;
        int colon = line.IndexOf(':');
        if (colon <= 0) return false;
        if (!int.TryParse(line[..colon].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int irq)) return false;
        var rest = line[(colon + 1)..];

        // The counts: as many numbers as the header has CPUs (or, without a header, every leading number).
        int wanted = cpus?.Length ?? MaxCpus;
        var counts = new List<ulong>(Math.Min(wanted, 64));
        int position = 0;
        while (counts.Count < wanted)
        {
            int start = position;
            while (start < rest.Length && char.IsWhiteSpace(rest[start])) start++;
            int end = start;
            while (end < rest.Length && !char.IsWhiteSpace(rest[end])) end++;
            if (end == start || !ulong.TryParse(rest[start..end], NumberStyles.None, CultureInfo.InvariantCulture, out ulong count)) break;
            counts.Add(count);
            position = end;
        }
        // A line cut short (fewer numbers than CPUs) keeps the counts it has, for the first CPUs of the header.
        int[] lineCpus = new int[counts.Count];
        for (int i = 0; i < lineCpus.Length; i++) lineCpus[i] = cpus is null ? i : cpus[i];

        var tail = rest[position..].Trim();
        // The actions follow two spaces ("  %s", then ", %s" for each further one); chip, hwirq and flow come before,
        // padded with single spaces or runs that end where the actions begin. The last run of two spaces starts them.
        int split = tail.LastIndexOf("  ", StringComparison.Ordinal);
        string chip;
        string[] actions;
        if (split < 0)
        {
            chip = Collapse(tail);
            actions = Array.Empty<string>();
        }
        else
        {
            chip = Collapse(tail[..split]);
            actions = SplitActions(tail[(split + 2)..].Trim());
            // A line without actions (counts left on a freed IRQ) ends in its hardware IRQ and flow, "7-fasteoi",
            // after the padding of a short hardware IRQ number: that is still the chip's text, not a handler.
            if (actions.Length == 1 && IsHwirqAndFlow(actions[0]))
            {
                chip = Collapse(tail);
                actions = Array.Empty<string>();
            }
        }
        parsed = new ProcInterruptLine(irq, lineCpus, counts.ToArray(), chip, actions);
        return true;
    }

    private static string[] SplitActions(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return Array.Empty<string>();
        var names = new List<string>();
        foreach (string part in text.ToString().Split(", "))
        {
            string name = part.Trim();
            if (name.Length > 0) names.Add(name);
        }
        return names.ToArray();
    }

    private static bool IsHwirqAndFlow(string text)
    {
        int dash = text.IndexOf('-');
        if (dash <= 0 || dash == text.Length - 1) return false;
        for (int i = 0; i < dash; i++) if (!char.IsAsciiDigit(text[i])) return false;
        for (int i = dash + 1; i < text.Length; i++) if (!char.IsAsciiLetter(text[i])) return false;
        return true;
    }

    /// <summary>Runs of white space as one space: "IR-PCI-MSI   180224-edge" reads "IR-PCI-MSI 180224-edge".</summary>
    private static string Collapse(ReadOnlySpan<char> text)
    {
        var builder = new System.Text.StringBuilder(text.Length);
        bool space = false;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c)) { space = builder.Length > 0; continue; }
            if (space) builder.Append(' ');
            space = false;
            builder.Append(c);
        }
        return builder.ToString();
    }
}
