using System;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using VfioPS.Loading;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// The loader's RID mapping, and the module folder the build lays out (output/VfioPS/&lt;version&gt;/): PowerShell does
/// not read .deps.json for modules, so each architecture's implementation Tmds.LibC.dll must sit under
/// runtimes/&lt;rid&gt;/ and the RID-less reference assembly must never ship.
/// </summary>
public class ModuleLayoutTests
{
    private static readonly string[] s_rids = { "linux-x64", "linux-arm64", "linux-arm" };

    // ---- RID mapping ----

    [Theory]
    [InlineData(Architecture.X64, "linux-x64")]
    [InlineData(Architecture.Arm64, "linux-arm64")]
    [InlineData(Architecture.Arm, "linux-arm")]
    [InlineData(Architecture.X86, null)]
    [InlineData(Architecture.Wasm, null)]
    public void RuntimeIdentifierFor(Architecture architecture, string? rid)
        => Assert.Equal(rid, NativeDependencyResolver.RuntimeIdentifierFor(architecture));

    [Theory]
    [InlineData(Architecture.X64, "linux-x64")]
    [InlineData(Architecture.Arm64, "linux-arm64")]
    [InlineData(Architecture.Arm, "linux-arm")]
    public void TmdsLibCPath_PointsIntoRuntimesRid(Architecture architecture, string rid)
    {
        string moduleDir = Path.Combine("/opt", "modules", "VfioPS", "0.1.0");
        Assert.Equal(Path.Combine(moduleDir, "runtimes", rid, "Tmds.LibC.dll"), NativeDependencyResolver.TmdsLibCPath(moduleDir, architecture));
    }

    [Fact]
    public void TmdsLibCPath_IsNullWhereNoBuildShips()
        => Assert.Null(NativeDependencyResolver.TmdsLibCPath("/opt/m", Architecture.X86));

    // ---- the built module folder ----

