using System.Management.Automation;
using VfioPS.Loading;

namespace VfioPS.Commands;

/// <summary>Runs when the module is imported: before any cmdlet touches Tmds.LibC, teach the runtime where it is.</summary>
public sealed class VfioModuleInitializer : IModuleAssemblyInitializer
{
    public void OnImport() => NativeDependencyResolver.Register();
}
