using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace EtcdTools;

/// <summary>
/// Keeps the module's private dependencies (EtcdTools.Core, Google.Protobuf, YamlDotNet, ...) in an
/// AssemblyLoadContext of their own, so that another module's copy of the same dll, loaded into the
/// default context, can neither clash with ours nor be handed to us.
/// </summary>
/// <remarks>
/// EtcdTools.dll is loaded by PowerShell into the default context; its dependencies live in the
/// module's <c>Dependencies</c> folder, where neither the runtime nor PowerShell probes. When the
/// default context cannot find one of them it raises <see cref="AssemblyLoadContext.Resolving"/>,
/// and this handler loads it into the "EtcdTools" context instead; from then on that context loads
/// the dependency's own references first from the same folder.
///
/// PowerShell enumerates the assembly's exported types before it calls <see cref="OnImport"/>, so
/// exported types of EtcdTools.dll must not need EtcdTools.Core to load: no base types, interfaces
/// or value-type fields (enums, structs, including auto-property backing fields) from it, and no
/// static initializers that touch it. The contract tests check this.
/// This class itself must stay free of any reference to the dependencies.
/// </remarks>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    /// <summary>Name of the folder beside EtcdTools.dll that holds the private dependencies.</summary>
    public const string DependencyFolderName = "Dependencies";

    private static readonly object Gate = new();
    private static bool _resolverRegistered;

    /// <summary>Called by Import-Module before the cmdlets are read from the assembly.</summary>
    public void OnImport()
    {
        lock (Gate)
        {
            // Import-Module -Force calls OnImport again on the already loaded assembly.
            if (_resolverRegistered) return;
            AssemblyLoadContext.Default.Resolving += ResolveFromDependencyFolder;
            _resolverRegistered = true;
        }
    }

    /// <summary>Called by Remove-Module.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        lock (Gate)
        {
            if (!_resolverRegistered) return;
            AssemblyLoadContext.Default.Resolving -= ResolveFromDependencyFolder;
            _resolverRegistered = false;
        }
    }

    private static Assembly? ResolveFromDependencyFolder(AssemblyLoadContext defaultContext, AssemblyName assemblyName)
    {
        if (DependencyLoadContext.Instance.FindDependencyPath(assemblyName) is null) return null;
        // LoadFromAssemblyName returns the copy the context already holds, or calls its Load once.
        return DependencyLoadContext.Instance.LoadFromAssemblyName(assemblyName);
    }
}

/// <summary>
/// The one "EtcdTools" load context: loads the module's private dlls from the Dependencies folder and
/// leaves everything else (the framework, System.Management.Automation) to the default context.
/// </summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private static readonly Lazy<DependencyLoadContext> LazyInstance = new(
        () => new DependencyLoadContext(Path.Combine(
            Path.GetDirectoryName(typeof(DependencyLoadContext).Assembly.Location) ?? AppContext.BaseDirectory,
            ModuleInitializer.DependencyFolderName)),
        LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _dependencyDirectory;

    private DependencyLoadContext(string dependencyDirectory)
        : base("EtcdTools", isCollectible: false)
    {
        _dependencyDirectory = dependencyDirectory;
    }

    public static DependencyLoadContext Instance => LazyInstance.Value;

    /// <summary>The dll for <paramref name="assemblyName"/> in the Dependencies folder, or null.</summary>
    public string? FindDependencyPath(AssemblyName assemblyName)
    {
        if (string.IsNullOrEmpty(assemblyName.Name)) return null;
        var path = Path.Combine(_dependencyDirectory, assemblyName.Name + ".dll");
        return File.Exists(path) ? path : null;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // Only our own private dlls; null hands the rest to the default context, which must stay
        // the one source of shared types such as System.Management.Automation.
        var path = FindDependencyPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }
}
