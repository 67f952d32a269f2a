using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace EtcdTools;

/// <summary>
/// Keeps the module's private dependencies (EtcdTools.Core, Google.Protobuf, ...) in an
/// AssemblyLoadContext of their own, so that another module's copy of the same dll, loaded into the
/// default context, can neither clash with ours nor be handed to us.
/// </summary>
/// <remarks>
/// EtcdTools.dll is loaded by PowerShell into the default context; its dependencies live in the
/// module's <c>Dependencies</c> folder, where neither the runtime nor PowerShell probes. When the
/// default context cannot find EtcdTools.Core, the one dependency EtcdTools.dll references, it
/// raises <see cref="AssemblyLoadContext.Resolving"/>, and this handler loads it into the
/// "EtcdTools" context instead; from then on that context loads Core's own references (Google.Protobuf)
/// from the same folder. The handler answers nothing else: another module's request for
/// Google.Protobuf that the default context cannot satisfy must not be handed our private copy.
///
/// PowerShell (PSSnapInHelpers.AnalyzeModuleAssemblyWithReflection) reads the assembly's exported
/// types, calls <see cref="OnImport"/>, and only then looks at the cmdlet classes and their
/// attributes; parameter metadata ([Parameter] properties and their types, [OutputType]) is built
/// later still, the first time a cmdlet is used. So only the loading of the exported types comes
/// before the resolver: exported types of EtcdTools.dll must not need EtcdTools.Core to load: no base
/// types, interfaces or value-type fields (enums, structs, including auto-property backing fields)
/// from it, and no static initializers that touch it. The contract tests check this.
/// This class itself must stay free of any reference to the dependencies.
///
/// Types in the "EtcdTools" context are invisible to PowerShell's type-name resolution (it searches
/// the default context and the assemblies it loaded itself), so scripts cannot write
/// [EtcdTools.Sandbox.EtcdSandbox]; they test <c>$x.PSTypeNames -contains '...'</c>. Format and types
/// files match objects by type-name strings and need nothing.
/// </remarks>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    /// <summary>Name of the folder beside EtcdTools.dll that holds the private dependencies.</summary>
    public const string DependencyFolderName = "Dependencies";

    private static readonly object Gate = new();
    private static int _imports;

    /// <summary>
    /// Called by Import-Module after PowerShell has read the exported types and before it reads the
    /// cmdlets; again on every import, in every runspace that imports the module (Import-Module
    /// -Force, ForEach-Object -Parallel, a runspace pool).
    /// </summary>
    public void OnImport()
    {
        lock (Gate)
        {
            if (_imports++ == 0) AssemblyLoadContext.Default.Resolving += ResolveFromDependencyFolder;
        }
    }

    /// <summary>
    /// Called by Remove-Module. The resolver stays while another runspace still has the module
    /// imported, since a cmdlet used there for the first time still needs it.
    /// </summary>
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        lock (Gate)
        {
            if (_imports == 0) return;
            if (--_imports == 0) AssemblyLoadContext.Default.Resolving -= ResolveFromDependencyFolder;
        }
    }

    private static Assembly? ResolveFromDependencyFolder(AssemblyLoadContext defaultContext, AssemblyName assemblyName)
    {
        if (!DependencyLoadContext.IsDirectReference(assemblyName)) return null;
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

    /// <summary>Simple names of the assemblies EtcdTools.dll itself references (of them, only EtcdTools.Core lives in Dependencies).</summary>
    private static readonly HashSet<string> DirectReferences = typeof(DependencyLoadContext).Assembly.GetReferencedAssemblies()
        .Select(r => r.Name).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>True for a dependency EtcdTools.dll references itself: the only names the default context may ask us for.</summary>
    public static bool IsDirectReference(AssemblyName assemblyName) =>
        assemblyName.Name is { } name && DirectReferences.Contains(name);

    /// <summary>
    /// The dll for <paramref name="assemblyName"/> in the Dependencies folder, or null; null too when
    /// the file is older than the version asked for (a newer EtcdTools imported side by side in the
    /// same process then gets its own copy from its own folder).
    /// </summary>
    public string? FindDependencyPath(AssemblyName assemblyName)
    {
        if (string.IsNullOrEmpty(assemblyName.Name)) return null;
        var path = Path.Combine(_dependencyDirectory, assemblyName.Name + ".dll");
        if (!File.Exists(path)) return null;
        if (assemblyName.Version is { } wanted && AssemblyName.GetAssemblyName(path).Version is { } found && found < wanted) return null;
        return path;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // Only our own private dlls; null hands the rest to the default context, which must stay
        // the one source of shared types such as System.Management.Automation.
        var path = FindDependencyPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }
}
