using System.Reflection;
using System.Xml.Linq;

namespace EtcdTools.Module.Tests.Infrastructure;

/// <summary>Where the tests find the repository, the laid-out module and PowerShell's reference assembly.</summary>
internal static class RepositoryPaths
{
    public const string ModuleName = "EtcdTools";
    public const string DependencyFolderName = "Dependencies";
    public const string PowerShellStandardVersion = "5.1.0-preview-06";

    public static string Root { get; } = FindRepositoryRoot();

    /// <summary>out/EtcdTools, laid out by src/EtcdTools's build (this project references it).</summary>
    public static string ModuleDirectory => Path.Combine(Root, "out", ModuleName);

    public static string ModuleDependencyDirectory => Path.Combine(ModuleDirectory, DependencyFolderName);
    public static string ModuleAssemblyPath => Path.Combine(ModuleDirectory, ModuleName + ".dll");
    public static string BuiltManifestPath => Path.Combine(ModuleDirectory, ModuleName + ".psd1");
    public static string BuiltHelpPath => Path.Combine(ModuleDirectory, "en-US", ModuleName + ".dll-Help.xml");
    public static string BuiltFormatPath => Path.Combine(ModuleDirectory, ModuleName + ".Format.ps1xml");
    public static string BuiltTypesPath => Path.Combine(ModuleDirectory, ModuleName + ".Types.ps1xml");

    public static string SourceManifestPath => Path.Combine(Root, ModuleName + ".psd1");
    public static string SourceHelpDirectory => Path.Combine(Root, "en-US");
    public static string SourceFormatPath => Path.Combine(Root, "src", ModuleName, ModuleName + ".Format.ps1xml");
    public static string SourceTypesPath => Path.Combine(Root, "src", ModuleName, ModuleName + ".Types.ps1xml");

    /// <summary>The single version number, from Directory.Build.props.</summary>
    public static string Version { get; } =
        XDocument.Load(Path.Combine(Root, "Directory.Build.props")).Descendants("Version").Select(v => v.Value.Trim()).FirstOrDefault()
        ?? throw new InvalidOperationException("Directory.Build.props has no <Version>.");

    /// <summary>System.Management.Automation from PowerShellStandard.Library, to resolve the cmdlet attributes.</summary>
    public static string PowerShellReferenceAssembly { get; } = FindPowerShellReferenceAssembly();

    private static string? Metadata(string key) =>
        typeof(RepositoryPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;

    private static string FindRepositoryRoot()
    {
        var fromBuild = Metadata("RepositoryRoot");
        if (!string.IsNullOrEmpty(fromBuild) && File.Exists(Path.Combine(fromBuild, "EtcdTools.sln"))) return Path.GetFullPath(fromBuild);

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "EtcdTools.sln"))) return directory.FullName;
        }

        throw new InvalidOperationException($"EtcdTools.sln not found above {AppContext.BaseDirectory}.");
    }

    private static string FindPowerShellReferenceAssembly()
    {
        var relative = Path.Combine("lib", "netstandard2.0", "System.Management.Automation.dll");
        var candidates = new List<string>();
        var packageFolder = Metadata("PowerShellStandardLibrary");
        if (!string.IsNullOrEmpty(packageFolder)) candidates.Add(Path.Combine(packageFolder, relative));

        var packageRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(packageRoot))
        {
            packageRoot = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        candidates.Add(Path.Combine(packageRoot, "powershellstandard.library", PowerShellStandardVersion, relative));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"System.Management.Automation reference assembly not found; looked at: {string.Join(", ", candidates)}. Run 'dotnet restore'.");
    }
}
