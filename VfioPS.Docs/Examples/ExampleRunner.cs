using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace VfioPS.Docs.Examples;

public sealed record ExampleRun(DocExample Example, int ExitCode, string Output, string Errors)
{
    /// <summary>Why the run does not match the help, or null when it does.</summary>
    public string? Failure
    {
        get
        {
            if (ExitCode != 0 || Errors.Trim().Length > 0)
                return $"{Example.Id} exited {ExitCode}:\n{Errors.Trim()}\n--- output ---\n{DocExample.Normalize(Output)}";
            if (Example.Output is null) return null;
            string expected = DocExample.Normalize(Example.Output), actual = DocExample.Normalize(Output);
            return expected == actual ? null
                : $"{Example.Id} (\"{Example.Title}\") printed something else than its help shows.\n--- help ---\n{expected}\n--- run ---\n{actual}";
        }
    }
}

/// <summary>
/// Runs examples the way a user meets them: each in a fresh vfiops-run process (a new engine with only the module
/// imported, so mock device names start at /1), 120 columns, rendered with the module's views.
/// </summary>
public sealed class ExampleRunner(string runnerDll, string workingDirectory)
{
    public const int Width = 120;

    /// <summary>
    /// vfiops-run built with the same configuration as the calling program: both live in bin/&lt;Configuration&gt;/net10.0
    /// of their projects in <paramref name="root"/>.
    /// </summary>
    public static string RunnerBesideThisBuild(string root)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Debug";
        return Path.Combine(root, "VfioPS.Runner", "bin", configuration, "net10.0", "vfiops-run.dll");
    }

    public async Task<ExampleRun> RunAsync(DocExample example)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (string argument in new[] { runnerDll, "-Width", Width.ToString(System.Globalization.CultureInfo.InvariantCulture), "-Command", example.Code })
            start.ArgumentList.Add(argument);
        start.Environment.Remove("VFIOPS_MODULE");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(TimeSpan.FromMinutes(5))) != exited)
        {
            process.Kill(entireProcessTree: true);
            return new ExampleRun(example, -1, await output, "timed out after 5 minutes");
        }
        return new ExampleRun(example, process.ExitCode, await output, await errors);
    }

    /// <summary>Runs the examples, <paramref name="parallel"/> at a time, and returns the runs in the examples' order.</summary>
    public async Task<IReadOnlyList<ExampleRun>> RunAllAsync(IEnumerable<DocExample> examples, int parallel)
    {
        using var gate = new System.Threading.SemaphoreSlim(Math.Max(1, parallel));
        var tasks = examples.Select(async example =>
        {
            await gate.WaitAsync();
            try { return await RunAsync(example); }
            finally { gate.Release(); }
        }).ToList();
        return await Task.WhenAll(tasks);
    }
}
