using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;
using VfioPS.Runner;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>Where the repository and the built module are, found from the test binary's folder.</summary>
public static class Repo
{
    public static string Root { get; } = VfioPS.Docs.HelpSet.FindRoot(AppContext.BaseDirectory);

    public static string Version { get; } = ModuleSession.ReadModuleVersion(Path.Combine(Root, "VfioPS.psd1"))
        ?? throw new InvalidOperationException("VfioPS.psd1 has no ModuleVersion.");

    public static string ModuleDirectory => Path.Combine(Root, "output", "VfioPS", Version);

    public static string Manifest => Path.Combine(ModuleDirectory, "VfioPS.psd1");

    /// <summary>vfiops-run built with the same configuration as these tests.</summary>
    public static string Runner
    {
        get
        {
            string path = VfioPS.Docs.Examples.ExampleRunner.RunnerBesideThisBuild(Root);
            Assert.True(File.Exists(path), "The runner is not built at " + path);
            return path;
        }
    }
}

/// <summary>
/// One engine session per test class: a runspace with the Core cmdlets and the built module imported from
/// output/. Output rendered by Out-Default is captured in <see cref="Output"/>.
/// </summary>
public sealed class ModuleFixture : IDisposable
{
    private readonly StringWriter _output = new();
    private readonly StringWriter _errors = new();

    public ModuleFixture()
    {
        Assert.True(File.Exists(Repo.Manifest), $"The module is not built at {Repo.Manifest}: run `dotnet build` at the repository root.");
        Session = new ModuleSession(Repo.Manifest, _output, _errors, width: 120);
    }

    public ModuleSession Session { get; }

    /// <summary>Runs a script and returns its objects, failing the test on any error unless <paramref name="allowErrors"/>.</summary>
    public Collection<PSObject> Run(string script, bool allowErrors = false)
    {
        var results = Session.Invoke(script, out var errors);
        if (!allowErrors && errors.Count > 0)
            Assert.Fail("Unexpected errors:\n" + string.Join("\n", errors.Select(e => e.FullyQualifiedErrorId + ": " + e)));
        return results;
    }

    public Collection<PSObject> Run(string script, out IReadOnlyList<ErrorRecord> errors) => Session.Invoke(script, out errors);

    /// <summary>Renders through Out-Default and returns what the host printed (output, then error lines).</summary>
    public (string Output, string Errors, RunOutcome Outcome) Render(string script)
    {
        lock (_output)
        {
            _output.GetStringBuilder().Clear();
            _errors.GetStringBuilder().Clear();
            var outcome = Session.RunRendered(script);
            return (_output.ToString(), _errors.ToString(), outcome);
        }
    }

    public void Dispose()
    {
        Session.Invoke("Get-Variable -Scope Global | Where-Object Value -is ([VfioPS.VfioDevice]) | ForEach-Object { $_.Value.Dispose() }", out _);
        Session.Dispose();
    }
}
