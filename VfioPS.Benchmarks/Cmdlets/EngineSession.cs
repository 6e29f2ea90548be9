using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using VfioPS.Benchmarks.Anchors;

namespace VfioPS.Benchmarks.Cmdlets;

/// <summary>
/// The PowerShell engine (System.Management.Automation 7.6.10 from NuGet) hosted in the benchmark process, with the
/// BUILT module imported from output/VfioPS/&lt;version&gt;/ (or the manifest in VFIOPS_BENCH_MODULE, to measure
/// another build the same way) and the floor cmdlets added next to it.
/// </summary>
public sealed class EngineSession : IDisposable
{
    private readonly Runspace _runspace;

    public EngineSession()
    {
        var state = InitialSessionState.CreateDefault2();
        state.Commands.Add(new SessionStateCmdletEntry("Get-FloorIrqInfo", typeof(GetFloorIrqInfoCommand), null));
        state.Commands.Add(new SessionStateCmdletEntry("Invoke-FloorCall", typeof(InvokeFloorCallCommand), null));
        state.Commands.Add(new SessionStateCmdletEntry("Set-FloorIrqShape", typeof(SetFloorIrqShapeCommand), null));
        state.Commands.Add(new SessionStateCmdletEntry("Wait-FloorEventFdShape", typeof(WaitFloorEventFdShapeCommand), null));
        _runspace = RunspaceFactory.CreateRunspace(state);
        // Pipelines run on the benchmark thread: no hand-off to a pipeline thread in what is measured, for VfioPS and floor alike.
        _runspace.ThreadOptions = PSThreadOptions.UseCurrentThread;
        _runspace.Open();
        // Cmdlets run on the caller's thread, as in pwsh; Runspace.DefaultRunspace is this runspace.
        Runspace.DefaultRunspace = _runspace;
        Invoke($"Import-Module -Name '{FindManifest()}' -ErrorAction Stop");
    }

    public Runspace Runspace => _runspace;

    /// <summary>Runs a script in the session (set-up and clean-up; not what is measured).</summary>
    public Collection<PSObject> Invoke(string script)
    {
        using var ps = Create();
        ps.AddScript(script);
        var results = ps.Invoke();
        if (ps.HadErrors) throw new InvalidOperationException($"'{script}' failed: {string.Join("; ", ps.Streams.Error)}");
        return results;
    }

    /// <summary>A PowerShell on the session's runspace, built once and invoked many times by a benchmark.</summary>
    public PowerShell Create()
    {
        var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        return ps;
    }

    public object? Get(string variable) => _runspace.SessionStateProxy.GetVariable(variable);

    public void Set(string variable, object? value) => _runspace.SessionStateProxy.SetVariable(variable, value);

    public void Dispose() => _runspace.Dispose();

    /// <summary>Invokes a prepared command and checks it made the objects it should (a benchmark that errs measures nothing).</summary>
    public static int Run(PowerShell ps, IEnumerable<object>? input = null, int expected = -1)
    {
        var results = input is null ? ps.Invoke() : ps.Invoke(input);
        if (ps.HadErrors) throw new InvalidOperationException("The measured command failed: " + string.Join("; ", ps.Streams.Error));
        if (expected >= 0 && results.Count != expected) throw new InvalidOperationException($"The measured command emitted {results.Count} objects, not {expected}.");
        return results.Count;
    }

    private static string FindManifest()
    {
        string? chosen = Environment.GetEnvironmentVariable("VFIOPS_BENCH_MODULE");
        if (!string.IsNullOrEmpty(chosen)) return Path.GetFullPath(chosen);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var root = new DirectoryInfo(Path.Combine(dir.FullName, "output", "VfioPS"));
            if (!root.Exists) continue;
            var manifest = root.GetDirectories()
                .Where(d => Version.TryParse(d.Name, out _) && File.Exists(Path.Combine(d.FullName, "VfioPS.psd1")))
                .OrderByDescending(d => Version.Parse(d.Name))
                .Select(d => Path.Combine(d.FullName, "VfioPS.psd1"))
                .FirstOrDefault();
            if (manifest is not null) return manifest;
        }
        throw new InvalidOperationException("The module is not built: run `dotnet build VfioPS.sln -c Release` first (output/VfioPS/<version>/).");
    }
}
