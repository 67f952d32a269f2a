using System.Reflection;

namespace EtcdTools.Module.Tests.Infrastructure;

/// <summary>
/// The laid-out module (out/EtcdTools) opened for inspection: EtcdTools.dll and its Dependencies
/// in a MetadataLoadContext, with System.Management.Automation resolved from PowerShellStandard's
/// reference assembly and everything else from this runtime's directory. Nothing is executed.
/// </summary>
public sealed class ModuleUnderTest
{
    private static readonly Lazy<ModuleUnderTest> LazyInstance = new(() => new ModuleUnderTest(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly MetadataLoadContext _context;

    private ModuleUnderTest()
    {
        if (!File.Exists(RepositoryPaths.ModuleAssemblyPath))
        {
            throw new InvalidOperationException($"{RepositoryPaths.ModuleAssemblyPath} does not exist: build src/EtcdTools first (dotnet build EtcdTools.sln).");
        }

        DependencyAssemblyPaths = Directory.Exists(RepositoryPaths.ModuleDependencyDirectory)
            ? Directory.GetFiles(RepositoryPaths.ModuleDependencyDirectory, "*.dll").Order(StringComparer.Ordinal).ToList()
            : [];

        var resolvable = Directory.GetFiles(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "*.dll")
            .Append(RepositoryPaths.PowerShellReferenceAssembly)
            .Concat(Directory.GetFiles(RepositoryPaths.ModuleDirectory, "*.dll"))
            .Concat(DependencyAssemblyPaths);
        _context = new MetadataLoadContext(new PathAssemblyResolver(resolvable));

        ModuleAssembly = _context.LoadFromAssemblyPath(RepositoryPaths.ModuleAssemblyPath);
        DependencyAssemblies = DependencyAssemblyPaths.Select(_context.LoadFromAssemblyPath).ToList();
        PowerShellAssembly = _context.LoadFromAssemblyName("System.Management.Automation");
        CmdletBaseType = PowerShellAssembly.GetType("System.Management.Automation.Cmdlet", throwOnError: true)!;

        CmdletTypes = LoadableTypes(ModuleAssembly).Where(t => t.IsClass && !t.IsAbstract && DerivesFrom(t, CmdletBaseType)).OrderBy(t => t.FullName).ToList();
        Cmdlets = CmdletTypes.Select(CmdletMetadata.Read).ToList();
    }

    public static ModuleUnderTest Instance => LazyInstance.Value;

    public Assembly ModuleAssembly { get; }
    public IReadOnlyList<string> DependencyAssemblyPaths { get; }
    public IReadOnlyList<Assembly> DependencyAssemblies { get; }
    public Assembly PowerShellAssembly { get; }
    public Type CmdletBaseType { get; }

    /// <summary>Every concrete class deriving from Cmdlet, public or not (the tests check it is public).</summary>
    public IReadOnlyList<Type> CmdletTypes { get; }

    public IReadOnlyList<CmdletMetadata> Cmdlets { get; }

    /// <summary>Simple names of the private dependencies (EtcdTools.Core, Google.Protobuf, ...).</summary>
    public IReadOnlySet<string> DependencyNames =>
        DependencyAssemblies.Select(a => a.GetName().Name!).ToHashSet(StringComparer.OrdinalIgnoreCase);

    public Type CmdletType(CmdletMetadata cmdlet) => CmdletTypes.Single(t => t.FullName == cmdlet.TypeName);

    public CmdletMetadata Cmdlet(string name) =>
        Cmdlets.SingleOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidOperationException($"The module has no cmdlet {name}; it has: {string.Join(", ", Cmdlets.Select(c => c.Name))}.");

    /// <summary>A type of the module or its dependencies by full name ('+' for nested types), or null.</summary>
    public Type? FindModuleType(string fullName) =>
        DependencyAssemblies.Prepend(ModuleAssembly).Select(a => a.GetType(fullName, throwOnError: false)).FirstOrDefault(t => t is not null);

    /// <summary>True when <paramref name="type"/> is defined by EtcdTools.dll or one of its dependencies.</summary>
    public bool IsModuleType(Type type) =>
        type.Assembly == ModuleAssembly || DependencyAssemblies.Contains(type.Assembly);

    public static bool DerivesFrom(Type type, Type baseType)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (t.FullName == baseType.FullName && t.Assembly.GetName().Name == baseType.Assembly.GetName().Name) return true;
        }

        return false;
    }

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            var reasons = string.Join("; ", e.LoaderExceptions.Where(x => x is not null).Select(x => x!.Message).Distinct());
            throw new InvalidOperationException($"Types of {assembly.GetName().Name} could not be read: {reasons}", e);
        }
    }
}
