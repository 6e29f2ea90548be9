using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Reflection;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>The engine loads the built module from output/, and what it exports is what the assembly holds.</summary>
public sealed class ModuleLoadTests : IClassFixture<ModuleFixture>
{
    private readonly ModuleFixture _module;

    public ModuleLoadTests(ModuleFixture module) => _module = module;

    [Fact]
    public void TheImplementingAssemblyIsTheBuiltOneUnderOutput()
    {
        string location = (string)_module.Run("(Get-Module VfioPS).ImplementingAssembly.Location").Single().BaseObject;
        Assert.Equal(Path.Combine(Repo.ModuleDirectory, "VfioPS.dll"), location);
        // Nothing else could have supplied it: this test process has no VfioPS.dll of its own.
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "VfioPS.dll")));
        Assert.Equal(Repo.Version, _module.Run("(Get-Module VfioPS).Version.ToString(3)").Single().BaseObject);
    }

    [Fact]
    public void ManifestExportsExactlyTheCmdletsInTheAssembly()
    {
        var assembly = (Assembly)_module.Run("(Get-Module VfioPS).ImplementingAssembly").Single().BaseObject;
        var inAssembly = assembly.GetExportedTypes()
            .Select(t => t.GetCustomAttribute<CmdletAttribute>())
            .Where(a => a is not null)
            .Select(a => $"{a!.VerbName}-{a.NounName}")
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToArray();
        var exported = _module.Run("(Get-Module VfioPS).ExportedCmdlets.Keys").Select(o => (string)o.BaseObject).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(inAssembly);
        Assert.Equal(inAssembly, exported);
        Assert.Equal(inAssembly, ManifestList("CmdletsToExport"));
    }

    [Fact]
    public void ManifestFollowsTheDesignCard()
    {
        var manifest = ManifestHashtable();
        Assert.Equal(Repo.Version, StringValue(manifest, "ModuleVersion"));
        Assert.Matches(@"^\d+\.\d+\.\d+$", Repo.Version);
        Assert.Equal("VfioPS.dll", StringValue(manifest, "RootModule"));
        Assert.Equal("7.4", StringValue(manifest, "PowerShellVersion"));
        Assert.Equal(new[] { "Core" }, ManifestList("CompatiblePSEditions"));
        Assert.Equal(new[] { "VfioPS.Format.ps1xml" }, ManifestList("FormatsToProcess"));
        Assert.All(ManifestList("CmdletsToExport"), n => Assert.DoesNotContain("*", n));
        Assert.Empty(ManifestList("FunctionsToExport"));
        Assert.Empty(ManifestList("AliasesToExport"));
    }

    [Fact]
    public void TheBuiltFolderShipsRuntimeTmdsLibCPerArchitectureAndNoReferenceAssembly()
    {
        Assert.False(File.Exists(Path.Combine(Repo.ModuleDirectory, "Tmds.LibC.dll")));
        Assert.False(File.Exists(Path.Combine(Repo.ModuleDirectory, "System.Management.Automation.dll")));
        foreach (string rid in new[] { "linux-x64", "linux-arm64" })
            Assert.True(File.Exists(Path.Combine(Repo.ModuleDirectory, "runtimes", rid, "Tmds.LibC.dll")), rid);
        Assert.True(File.Exists(Path.Combine(Repo.ModuleDirectory, "VfioPS.Format.ps1xml")));
        Assert.True(File.Exists(Path.Combine(Repo.ModuleDirectory, "en-US", "about_VfioPS.help.txt")));
    }

    [Fact]
    public void TmdsLibCLoadsFromTheRuntimesFolderForThisArchitecture()
    {
        // Loading a Tmds.LibC type through the module's resolver proves the hook works in a real engine.
        string location = (string)_module.Run(
            "[VfioPS.Loading.NativeDependencyResolver]::Register(); [System.Reflection.Assembly]::Load('Tmds.LibC').Location").Single().BaseObject;
        string rid = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.X64 => "linux-x64",
            System.Runtime.InteropServices.Architecture.Arm64 => "linux-arm64",
            var other => throw new InvalidOperationException("no Tmds.LibC build for " + other),
        };
        Assert.Equal(Path.Combine(Repo.ModuleDirectory, "runtimes", rid, "Tmds.LibC.dll"), location);
    }

    private static HashtableAst ManifestHashtable()
    {
        var ast = Parser.ParseFile(Path.Combine(Repo.Root, "VfioPS.psd1"), out _, out var errors);
        Assert.Empty(errors);
        return Assert.IsType<HashtableAst>(ast.Find(a => a is HashtableAst, false));
    }

    private static string? StringValue(HashtableAst table, string key)
    {
        var pair = table.KeyValuePairs.Single(p => string.Equals(p.Item1.Extent.Text, key, StringComparison.OrdinalIgnoreCase));
        return (pair.Item2.Find(a => a is StringConstantExpressionAst, true) as StringConstantExpressionAst)?.Value;
    }

    private static string[] ManifestList(string key)
    {
        var pair = ManifestHashtable().KeyValuePairs.Single(p => string.Equals(p.Item1.Extent.Text, key, StringComparison.OrdinalIgnoreCase));
        return pair.Item2.FindAll(a => a is StringConstantExpressionAst, true)
            .Select(a => ((StringConstantExpressionAst)a).Value).OrderBy(v => v, StringComparer.Ordinal).ToArray();
    }
}
