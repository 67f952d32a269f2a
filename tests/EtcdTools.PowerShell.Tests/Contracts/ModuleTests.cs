using System.Collections;
using System.Management.Automation;
using System.Text.RegularExpressions;
using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Contracts;

/// <summary>The manifest as PowerShell reads it, the laid-out module folder, and the lists of cmdlets in the documentation.</summary>
public sealed partial class ModuleTests
{
    private static Hashtable DataFile(string path)
    {
        using var session = new PowerShellSession(importModule: false);
        return (Hashtable)session.Invoke("Import-PowerShellDataFile -LiteralPath $args[0]", path).ThrowOnError().SingleValue()!;
    }

    private static List<string> List(object? value) => value switch
    {
        null => [],
        string one => [one],
        object[] many => [.. many.Select(v => v.ToString()!)],
        _ => throw new InvalidOperationException($"Not a list: {value}"),
    };

    [Fact]
    public void TheManifestPassesTestModuleManifestAndImportsWithoutErrorsOrWarnings()
    {
        using var session = new PowerShellSession();
        Assert.Empty(session.ImportWarnings);
        var module = (PSModuleInfo)session.Invoke("Test-ModuleManifest -Path $args[0]", RepositoryPaths.BuiltManifestPath).ThrowOnError().SingleValue()!;
        Assert.Equal("EtcdTools", module.Name);
        Assert.Equal(Regex.Replace(RepositoryPaths.Version, "[-+].*$", ""), module.Version.ToString());
    }

    [Fact]
    public void TheManifestNeedsPowerShell76OnCoreAndLoadsNothingIntoTheDefaultContext()
    {
        var manifest = DataFile(RepositoryPaths.BuiltManifestPath);
        Assert.Equal("EtcdTools.dll", manifest["RootModule"]);
        Assert.Equal("7.6", manifest["PowerShellVersion"]);
        Assert.Equal(["Core"], List(manifest["CompatiblePSEditions"]));
        Assert.True(Guid.TryParse(manifest["GUID"] as string, out var guid) && guid != Guid.Empty);
        foreach (var key in new[] { "Author", "CompanyName", "Copyright", "Description" })
            Assert.False(string.IsNullOrWhiteSpace(manifest[key] as string), $"{key} is empty");
        Assert.Equal(["EtcdTools.Format.ps1xml"], List(manifest["FormatsToProcess"]));
        Assert.Equal(["EtcdTools.Types.ps1xml"], List(manifest["TypesToProcess"]));
        // RequiredAssemblies and NestedModules would load the private dlls into the default context.
        Assert.False(manifest.ContainsKey("RequiredAssemblies") || manifest.ContainsKey("NestedModules"));
        var psData = (Hashtable)((Hashtable)manifest["PrivateData"]!)["PSData"]!;
        Assert.NotEmpty(List(psData["Tags"]));
        Assert.True(Uri.IsWellFormedUriString(psData["ProjectUri"] as string, UriKind.Absolute));
        Assert.True(Uri.IsWellFormedUriString(psData["LicenseUri"] as string, UriKind.Absolute));
    }

    [Fact]
    public void TheBuiltManifestIsTheSourceWithTheVersionOfDirectoryBuildProps()
    {
        var built = DataFile(RepositoryPaths.BuiltManifestPath);
        var source = DataFile(RepositoryPaths.SourceManifestPath);
        Assert.Equal(source.Keys.Cast<string>().Order(), built.Keys.Cast<string>().Order());
        foreach (var key in source.Keys.Cast<string>().Where(k => k != "ModuleVersion"))
            Assert.Equal(Render(source[key]), Render(built[key]));
        Assert.Equal(Regex.Replace(RepositoryPaths.Version, "[-+].*$", ""), built["ModuleVersion"]);
    }

