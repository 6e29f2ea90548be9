using System;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>vfiops-run as a person runs it: a child process, exit codes, stdout and stderr.</summary>
public sealed class RunnerProcessTests
{
    private static (int ExitCode, string Output, string Errors) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        start.ArgumentList.Add(Repo.Runner);
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Remove("VFIOPS_MODULE");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "vfiops-run did not finish in 120 s");
        return (process.ExitCode, output.Result, errors.Result);
    }

    [Fact]
    public void TheDefaultJobListsTheIrqsOfAGvtVgpuMock()
    {
        var (exitCode, output, errors) = Run();
        Assert.Equal(0, exitCode);
        Assert.Equal("", errors);
        Assert.Contains("Device             Index Name         Count Supported Flags", output);
        Assert.Matches(@"mock:gvt-vgpu/1 +5 GFX/DISPLAY +1 True +EventFd, Caps", output);
        Assert.DoesNotContain("\u001b", output);
    }

    [Fact]
    public void AnErrorMakesTheExitCodeOneAndGoesToStandardError()
    {
        var (exitCode, output, errors) = Run("-Command", "Get-VfioIrqInfo mock:none/1; 'after'");
        Assert.Equal(1, exitCode);
        Assert.Contains("No open mock device is named 'mock:none/1'", errors);
        Assert.Contains("after", output);
    }

    [Fact]
    public void AnErrorTheScriptCatchesDoesNotFailTheRun()
    {
        var (exitCode, output, errors) = Run("-Command", "try { Get-VfioIrqInfo mock:none/1 -ErrorAction Stop } catch { $_.FullyQualifiedErrorId }");
        Assert.Equal(0, exitCode);
        Assert.Equal("", errors);
        Assert.Contains("VfioDeviceNotFound,VfioPS.Commands.GetVfioIrqInfoCommand", output);
    }

    [Fact]
    public void ExitCodesOfTheScriptPassThrough()
    {
        Assert.Equal(7, Run("-Command", "exit 7").ExitCode);
    }

    [Fact]
    public void AFileRunsWithItsArguments()
    {
        string script = Path.Combine(Path.GetTempPath(), $"vfiops-{Guid.NewGuid():N}.ps1");
        File.WriteAllText(script, "param($Profile, $Index) $d = New-VfioMockDevice -Profile $Profile; (Get-VfioIrqInfo $d -Index $Index).Count; $d.Dispose()");
        try
        {
            var (exitCode, output, errors) = Run("-File", script, "e1000e", "MSI-X");
            Assert.True(exitCode == 0, errors);
            Assert.Equal("5", output.Trim());
        }
        finally
        {
            File.Delete(script);
        }
    }

    [Fact]
    public void UsageMistakesExitWithTwo()
    {
        Assert.Equal(2, Run("-Bogus").ExitCode);
        Assert.Equal(2, Run("-Module", "/nonexistent/VfioPS.psd1").ExitCode);
    }
}
