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

    [Fact]
    public void TheResolverAnswersOnlyForWhatEtcdToolsDllReferences()
    {
        // The handler sits on the default context, which every module shares: were it to answer any
        // name found in Dependencies, another module asking for Google.Protobuf or YamlDotNet would be
        // handed our private copy. DependencyLoadContext needs nothing of PowerShell, so it can run here,
        // from the laid-out module, in a context of its own that is thrown away afterwards.
        var context = new System.Runtime.Loader.AssemblyLoadContext("EtcdTools.Tests." + Guid.NewGuid(), isCollectible: true);
        try
        {
            var assembly = context.LoadFromAssemblyPath(RepositoryPaths.ModuleAssemblyPath);
            var type = assembly.GetType("EtcdTools.DependencyLoadContext", throwOnError: true)!;
            var instance = type.GetProperty("Instance", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            var isDirect = type.GetMethod("IsDirectReference")!;
            var find = type.GetMethod("FindDependencyPath")!;
            bool Answers(string name) =>
                (bool)isDirect.Invoke(instance, [new AssemblyName(name)])! && find.Invoke(instance, [new AssemblyName(name)]) is not null;

            Assert.True(Answers(CoreAssemblyName), "EtcdTools.Core must be resolved from Dependencies");
            foreach (var other in ModuleUnderTest.Instance.DependencyNames.Where(n => n != CoreAssemblyName))
            {
                Assert.False(Answers(other), $"the default context's resolver must not hand out the private {other}");
            }

            // An older file than the version asked for is not ours to give (a newer EtcdTools side by side).
            var newer = new AssemblyName(CoreAssemblyName) { Version = new Version(int.MaxValue, 0) };
            Assert.Null(find.Invoke(instance, [newer]));
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void ScriptsAndHelpDoNotNameDependencyTypesAsTypeLiterals()
    {
        // PowerShell resolves [Type.Name] in the default context and in the assemblies it loaded
        // itself (ClrFacade.GetPSVisibleAssemblies, ExecutionContext.AssemblyCache); EtcdTools.Core
        // lives in the module's own context, so [EtcdTools.Keys.EtcdKeyValue] is "Unable to find
        // type" in pwsh. Test $x.PSTypeNames -contains 'EtcdTools.Keys.EtcdKeyValue' instead.
        var module = ModuleUnderTest.Instance;
        var literal = new System.Text.RegularExpressions.Regex(@"\[(?<name>EtcdTools(?:\.\w+)+)\]");
        var files = Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "tests", "Pester"), "*.ps1")
            .Concat(Directory.EnumerateFiles(RepositoryPaths.SourceHelpDirectory))
            .Append(Path.Combine(RepositoryPaths.Root, "README.md"))
            .Where(File.Exists);
        var violations = new Violations();
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (System.Text.RegularExpressions.Match match in literal.Matches(lines[i]))
                {
                    var type = module.FindModuleType(match.Groups["name"].Value);
                    violations.AddIf(type is not null && type.Assembly != module.ModuleAssembly,
                        $"{Path.GetRelativePath(RepositoryPaths.Root, file)}:{i + 1}: [{match.Groups["name"].Value}] is a type of {type?.Assembly.GetName().Name}, which pwsh cannot resolve by name");
                }
            }
        }

        violations.AssertNone("Type literals of the private dependencies fail in pwsh.");
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