    [Fact]
    public void ExportsAreExplicitSortedListsAndCmdletsToExportIsEveryCmdlet()
    {
        var manifest = DataFile(RepositoryPaths.BuiltManifestPath);
        foreach (var key in new[] { "CmdletsToExport", "FunctionsToExport", "AliasesToExport", "VariablesToExport" })
        {
            Assert.True(manifest.ContainsKey(key), $"{key} is missing: PowerShell would export everything");
            Assert.DoesNotContain(List(manifest[key]), n => n.IndexOfAny(['*', '?', '[']) >= 0);
        }
        var exported = List(manifest["CmdletsToExport"]);
        Assert.Equal(exported.Order(StringComparer.Ordinal), exported);
        Assert.Equal(ModuleCommands.Cmdlets.Select(c => c.Name).Order(StringComparer.Ordinal), exported);
    }

    [Fact]
    public void TheReadmeAndAboutEtcdToolsListExactlyTheCmdletsThatExist()
    {
        var cmdlets = ModuleCommands.Cmdlets.Select(c => c.Name).Order(StringComparer.Ordinal).ToList();
        foreach (var path in new[] { RepositoryPaths.ReadmePath, RepositoryPaths.AboutTopicPath })
        {
            var named = CmdletName().Matches(File.ReadAllText(path)).Select(m => m.Value).Distinct().Order(StringComparer.Ordinal).ToList();
            Assert.True(cmdlets.SequenceEqual(named),
                $"{Path.GetFileName(path)} names [{string.Join(", ", named.Except(cmdlets))}] that do not exist and misses [{string.Join(", ", cmdlets.Except(named))}]");
        }
    }

    [Fact]
    public void TheLaidOutModuleHoldsExactlyWhatItShips()
    {
        var root = RepositoryPaths.ModuleDirectory;
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).ToList();
        Assert.Contains("EtcdTools.psd1", files);
        Assert.Contains("EtcdTools.dll", files);
        Assert.Contains("EtcdTools.Format.ps1xml", files);
        Assert.Contains("EtcdTools.Types.ps1xml", files);
        Assert.Contains("en-US/EtcdTools.dll-Help.xml", files);
        Assert.Contains("en-US/about_EtcdTools.help.txt", files);
        Assert.Contains("Acceptance/EtcdCluster.Tests.ps1", files);
        Assert.Contains("Dependencies/EtcdTools.Core.dll", files);
        // Dlls other than the root module live only in Dependencies/, where pwsh does not probe.
        Assert.All(files.Where(f => f.EndsWith(".dll", StringComparison.Ordinal) && f != "EtcdTools.dll"), f => Assert.StartsWith("Dependencies/", f, StringComparison.Ordinal));
        // Never the reference-only PowerShell, a deps.json, or the packages' XML docs and symbols.
        Assert.DoesNotContain(files, f => f.Contains("System.Management.Automation", StringComparison.Ordinal) || f.EndsWith(".deps.json", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.StartsWith("Dependencies/", StringComparison.Ordinal) && f.EndsWith(".xml", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.EndsWith(".pdb", StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith("EtcdTools", StringComparison.Ordinal));
        // The views and types are the sources as written.
        Assert.Equal(File.ReadAllText(RepositoryPaths.SourceFormatPath), File.ReadAllText(Path.Combine(root, "EtcdTools.Format.ps1xml")));
        Assert.Equal(File.ReadAllText(RepositoryPaths.SourceTypesPath), File.ReadAllText(Path.Combine(root, "EtcdTools.Types.ps1xml")));
    }

    private static string Render(object? value) => value switch
    {
        Hashtable table => "{" + string.Join(";", table.Keys.Cast<object>().OrderBy(k => k.ToString()).Select(k => $"{k}={Render(table[k])}")) + "}",
        object[] list => "[" + string.Join(",", list.Select(Render)) + "]",
        _ => value?.ToString() ?? "",
    };

    [GeneratedRegex(@"\b(?:Add|Clear|Compare|Connect|Disconnect|Export|Get|Invoke|Measure|Move|Remove|Repair|Restore|Resume|Save|Set|Start|Stop|Suspend|Test|Update|Watch)-Etcd[A-Za-z]+\b")]
    private static partial Regex CmdletName();
}
