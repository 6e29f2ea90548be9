using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace VfioPS.Kernel;

/// <summary>A process that has a file open: its pid, its name (comm) and its command line.</summary>
public sealed record ProcessHolder(int Pid, string Command, string CommandLine)
{
    public override string ToString() => CommandLine.Length > 0 ? $"{Pid} ({CommandLine})" : $"{Pid} ({Command})";
}

/// <summary>
/// Who holds a file open, read from /proc/&lt;pid&gt;/fd the way fuser does. Only the processes the caller may look
/// into are seen (all of them for root); this process is left out.
/// </summary>
internal static class ProcessHolders
{
    public static IReadOnlyList<ProcessHolder> Find(string procRoot, string path)
        => FindAll(procRoot, new[] { path }, includeSelf: false)[path];

    /// <summary>
    /// The holders of each of <paramref name="paths"/>, from one pass over /proc (every path has an entry, empty when
    /// nobody holds it), in pid order. With <paramref name="includeSelf"/> this process is looked into too.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<ProcessHolder>> FindAll(string procRoot, IReadOnlyCollection<string> paths, bool includeSelf)
    {
        var found = paths.Distinct(StringComparer.Ordinal).ToDictionary(p => p, _ => new List<ProcessHolder>(), StringComparer.Ordinal);
        try
        {
            foreach (string procDir in Directory.EnumerateDirectories(procRoot))
            {
                if (!int.TryParse(Path.GetFileName(procDir), out int pid) || (!includeSelf && pid == Environment.ProcessId)) continue;
                try
                {
                    var held = new HashSet<string>(StringComparer.Ordinal);
                    foreach (string fd in Directory.EnumerateFileSystemEntries(Path.Combine(procDir, "fd")))
                    {
                        if (new FileInfo(fd).LinkTarget is string target && found.ContainsKey(target)) held.Add(target);
                        if (held.Count == found.Count) break;
                    }
                    if (held.Count == 0) continue;
                    var holder = new ProcessHolder(pid, ReadComm(procDir), ReadCommandLine(procDir));
                    foreach (string target in held) found[target].Add(holder);
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return found.ToDictionary(p => p.Key, p => (IReadOnlyList<ProcessHolder>)p.Value.OrderBy(h => h.Pid).ToArray(), StringComparer.Ordinal);
    }

    private static string ReadComm(string procDir)
    {
        // The process may exit between the fd scan and here: its name is then unknown, not an error.
        try { return File.ReadAllText(Path.Combine(procDir, "comm")).Trim(); }
        catch (IOException) { return "?"; }
        catch (UnauthorizedAccessException) { return "?"; }
    }

    /// <summary>/proc/&lt;pid&gt;/cmdline: the arguments, each ended by a NUL.</summary>
    private static string ReadCommandLine(string procDir)
    {
        try
        {
            return string.Join(' ', File.ReadAllText(Path.Combine(procDir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries));
        }
        catch (IOException) { return string.Empty; }
        catch (UnauthorizedAccessException) { return string.Empty; }
    }
}
