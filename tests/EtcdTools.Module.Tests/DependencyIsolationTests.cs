using System.Reflection;
using EtcdTools.Module.Tests.Infrastructure;

namespace EtcdTools.Module.Tests;

/// <summary>
/// What makes the module's own AssemblyLoadContext (src/EtcdTools/ModuleInitializer.cs) work the
/// first time in pwsh. PowerShell loads EtcdTools.dll into the default context, reads its exported
/// types, then calls IModuleAssemblyInitializer.OnImport, which installs the resolver for the
/// Dependencies folder. So loading the exported types must not need any dependency.
/// </summary>
public sealed class DependencyIsolationTests
{
    private const string CoreAssemblyName = "EtcdTools.Core";

    [Fact]
    public void AModuleInitializerInstallsTheResolverOnImportAndRemovesItOnRemove()
    {
        var module = ModuleUnderTest.Instance;
        var initializers = module.ModuleAssembly.GetExportedTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false }
                && t.GetInterfaces().Any(i => i.FullName == "System.Management.Automation.IModuleAssemblyInitializer"))
            .ToList();

        var initializer = Assert.Single(initializers);
        Assert.Contains(initializer.GetInterfaces(), i => i.FullName == "System.Management.Automation.IModuleAssemblyCleanup");
        Assert.NotNull(initializer.GetConstructor(Type.EmptyTypes));

        // PowerShell creates it before the resolver exists: it must not mention a dependency's type.
        var mentioned = initializer.GetFields(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Select(f => f.FieldType)
            .Concat(initializer.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)));
        Assert.DoesNotContain(mentioned, t => module.DependencyNames.Contains(t.Assembly.GetName().Name!));
    }

    [Fact]
    public void TheModuleAssemblyReferencesNoDependencyButEtcdToolsCore()
    {
        // Only EtcdTools.Core may be reached from EtcdTools.dll. A direct reference to, say,
        // Google.Protobuf would be bound by the default context, which hands out another module's
        // copy when one is loaded, and Core's types would then not match ours.
        var module = ModuleUnderTest.Instance;
        var references = module.ModuleAssembly.GetReferencedAssemblies().Select(r => r.Name!).ToList();
        var direct = references.Where(r => module.DependencyNames.Contains(r) && r != CoreAssemblyName).ToList();
        Assert.True(direct.Count == 0, $"EtcdTools.dll references {string.Join(", ", direct)} directly; go through EtcdTools.Core's API instead.");
    }

    [Fact]
    public void ExportedTypesLoadWithoutTheDependencies()
    {
        var module = ModuleUnderTest.Instance;
        var violations = new Violations();
        foreach (var type in module.ModuleAssembly.GetExportedTypes())
        {
            foreach (var baseType in BaseTypes(type))
            {
                foreach (var dependency in DependencyTypesIn(baseType, module))
                {
                    violations.Add($"{type.FullName} derives from {baseType}, which needs {dependency}");
                }
            }

            foreach (var contract in type.GetInterfaces())
            {
                foreach (var dependency in DependencyTypesIn(contract, module))
                {
                    violations.Add($"{type.FullName} implements {contract}, which needs {dependency}");
                }
            }

            // The runtime lays out value-type fields (enums, structs, Nullable<T>) when it loads the
            // declaring type; that includes an auto-property's hidden backing field.
            // Base classes of this assembly are laid out with it, internal ones too.
            foreach (var declaring in BaseTypes(type).Prepend(type).Where(t => t.Assembly == module.ModuleAssembly))
            {
                foreach (var field in declaring.GetFields(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                             .Where(f => f.FieldType.IsValueType))
                {
                    foreach (var dependency in DependencyTypesIn(field.FieldType, module))
                    {
                        violations.Add($"{declaring.FullName}.{field.Name} is a {field.FieldType} field, which needs {dependency}: use a type of EtcdTools.dll or the framework (a string, or an enum of this assembly), or a reference type");
                    }
                }
            }
        }

        violations.AssertNoneDistinct("PowerShell reads EtcdTools.dll's exported types before OnImport installs the dependency resolver.");
    }

    private static IEnumerable<Type> BaseTypes(Type type)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType) yield return t;
    }

    /// <summary>The types of the private dependencies that <paramref name="type"/> is or is built from.</summary>
    private static IEnumerable<string> DependencyTypesIn(Type type, ModuleUnderTest module)
    {
        if (type.IsGenericParameter) yield break;
        if (type.HasElementType)
        {
            foreach (var inner in DependencyTypesIn(type.GetElementType()!, module)) yield return inner;
            yield break;
        }

        if (module.DependencyNames.Contains(type.Assembly.GetName().Name!)) yield return $"{type.FullName} ({type.Assembly.GetName().Name})";
        if (!type.IsGenericType) yield break;
        foreach (var argument in type.GetGenericArguments())
        {
            foreach (var inner in DependencyTypesIn(argument, module)) yield return inner;
        }
    }
}
