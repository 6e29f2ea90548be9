using System;
using System.Linq;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>Get-VfioRegion through the engine: its table views, its errors and its objects, as a console shows them.</summary>
public sealed class RegionViewTests : IClassFixture<ModuleFixture>
{
    private readonly ModuleFixture _module;

    public RegionViewTests(ModuleFixture module) => _module = module;

    private static string[] Lines(string text) => text.Replace("\r", "").Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToArray();

    [Fact]
    public void RegionsRenderAsTheTableView_SizesInHex_CapabilitiesByName()
    {
        var (output, errors, outcome) = _module.Render("$d = New-VfioMockDevice gvt-vgpu; Get-VfioRegion $d; $d.Dispose()");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("", errors);
        var lines = Lines(output);
        Assert.Equal("Device             Index Name                         Size Supported Flags                   Capabilities", lines[0]);
        Assert.Matches(@"^mock:gvt-vgpu/\d+ +2 BAR2 +0x10000000 True +Read, Write, Mmap, Caps SparseMmap\(1\)$", lines[4]);
        Assert.Matches(@"^mock:gvt-vgpu/\d+ +10 GFX/EDID +0x1000 True +Read, Write, Caps +Type, Unknown\(99\)$", lines[12]);
        Assert.Equal(13, lines.Length);
        Assert.All(lines, l => Assert.True(l.Length <= 120, $"{l.Length} columns: {l}"));
    }

    [Fact]
    public void RegionCapabilitiesRenderWithTheirDetail()
    {
        var (output, _, outcome) = _module.Render("$d = New-VfioMockDevice gvt-vgpu; Get-VfioRegion $d -Index 2 | ForEach-Object Capabilities; $d.Dispose()");
        Assert.Equal(0, outcome.ExitCode);
        var lines = Lines(output);
        Assert.Equal("Device             Index Offset    Id Version Name           Next Detail", lines[0]);
        Assert.Matches(@"^mock:gvt-vgpu/\d+ +2 +32 +1 +1 SparseMmap +0 0x4000000\+0x4000000$", lines[2]);
    }

    [Fact]
    public void AnUnknownIndexIsANonTerminatingErrorWithAStableId()
    {
        var (_, errors, outcome) = _module.Render("$d = New-VfioMockDevice edu; Get-VfioRegion $d -Index BAR9, ROM; $d.Dispose()");
        Assert.Contains("'BAR9' is not a region index", errors);
        Assert.Equal(1, outcome.ErrorCount);
    }
}