    /// <summary>The repository root: the first folder above the test binaries that holds VfioPS.psd1.</summary>
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "VfioPS.psd1"))) return dir.FullName;
        throw new InvalidOperationException($"No VfioPS.psd1 above {AppContext.BaseDirectory}.");
    }

    private static string ModuleDir()
    {
        string root = RepoRoot();
        var match = Regex.Match(File.ReadAllText(Path.Combine(root, "VfioPS.psd1")), @"ModuleVersion\s*=\s*'([0-9.]+)'");
        Assert.True(match.Success, "ModuleVersion not found in VfioPS.psd1");
        return Path.Combine(root, "output", "VfioPS", match.Groups[1].Value);
    }

    private static string PackageFolder()
    {
        string? packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(packages))
            packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(packages, "tmds.libc", "0.5.0");
    }

    /// <summary>True when the assembly carries System.Runtime.CompilerServices.ReferenceAssemblyAttribute.</summary>
    private static bool IsReferenceAssembly(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        foreach (var handle in reader.GetAssemblyDefinition().GetCustomAttributes())
        {
            var attribute = reader.GetCustomAttribute(handle);
            StringHandle ns, name;
            if (attribute.Constructor.Kind == HandleKind.MemberReference)
            {
                var ctor = reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor);
                if (ctor.Parent.Kind != HandleKind.TypeReference) continue;
                var type = reader.GetTypeReference((TypeReferenceHandle)ctor.Parent);
                (ns, name) = (type.Namespace, type.Name);
            }
            else if (attribute.Constructor.Kind == HandleKind.MethodDefinition)
            {
                var ctor = reader.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor);
                var type = reader.GetTypeDefinition(ctor.GetDeclaringType());
                (ns, name) = (type.Namespace, type.Name);
            }
            else continue;
            if (reader.GetString(ns) == "System.Runtime.CompilerServices" && reader.GetString(name) == "ReferenceAssemblyAttribute")
                return true;
        }
        return false;
    }

    [Fact]
    public void ModuleFolder_HasTheModuleFiles()
    {
        string dir = ModuleDir();
        Assert.True(Directory.Exists(dir), $"{dir} does not exist: building VfioPS.csproj lays it out");
        Assert.True(File.Exists(Path.Combine(dir, "VfioPS.dll")));
        Assert.True(File.Exists(Path.Combine(dir, "VfioPS.psd1")));
        Assert.True(File.Exists(Path.Combine(dir, "VfioPS.Format.ps1xml")));
    }

    [Fact]
    public void ModuleRoot_HasNoTmdsLibC()
        => Assert.False(File.Exists(Path.Combine(ModuleDir(), "Tmds.LibC.dll")), "the RID-less Tmds.LibC.dll (a reference assembly) must never ship");

    [Theory]
    [InlineData("linux-x64")]
    [InlineData("linux-arm64")]
    [InlineData("linux-arm")]
    public void RuntimesRid_HasTheImplementationTmdsLibC_FromThePackage(string rid)
    {
        string shipped = Path.Combine(ModuleDir(), "runtimes", rid, "Tmds.LibC.dll");
        Assert.True(File.Exists(shipped), $"{shipped} is missing");
        Assert.False(IsReferenceAssembly(shipped), $"{shipped} is a reference assembly");
        string package = Path.Combine(PackageFolder(), "runtimes", rid, "lib", "netstandard2.0", "Tmds.LibC.dll");
        Assert.True(File.Exists(package), $"{package} is missing: restore the solution first");
        Assert.Equal(File.ReadAllBytes(package), File.ReadAllBytes(shipped));
    }

    [Fact]
    public void ReferenceAssemblyDetector_FiresOnAReferenceAssembly()
    {
        // Without this the "is not a reference assembly" checks above could pass on a detector that never fires.
        // The SDK's targeting pack is made of reference assemblies: <dotnet>/packs/Microsoft.NETCore.App.Ref/<v>/ref/<tfm>/.
        string runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;   // <dotnet>/shared/Microsoft.NETCore.App/<v>
        string dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        string packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        Assert.True(Directory.Exists(packs), $"{packs} is missing");
        string refRuntime = Directory.EnumerateFiles(packs, "System.Runtime.dll", SearchOption.AllDirectories).First();
        Assert.True(IsReferenceAssembly(refRuntime), $"{refRuntime} was not recognised as a reference assembly");
        Assert.False(IsReferenceAssembly(typeof(object).Assembly.Location));
    }

    [Theory]
    [InlineData("linux-x64")]
    [InlineData("linux-arm64")]
    [InlineData("linux-arm")]
    public void RuntimesRid_IsNotThePackagesRidLessAssembly(string rid)
    {
        // Tmds.LibC 0.5.0's ref/netstandard2.0 assembly carries no ReferenceAssemblyAttribute (it is a full build),
        // so the attribute check alone cannot tell it apart: compare bytes with it too.
        string refAssembly = Path.Combine(PackageFolder(), "ref", "netstandard2.0", "Tmds.LibC.dll");
        Assert.True(File.Exists(refAssembly), $"{refAssembly} is missing");
        string shipped = Path.Combine(ModuleDir(), "runtimes", rid, "Tmds.LibC.dll");
        Assert.NotEqual(File.ReadAllBytes(refAssembly), File.ReadAllBytes(shipped));
    }

    [Theory]
    [InlineData(Architecture.X64)]
    [InlineData(Architecture.Arm64)]
    [InlineData(Architecture.Arm)]
    public void TmdsLibCPath_ExistsInTheBuiltModule(Architecture architecture)
    {
        string? path = NativeDependencyResolver.TmdsLibCPath(ModuleDir(), architecture);
        Assert.NotNull(path);
        Assert.True(File.Exists(path), $"{path} is missing");
    }

    [Fact]
    public void EveryRidThatTheLoaderKnows_IsShipped()
    {
        string runtimes = Path.Combine(ModuleDir(), "runtimes");
        foreach (string rid in s_rids)
            Assert.True(Directory.Exists(Path.Combine(runtimes, rid)), $"runtimes/{rid} is missing");
    }
}
