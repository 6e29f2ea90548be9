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
    {
        var holders = new List<ProcessHolder>();
        try
        {
            foreach (string procDir in Directory.EnumerateDirectories(procRoot))
            {
                if (!int.TryParse(Path.GetFileName(procDir), out int pid) || pid == Environment.ProcessId) continue;
                try
                {
                    foreach (string fd in Directory.EnumerateFileSystemEntries(Path.Combine(procDir, "fd")))
                    {
                        if (new FileInfo(fd).LinkTarget != path) continue;
                        holders.Add(new ProcessHolder(pid, ReadComm(procDir), ReadCommandLine(procDir)));
                        break;
                    }
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return holders.OrderBy(h => h.Pid).ToArray();
    }

    private static string ReadComm(string procDir)
        => File.Exists(Path.Combine(procDir, "comm")) ? File.ReadAllText(Path.Combine(procDir, "comm")).Trim() : "?";

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
