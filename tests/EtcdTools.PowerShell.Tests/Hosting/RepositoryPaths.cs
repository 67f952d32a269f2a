using System.Reflection;
using System.Xml.Linq;

namespace EtcdTools.PowerShell.Tests.Hosting;

/// <summary>Where the tests find the repository and the laid-out module.</summary>
internal static class RepositoryPaths
{
    public const string ModuleName = "EtcdTools";

    public static string Root { get; } = Path.GetFullPath(
        typeof(RepositoryPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!);

    /// <summary>out/EtcdTools, laid out by src/EtcdTools's build (this project builds it first).</summary>
    public static string ModuleDirectory => Path.Combine(Root, "out", ModuleName);

    public static string BuiltManifestPath => Path.Combine(ModuleDirectory, ModuleName + ".psd1");
    public static string SourceManifestPath => Path.Combine(Root, ModuleName + ".psd1");
    public static string SourceFormatPath => Path.Combine(Root, "src", ModuleName, ModuleName + ".Format.ps1xml");
    public static string SourceTypesPath => Path.Combine(Root, "src", ModuleName, ModuleName + ".Types.ps1xml");
    public static string ReadmePath => Path.Combine(Root, "README.md");
    public static string AboutTopicPath => Path.Combine(Root, "en-US", "about_EtcdTools.help.txt");

    /// <summary>The single version number, from Directory.Build.props.</summary>
    public static string Version { get; } =
        XDocument.Load(Path.Combine(Root, "Directory.Build.props")).Descendants("Version").Select(v => v.Value.Trim()).First();
}
