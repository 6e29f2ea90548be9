using System;
using System.Linq;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>Out-Default renders the module's table views, as a console would show them.</summary>
public sealed class ViewTests : IClassFixture<ModuleFixture>
{
    private readonly ModuleFixture _module;

    public ViewTests(ModuleFixture module) => _module = module;

    private static string[] Lines(string text) => text.Replace("\r", "").Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToArray();

    [Fact]
    public void IrqInfoRendersAsTheTableView()
    {
        var (output, errors, outcome) = _module.Render("$d = New-VfioMockDevice e1000e; Get-VfioIrqInfo $d; $d.Dispose()");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("", errors);
        var lines = Lines(output);
        Assert.Equal("Device             Index Name         Count Supported Flags", lines[0]);
        Assert.Equal("------             ----- ----         ----- --------- -----", lines[1]);
        Assert.Matches(@"^mock:e1000e/\d+ +0 INTx +1 True +EventFd, Maskable, AutoMasked$", lines[2]);
        Assert.Matches(@"^mock:e1000e/\d+ +2 MSI-X +5 True +EventFd, NoResize$", lines[4]);
        Assert.Equal(7, lines.Length);
        Assert.DoesNotContain("\u001b", output);
    }

    [Fact]
    public void CapabilityRendersAsTheTableView()
    {
        var (output, _, outcome) = _module.Render("$d = New-VfioMockDevice gvt-vgpu; Get-VfioIrqCapability $d; $d.Dispose()");
        Assert.Equal(0, outcome.ExitCode);
        var lines = Lines(output);
        Assert.Equal("Device             Index Offset    Id Version Name     Type Subtype  Next", lines[0]);
        Assert.Matches(@"^mock:gvt-vgpu/\d+ +5 +24 +3 +1 Type +1 +1 +0$", lines[2]);
    }

    [Fact]
    public void DeviceRendersAsTheTableView()
    {
        var (output, _, _) = _module.Render("$d = New-VfioMockDevice edu; $d; $d.Dispose()");
        var lines = Lines(output);
        Assert.Equal("Name                   Channel      Profile      NumRegions NumIrqs IsOpen Flags", lines[0]);
        Assert.Matches(@"^mock:edu/\d+ +Mock +edu +9 +5 True +Pci$", lines[2]);
    }

    [Fact]
    public void ErrorsAreRenderedAndCounted()
    {
        var (_, errors, outcome) = _module.Render("Get-VfioIrqInfo 'mock:none/1'");
        Assert.Equal(1, outcome.ErrorCount);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("No open mock device is named 'mock:none/1'", errors);
    }
}
