using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace VfioPS.Loading;

/// <summary>
/// Tmds.LibC ships one implementation assembly per Linux RID (and only a reference assembly for RID-less builds),
/// and PowerShell does not read .deps.json for modules. The module therefore ships runtimes/&lt;rid&gt;/Tmds.LibC.dll
/// for every architecture and loads the one for the process's architecture when the runtime first asks for it.
/// </summary>
public static class NativeDependencyResolver
{
    public const string TmdsLibCName = "Tmds.LibC";
    public const string RuntimesFolder = "runtimes";

    private static readonly object s_gate = new();
    private static bool s_registered;

    /// <summary>The RID folder for an architecture on Linux; null where Tmds.LibC has no build.</summary>
    public static string? RuntimeIdentifierFor(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "linux-x64",
        Architecture.Arm64 => "linux-arm64",
        Architecture.Arm => "linux-arm",
        _ => null,
    };

    /// <summary>The path of the Tmds.LibC.dll the module must load on <paramref name="architecture"/>; null if none ships.</summary>
    public static string? TmdsLibCPath(string moduleDirectory, Architecture architecture)
    {
        string? rid = RuntimeIdentifierFor(architecture);
        return rid is null ? null : Path.Combine(moduleDirectory, RuntimesFolder, rid, TmdsLibCName + ".dll");
    }

    /// <summary>
    /// Hooks the load context VfioPS lives in so that a request for Tmds.LibC is answered from runtimes/&lt;rid&gt;/.
    /// Idempotent: importing the module twice registers once.
    /// </summary>
    public static void Register()
    {
        lock (s_gate)
        {
            if (s_registered) return;
            var self = typeof(NativeDependencyResolver).Assembly;
            var context = AssemblyLoadContext.GetLoadContext(self) ?? AssemblyLoadContext.Default;
            string moduleDirectory = Path.GetDirectoryName(self.Location) ?? AppContext.BaseDirectory;
            context.Resolving += (ctx, name) => Resolve(ctx, name, moduleDirectory, RuntimeInformation.ProcessArchitecture);
            s_registered = true;
        }
    }

    private static Assembly? Resolve(AssemblyLoadContext context, AssemblyName name, string moduleDirectory, Architecture architecture)
    {
        if (!string.Equals(name.Name, TmdsLibCName, StringComparison.Ordinal)) return null;
        string? path = TmdsLibCPath(moduleDirectory, architecture);
        return path is not null && File.Exists(path) ? context.LoadFromAssemblyPath(path) : null;
    }
}
