using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text.RegularExpressions;

namespace VfioPS.Runner;

/// <summary>What a rendered run did: how many error records were written, and the exit code to report.</summary>
public readonly record struct RunOutcome(int ErrorCount, int ExitCode);

/// <summary>
/// A runspace with the Core cmdlets (InitialSessionState.CreateDefault2) and the built VfioPS module imported from
/// its manifest, as pwsh would import it. Scripts run either rendered through Out-Default (what a console shows) or
/// invoked for their objects.
/// </summary>
public sealed class ModuleSession : IDisposable
{
    private readonly Runspace _runspace;

    // Sessions of one process open, import and close one at a time. Tests open several at once on parallel threads,
    // and a runspace opened while another opened or closed has been seen without its FileSystem drive "/" ("Cannot
    // find drive. A drive with the name '/' does not exist.") on the first path it resolved.
    private static readonly object s_lifecycle = new();

    public ModuleSession(string manifestPath, TextWriter output, TextWriter error, int width = 120, bool plainText = true)
    {
        ManifestPath = Path.GetFullPath(manifestPath);
        Host = new RunnerHost(output, error, width, plainText);
        lock (s_lifecycle)
        {
            _runspace = RunspaceFactory.CreateRunspace(Host, InitialSessionState.CreateDefault2());
            _runspace.Open();
            using var ps = PowerShell.Create();
            ps.Runspace = _runspace;
            ps.AddCommand("Import-Module").AddParameter("Name", ManifestPath).AddParameter("ErrorAction", "Stop");
            ps.Invoke();
        }
        if (plainText)
        {
            // Views rendered for logs, files and tests: no ANSI escape sequences.
            using var style = PowerShell.Create();
            style.Runspace = _runspace;
            style.AddScript("$PSStyle.OutputRendering = 'PlainText'").Invoke();
        }
    }

    public string ManifestPath { get; }
    public RunnerHost Host { get; }
    public Runspace Runspace => _runspace;

    /// <summary>
    /// Runs <paramref name="script"/> with every stream merged into output and rendered by Out-Default with the
    /// module's views, the way a console shows it. Errors count whether they were terminating or not.
    /// </summary>
    public RunOutcome RunRendered(string script, IEnumerable<object>? arguments = null)
    {
        int errorsBefore = ErrorCount();
        int errorLinesBefore = Host.ErrorLinesWritten;
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        var command = new Command(script, isScript: true, useLocalScope: false);
        foreach (var argument in arguments ?? Array.Empty<object>()) command.Parameters.Add(null, argument);
        command.MergeMyResults(PipelineResultTypes.All, PipelineResultTypes.Output);
        ps.Commands.AddCommand(command);
        ps.AddCommand("Out-Default");
        int exitCode = 0;
        try
        {
            ps.Invoke();
        }
        catch (ExitException e)
        {
            exitCode = LanguagePrimitives.TryConvertTo(e.Argument, out int code) ? code : 0;
        }
        catch (RuntimeException e)
        {
            Host.UI.WriteErrorLine(e.ErrorRecord?.ToString() ?? e.Message);
            exitCode = 1;
        }
        if (Host.ExitRequested) exitCode = Host.ExitCode;
        int errors = ErrorCount() - errorsBefore;
        // An error the script caught (try/catch, -ErrorAction Ignore) is in $Error too, but only the ones that were
        // written out fail the run, as in pwsh.
        if (exitCode == 0 && Host.ErrorLinesWritten > errorLinesBefore) exitCode = 1;
        return new RunOutcome(errors, exitCode);
    }

    /// <summary>Runs <paramref name="script"/> and returns its objects; errors are collected in <paramref name="errors"/>.</summary>
    public Collection<PSObject> Invoke(string script, out IReadOnlyList<ErrorRecord> errors, IDictionary<string, object?>? variables = null)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        foreach (var (name, value) in variables ?? new Dictionary<string, object?>())
            _runspace.SessionStateProxy.SetVariable(name, value);
        ps.AddScript(script);
        var results = ps.Invoke();
        errors = ps.Streams.Error.ToArray();
        return results;
    }

    private int ErrorCount()
    {
        var errorList = _runspace.SessionStateProxy.GetVariable("Error") as System.Collections.ICollection;
        return errorList?.Count ?? 0;
    }

    public void Dispose()
    {
        lock (s_lifecycle) _runspace.Dispose();
    }

    /// <summary>
    /// The built module's manifest: the newest output/VfioPS/&lt;version&gt;/VfioPS.psd1 above any of the start folders.
    /// </summary>
    public static string? FindBuiltManifest(params string[] startDirectories)
    {
        foreach (string start in startDirectories)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var moduleRoot = new DirectoryInfo(Path.Combine(dir.FullName, "output", "VfioPS"));
                if (!moduleRoot.Exists) continue;
                var newest = moduleRoot.GetDirectories()
                    .Select(d => (Dir: d, Version: Version.TryParse(d.Name, out var v) ? v : null))
                    .Where(x => x.Version is not null && File.Exists(Path.Combine(x.Dir.FullName, "VfioPS.psd1")))
                    .OrderByDescending(x => x.Version)
                    .FirstOrDefault();
                if (newest.Dir is not null) return Path.Combine(newest.Dir.FullName, "VfioPS.psd1");
            }
        }
        return null;
    }

    /// <summary>The ModuleVersion a manifest declares (the repo's VfioPS.psd1 is the one place it lives).</summary>
    public static string? ReadModuleVersion(string manifestPath)
    {
        var match = Regex.Match(File.ReadAllText(manifestPath), @"ModuleVersion\s*=\s*'([0-9.]+)'");
        return match.Success ? match.Groups[1].Value : null;
    }
}
