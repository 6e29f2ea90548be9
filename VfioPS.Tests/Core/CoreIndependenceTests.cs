using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// Everything outside VfioPS.Commands must work without PowerShell: the engine (System.Management.Automation) comes
/// only from the pwsh that imports the module, and this test process has none. A core type whose signature mentioned
/// an SMA type would fail to load here, so loading every core type and every member signature proves the seam.
/// </summary>
public class CoreIndependenceTests
{
    private const string CommandsNamespace = "VfioPS.Commands";
    private const string EngineAssembly = "System.Management.Automation";

    /// <summary>
    /// Every type the VfioPS assembly defines, as (full name for Assembly.GetType, namespace of its outermost type),
    /// read from metadata so that listing them does not itself load any type (Assembly.GetTypes would fail on the
    /// cmdlets and hide which core types failed with them).
    /// </summary>
    private static List<(string FullName, string Namespace)> DefinedTypes(Assembly assembly)
    {
        var types = new List<(string, string)>();
        using var stream = File.OpenRead(assembly.Location);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        foreach (var handle in reader.TypeDefinitions)
        {
            var type = reader.GetTypeDefinition(handle);
            string name = reader.GetString(type.Name);
            if (name == "<Module>") continue;
            var outer = type;
            while (outer.IsNested)
            {
                outer = reader.GetTypeDefinition(outer.GetDeclaringType());
                name = reader.GetString(outer.Name) + "+" + name;
            }
            string ns = reader.GetString(outer.Namespace);
            types.Add((ns.Length == 0 ? name : ns + "." + name, ns));
        }
        return types;
    }

    private static bool IsCommands(string ns) => ns == CommandsNamespace || ns.StartsWith(CommandsNamespace + ".", StringComparison.Ordinal);

    /// <summary>Forces every signature of the type to resolve: base, interfaces, attributes, fields, properties, events, methods.</summary>
    private static void TouchEverySignature(Type type)
    {
        _ = type.BaseType;
        _ = type.GetInterfaces();
        _ = type.GetCustomAttributesData().Select(a => a.AttributeType).ToArray();
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var member in type.GetMembers(all))
        {
            _ = member.GetCustomAttributesData().Select(a => a.AttributeType).ToArray();
            switch (member)
            {
                case FieldInfo field: _ = field.FieldType; break;
                case PropertyInfo property: _ = property.PropertyType; _ = property.GetIndexParameters().Select(p => p.ParameterType).ToArray(); break;
                case EventInfo @event: _ = @event.EventHandlerType; break;
                case MethodBase method:
                    _ = method.GetParameters().Select(p => p.ParameterType).ToArray();
                    if (method is MethodInfo m) _ = m.ReturnType;
                    break;
            }
        }
    }

    [Fact]
    public void EveryCoreType_LoadsWithAllItsMembers_WithoutTheEngine()
    {
        var assembly = typeof(VfioDevice).Assembly;
        var core = DefinedTypes(assembly).Where(t => !IsCommands(t.Namespace)).ToList();
        // The list must hold what the core is made of, or the check below would pass on nothing.
        Assert.Contains(core, t => t.FullName == "VfioPS.Operations.IrqInfoReader");
        Assert.Contains(core, t => t.FullName == "VfioPS.Mock.MockDeviceChannel");
        Assert.Contains(core, t => t.FullName == "VfioPS.Loading.NativeDependencyResolver");
        Assert.DoesNotContain(core, t => t.FullName.StartsWith(CommandsNamespace, StringComparison.Ordinal));

        var failures = new List<string>();
        foreach (var (fullName, _) in core)
        {
            try
            {
                var type = assembly.GetType(fullName, throwOnError: true)!;
                TouchEverySignature(type);
            }
            catch (Exception e) when (e is TypeLoadException or FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                failures.Add($"{fullName}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, "core types that need the engine:\n" + string.Join("\n", failures));
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == EngineAssembly);
    }

    [Fact]
    public void TheEngineIsNotAvailableInThisProcess()
    {
        // The check above is only meaningful if an SMA reference really would fail to resolve here.
        Assert.ThrowsAny<FileNotFoundException>(() => Assembly.Load(new AssemblyName(EngineAssembly)));
    }
}
