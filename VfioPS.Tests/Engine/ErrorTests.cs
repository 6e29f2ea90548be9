using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>Bad input gets an ErrorRecord with a stable id, the right category and the device as target.</summary>
public sealed class ErrorTests : IClassFixture<ModuleFixture>
{
    private readonly ModuleFixture _module;

    public ErrorTests(ModuleFixture module) => _module = module;

    private ErrorRecord SingleError(string script)
    {
        _module.Run(script, out var errors);
        return Assert.Single(errors);
    }

    [Fact]
    public void UnknownDeviceNameIsObjectNotFound()
    {
        var error = SingleError("Get-VfioIrqInfo -Device 'mock:none/1'");
        Assert.Equal("VfioDeviceNotFound,VfioPS.Commands.GetVfioIrqInfoCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("mock:none/1", error.TargetObject);
        Assert.Contains("New-VfioMockDevice", error.Exception.Message);
    }

    [Fact]
    public void BadIndexNameIsInvalidArgumentAndTheOtherIndexesStillCome()
    {
        var results = _module.Run("$d = New-VfioMockDevice e1000e; Get-VfioIrqInfo $d -Index bogus,MSI; $d.Dispose()", out var errors);
        var error = Assert.Single(errors);
        Assert.Equal("VfioIrqIndexInvalid,VfioPS.Commands.GetVfioIrqInfoCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.StartsWith("mock:e1000e/", (string)error.TargetObject);
        Assert.Equal("MSI", Assert.Single(results).Properties["Name"].Value);
    }

    [Fact]
    public void IndexPastNumIrqsIsOutOfRange()
    {
        var error = SingleError("$d = New-VfioMockDevice gvt-vgpu; Get-VfioIrqCapability $d -Index 6; $d.Dispose()");
        Assert.Equal("VfioIrqIndexOutOfRange,VfioPS.Commands.GetVfioIrqCapabilityCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Contains("0..5", error.Exception.Message);
    }

    [Fact]
    public void ADisposedDeviceIsAClearError()
    {
        var error = SingleError("$d = New-VfioMockDevice e1000e; $d.Dispose(); Get-VfioIrqInfo $d");
        Assert.Equal("VfioDeviceClosed,VfioPS.Commands.GetVfioIrqInfoCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
        var byName = SingleError("$d = New-VfioMockDevice e1000e; $d.Dispose(); Get-VfioIrqInfo $d.Name");
        Assert.Equal("VfioDeviceNotFound,VfioPS.Commands.GetVfioIrqInfoCommand", byName.FullyQualifiedErrorId);
    }

    [Fact]
    public void UnknownBuiltInProfileIsObjectNotFound()
    {
        var error = SingleError("New-VfioMockDevice -Profile nope");
        Assert.Equal("MockProfileNotFound,VfioPS.Commands.NewVfioMockDeviceCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Contains("gvt-vgpu", error.Exception.Message);
    }

    [Fact]
    public void ABadProfileNamesTheFileAndTheField()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "name": "bad", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 }, "irqs": [ { "index": 0, "flags": ["EventFD", "Sparkly"], "count": 1 } ] }""");
        try
        {
            var error = SingleError($"New-VfioMockDevice -Path '{path}'");
            Assert.Equal("MockProfileInvalid,VfioPS.Commands.NewVfioMockDeviceCommand", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
            Assert.Equal(path, error.TargetObject);
            Assert.Contains(path, error.Exception.Message);
            Assert.Contains("$.irqs[0].flags[1]", error.Exception.Message);
            Assert.Contains("Sparkly", error.Exception.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AMissingProfileFileIsObjectNotFound()
    {
        var error = SingleError("New-VfioMockDevice -Path ./no-such-profile.json");
        Assert.Equal("MockProfileNotFound,VfioPS.Commands.NewVfioMockDeviceCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
    }

    [Fact]
    public void AMalformedChainGivesOneErrorAfterTheCapabilitiesBeforeIt()
    {
        // A TYPE capability at 24 whose next points back at 24: a cycle after one good capability.
        string path = Path.Combine(Path.GetTempPath(), $"cycle-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """
            { "name": "cycle", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 6 },
              "irqs": [ { "index": 5, "flags": ["EventFd", "Caps"], "count": 1,
                          "rawCapabilities": { "capOffset": 24, "bytes": "00000000 0300 0100 18000000 01000000 01000000" } } ] }
            """);
        try
        {
            var results = _module.Run($"$d = New-VfioMockDevice -Path '{path}'; Get-VfioIrqCapability $d -Index 5; $d.Dispose()", out var errors);
            Assert.Equal((ushort)3, Assert.Single(results).Properties["Id"].Value);
            var error = Assert.Single(errors);
            Assert.Equal("VfioCapabilityChainMalformed,VfioPS.Commands.GetVfioIrqCapabilityCommand", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
            Assert.Matches(@"index 5 of 'mock:cycle/\d+' is malformed at offset 24 \(Cycle\)", error.Exception.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("nosuchdrive:/profile.json")]
    [InlineData("/tmp")]
    [InlineData("/no/such/dir/*.json")]
    public void ProfilePathsThatNameNoFileAreNonTerminatingErrors(string path)
    {
        var results = _module.Run($"New-VfioMockDevice -Path '{path}'; 'after'", out var errors);
        var error = Assert.Single(errors);
        Assert.Equal("MockProfileNotFound,VfioPS.Commands.NewVfioMockDeviceCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("after", Assert.Single(results).BaseObject);
    }

    [Fact]
    public void ProfilePathWildcardsOpenOneDevicePerFileAndLiteralPathDoesNot()
    {
        string dir = Directory.CreateTempSubdirectory("vfiops-").FullName;
        try
        {
            foreach (string name in new[] { "one", "two" })
                File.WriteAllText(Path.Combine(dir, name + ".json"),
                    "{ \"name\": \"" + name + "\", \"device\": { \"flags\": [\"Pci\"], \"numRegions\": 9, \"numIrqs\": 1 }, \"irqs\": [] }");
            var devices = _module.Run($"New-VfioMockDevice -Path '{dir}/*.json' | ForEach-Object {{ $_.Profile; $_.Dispose() }}");
            Assert.Equal(new[] { "one", "two" }, devices.Select(d => (string)d.BaseObject).OrderBy(n => n));
            _module.Run($"New-VfioMockDevice -LiteralPath '{dir}/*.json'", out var errors);
            Assert.Equal("MockProfileNotFound,VfioPS.Commands.NewVfioMockDeviceCommand", Assert.Single(errors).FullyQualifiedErrorId);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void APciAddressSaysHowToOpenTheDevice()
    {
        var error = SingleError("Set-VfioIrq -Device 0000:00:10.0 -Index MSI -Disable");
        Assert.Equal("VfioDeviceNotFound,VfioPS.Commands.SetVfioIrqCommand", error.FullyQualifiedErrorId);
        Assert.Equal("0000:00:10.0", error.TargetObject);
        Assert.Contains("Open the device once", error.Exception.Message);
    }
}
