using System;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>The read path as a script uses it: real pipelines through the engine against the mock device.</summary>
public sealed class ReadPathTests : IClassFixture<ModuleFixture>
{
    private readonly ModuleFixture _module;

    public ReadPathTests(ModuleFixture module) => _module = module;

    private static object? Prop(PSObject o, string name) => o.Properties[name]?.Value;

    [Fact]
    public void DeviceSpecificIndexPipelineYieldsTheTypeCapability()
    {
        var caps = _module.Run(
            "New-VfioMockDevice -Profile gvt-vgpu | Get-VfioIrqInfo | Where-Object IsDeviceSpecific | Get-VfioIrqCapability");
        var cap = Assert.Single(caps);
        Assert.Equal("VfioPS.VfioIrqCapability", cap.BaseObject.GetType().FullName);
        Assert.Equal((ushort)3, Prop(cap, "Id"));
        Assert.Equal((ushort)1, Prop(cap, "Version"));
        Assert.Equal("Type", Prop(cap, "Name"));
        Assert.Equal(1u, Prop(cap, "Type"));
        Assert.Equal(1u, Prop(cap, "Subtype"));
        Assert.Equal(5u, Prop(cap, "Index"));
        Assert.Equal(24u, Prop(cap, "Offset"));
        Assert.Equal(0u, Prop(cap, "Next"));
        Assert.Equal(16, ((byte[])Prop(cap, "Data")!).Length);
        Assert.StartsWith("mock:gvt-vgpu/", (string)Prop(cap, "Device")!);
    }

