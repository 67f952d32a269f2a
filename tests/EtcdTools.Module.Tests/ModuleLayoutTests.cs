using EtcdTools.Module.Tests.Infrastructure;

namespace EtcdTools.Module.Tests;

/// <summary>out/EtcdTools is what Import-Module loads: these files, in these places, and nothing else.</summary>
public sealed class ModuleLayoutTests
{
    private static readonly string[] RootFiles =
        ["EtcdTools.psd1", "EtcdTools.dll", "EtcdTools.Format.ps1xml", "EtcdTools.Types.ps1xml"];

    /// <summary>Allowed beside the required files: the module's symbols.</summary>
    private static readonly string[] OptionalRootFiles = ["EtcdTools.pdb"];

    private static readonly string[] PrivateDependencies = ["EtcdTools.Core.dll", "Google.Protobuf.dll", "YamlDotNet.dll"];

    [Fact]
    public void RootHoldsTheManifestTheModuleAndItsFormatFiles()
    {
        var violations = new Violations();
        foreach (var file in RootFiles)
        {
            violations.AddIf(!File.Exists(Path.Combine(RepositoryPaths.ModuleDirectory, file)), $"{file} is missing from {RepositoryPaths.ModuleDirectory}");
        }

        foreach (var file in Directory.GetFiles(RepositoryPaths.ModuleDirectory).Select(Path.GetFileName))
        {
            violations.AddIf(!RootFiles.Contains(file) && !OptionalRootFiles.Contains(file), $"unexpected file {file} in the module folder (a dependency belongs in Dependencies/)");
        }

        foreach (var directory in Directory.GetDirectories(RepositoryPaths.ModuleDirectory).Select(Path.GetFileName))
        {
            violations.AddIf(directory is not (RepositoryPaths.DependencyFolderName or "en-US"), $"unexpected folder {directory} in the module folder");
        }

        violations.AssertNone("The module folder must hold exactly the module's files.");
    }

    [Fact]
    public void PrivateDependenciesLiveInTheDependenciesFolderOnly()
    {
        var violations = new Violations();
        foreach (var dll in PrivateDependencies)
        {
            violations.AddIf(!File.Exists(Path.Combine(RepositoryPaths.ModuleDependencyDirectory, dll)), $"{dll} is missing from Dependencies/");
            violations.AddIf(File.Exists(Path.Combine(RepositoryPaths.ModuleDirectory, dll)), $"{dll} is beside EtcdTools.dll, where PowerShell would load it into the default context");
        }

        violations.AssertNone("Dependencies must be loadable only through the module's load context.");
    }

    [Fact]
    public void NeitherTheReferenceAssemblyNorADepsFileShips()
    {
        var files = Directory.GetFiles(RepositoryPaths.ModuleDirectory, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();

        // The reference assembly cannot run, and pwsh brings the real System.Management.Automation.
        Assert.DoesNotContain("System.Management.Automation.dll", files);
        // A deps.json would let the runtime resolve EtcdTools.Core around the load context.
        Assert.DoesNotContain(files, f => f!.EndsWith(".deps.json", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void HelpFolderHoldsTheMamlAndTheAboutTopic()
    {
        Assert.True(File.Exists(RepositoryPaths.BuiltHelpPath), $"{RepositoryPaths.BuiltHelpPath} is missing");
        Assert.True(File.Exists(Path.Combine(RepositoryPaths.ModuleDirectory, "en-US", "about_EtcdTools.help.txt")), "en-US/about_EtcdTools.help.txt is missing");
    }

    [Fact]
    public void FormatAndTypesFilesAreTheSourcesCopied()
    {
        Assert.Equal(File.ReadAllText(RepositoryPaths.SourceFormatPath), File.ReadAllText(RepositoryPaths.BuiltFormatPath));
        Assert.Equal(File.ReadAllText(RepositoryPaths.SourceTypesPath), File.ReadAllText(RepositoryPaths.BuiltTypesPath));
    }
}