    [Fact]
    public void GvtVgpuListsSixIndexesInOrderWithTheirNames()
    {
        var infos = _module.Run("$d = New-VfioMockDevice -Profile gvt-vgpu; Get-VfioIrqInfo -Device $d; $d.Dispose()");
        Assert.Equal(new[] { "INTx", "MSI", "MSI-X", "ERR", "REQ", "GFX/DISPLAY" }, infos.Select(i => (string)Prop(i, "Name")!));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (uint)i), infos.Select(i => (uint)Prop(i, "Index")!));
        Assert.Equal(new[] { true, true, false, false, false, true }, infos.Select(i => (bool)Prop(i, "Supported")!));
        var display = infos[5];
        Assert.True((bool)Prop(display, "IsDeviceSpecific")!);
        Assert.Equal("EventFd, Caps", Prop(display, "Flags")!.ToString());
        Assert.Equal(1u, Prop(display, "Count"));
        Assert.Equal(1u, Prop(display, "Type"));
        Assert.Equal(1u, Prop(display, "Subtype"));
        Assert.Null(Prop(infos[0], "Type"));
    }

    [Fact]
    public void EduErrIsUnsupportedWithoutAnErrorAndVerboseSaysWhy()
    {
        var results = _module.Run("$d = New-VfioMockDevice -Profile edu; Get-VfioIrqInfo $d -Index ERR -Verbose 4>&1; $d.Dispose()", out var errors);
        Assert.Empty(errors);
        var info = Assert.Single(results, r => r.BaseObject.GetType().Name == "VfioIrqInfo");
        Assert.False((bool)Prop(info, "Supported")!);
        Assert.Equal(0u, Prop(info, "Count"));
        Assert.Equal("ERR", Prop(info, "Name"));
        var verbose = Assert.Single(results, r => r.BaseObject is VerboseRecord);
        Assert.Contains("EINVAL", ((VerboseRecord)verbose.BaseObject).Message);
    }

    [Fact]
    public void AnIndexWithCountZeroIsSupported()
    {
        var info = Assert.Single(_module.Run("$d = New-VfioMockDevice -Profile edu; Get-VfioIrqInfo $d -Index MSIX; $d.Dispose()"));
        Assert.True((bool)Prop(info, "Supported")!);
        Assert.Equal(0u, Prop(info, "Count"));
        Assert.Equal(9, Convert.ToInt32(Prop(info, "Flags")));
    }

    [Theory]
    [InlineData("e1000e", 0u, 1u, 0x7)]
    [InlineData("e1000e", 1u, 1u, 0x9)]
    [InlineData("e1000e", 2u, 5u, 0x9)]
    [InlineData("e1000e", 3u, 1u, 0x9)]
    [InlineData("e1000e", 4u, 1u, 0x9)]
    [InlineData("edu", 0u, 1u, 0x7)]
    [InlineData("edu", 1u, 1u, 0x9)]
    [InlineData("edu", 4u, 1u, 0x9)]
    public void BuiltInProfilesMatchTheMeasuredDriver(string profile, uint index, uint count, int flags)
    {
        // vfio-abi.md §7: readings of the real vfio-pci driver on Debian's 6.1 kernel.
        var info = Assert.Single(_module.Run($"$d = New-VfioMockDevice -Profile {profile}; Get-VfioIrqInfo $d -Index {index}; $d.Dispose()"));
        Assert.Equal(count, Prop(info, "Count"));
        Assert.Equal(flags, Convert.ToInt32(Prop(info, "Flags")));
    }

    [Fact]
    public void IndexAcceptsNamesAndNumbersAndReturnsIndexOrder()
    {
        var infos = _module.Run("$d = New-VfioMockDevice -Profile gvt-vgpu; Get-VfioIrqInfo $d -Index 5,'msi-x','intx',1,'MSIX'; $d.Dispose()");
        Assert.Equal(new uint[] { 0, 1, 2, 5 }, infos.Select(i => (uint)Prop(i, "Index")!));
    }

    [Fact]
    public void DeviceBindsByNameStringAndByPropertyName()
    {
        var byName = _module.Run("$d = New-VfioMockDevice -Profile e1000e; Get-VfioIrqInfo -Device $d.Name -Index REQ; [pscustomobject]@{ Device = $d.Name; Index = 'MSI' } | Get-VfioIrqInfo; $d.Dispose()");
        Assert.Equal(new[] { "REQ", "MSI" }, byName.Select(i => (string)Prop(i, "Name")!));
    }

    [Fact]
    public void OutputCarriesTheDeviceAsAStringThatStillBinds()
    {
        // What a JSON or remoting round trip leaves of a VfioIrqInfo: plain properties.
        var caps = _module.Run(
            "$d = New-VfioMockDevice -Profile gvt-vgpu; $i = Get-VfioIrqInfo $d -Index 5; " +
            "[pscustomobject]@{ Device = [string]$i.Device; Index = [long]$i.Index } | Get-VfioIrqCapability; $d.Dispose()");
        Assert.Equal((ushort)3, Prop(Assert.Single(caps), "Id"));
    }

    [Fact]
    public void EachMockDeviceHasItsOwnName()
    {
        var names = _module.Run("$a = New-VfioMockDevice gvt-vgpu; $b = New-VfioMockDevice gvt-vgpu; $a.Name; $b.Name; $a.Dispose(); $b.Dispose()");
        Assert.Equal(2, names.Select(n => n.BaseObject).Distinct().Count());
        Assert.All(names, n => Assert.Matches(@"^mock:gvt-vgpu/\d+$", (string)n.BaseObject));
    }

    [Fact]
    public void CapabilityListingWithoutIndexWalksEveryIndex()
    {
        var caps = _module.Run("$d = New-VfioMockDevice gvt-vgpu; Get-VfioIrqCapability $d; $d.Dispose()");
        Assert.Equal(5u, Prop(Assert.Single(caps), "Index"));
    }

    [Fact]
    public void AProfileFileWorksLikeABuiltInOne()
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"vfiops-{Guid.NewGuid():N}.json");
        System.IO.File.WriteAllText(path, """
            { "name": "two-caps", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 7 },
              "irqs": [ { "index": 6, "flags": ["EventFd", "Caps"], "count": 2,
                          "capabilities": [ { "id": 3, "type": 7, "subtype": 2 }, { "id": 9, "version": 2, "data": "0102030405" } ] } ] }
            """);
        try
        {
            var caps = _module.Run($"$d = New-VfioMockDevice -Path '{path}'; Get-VfioIrqInfo $d -Index 6 | Get-VfioIrqCapability; Get-VfioIrqInfo $d -Index 6; $d.Dispose()");
            Assert.Equal(3, caps.Count);
            Assert.Equal(new object?[] { (ushort)3, (ushort)9 }, caps.Take(2).Select(c => Prop(c, "Id")));
            Assert.Equal(new object?[] { 24u, 40u }, caps.Take(2).Select(c => Prop(c, "Offset")));
            Assert.Equal("Unknown", Prop(caps[1], "Name"));
            Assert.Equal("Type7/Subtype2", Prop(caps[2], "Name"));
            Assert.Equal(2u, Prop(caps[2], "Count"));
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void IndexNamesComplete()
    {
        var completions = _module.Run("[System.Management.Automation.CommandCompletion]::CompleteInput('Get-VfioIrqInfo -Index MS', 25, $null).CompletionMatches.CompletionText");
        Assert.Equal(new[] { "MSI", "MSI-X" }, completions.Select(c => (string)c.BaseObject));
    }
}
