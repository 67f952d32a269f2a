using System.Text.RegularExpressions;
using EtcdTools.Module.Tests.Infrastructure;

namespace EtcdTools.Module.Tests;

/// <summary>The manifest, read as PowerShell would read the data file, without PowerShell.</summary>
public sealed class ManifestTests
{
    private static readonly string[] ExportKeys = ["CmdletsToExport", "FunctionsToExport", "AliasesToExport", "VariablesToExport"];

    private static Dictionary<string, object?> Built => PowerShellDataFile.Load(RepositoryPaths.BuiltManifestPath);
    private static Dictionary<string, object?> Source => PowerShellDataFile.Load(RepositoryPaths.SourceManifestPath);

    [Fact]
    public void RootModuleIsTheAssembly() => Assert.Equal("EtcdTools.dll", Built["RootModule"]);

    [Fact]
    public void RequiresPowerShell76OnCore()
    {
        var manifest = Built;
        Assert.Equal("7.6", manifest["PowerShellVersion"]);
        Assert.Equal(["Core"], PowerShellDataFile.StringList(manifest["CompatiblePSEditions"]));
    }

    [Fact]
    public void ModuleVersionIsTheVersionOfDirectoryBuildProps()
    {
        // ModuleVersion is a System.Version: a prerelease label would go to PSData.Prerelease.
        var expected = Regex.Replace(RepositoryPaths.Version, "[-+].*$", string.Empty);
        Assert.Equal(expected, Built["ModuleVersion"]);
        Assert.True(Version.TryParse((string)Built["ModuleVersion"]!, out _));
    }

    [Fact]
    public void BuiltManifestIsTheSourceWithOnlyTheVersionSet()
    {
        var built = Built;
        var source = Source;
        Assert.Equal(source.Keys.Order(StringComparer.OrdinalIgnoreCase), built.Keys.Order(StringComparer.OrdinalIgnoreCase));
        foreach (var key in source.Keys.Where(k => !k.Equals("ModuleVersion", StringComparison.OrdinalIgnoreCase)))
        {
            Assert.Equal(Render(source[key]), Render(built[key]));
        }
    }

    [Fact]
    public void HasAFixedGuidAndTheDescriptiveFields()
    {
        var manifest = Built;
        Assert.True(Guid.TryParse(manifest["GUID"] as string, out var guid) && guid != Guid.Empty, "GUID must be a fixed, non-empty GUID");
        foreach (var key in new[] { "Author", "CompanyName", "Copyright", "Description" })
        {
            Assert.False(string.IsNullOrWhiteSpace(manifest.GetValueOrDefault(key) as string), $"{key} is empty");
        }
    }

    [Fact]
    public void ExportsAreExplicitListsWithoutWildcards()
    {
        var manifest = Built;
        var violations = new Violations();
        foreach (var key in ExportKeys)
        {
            if (!manifest.TryGetValue(key, out var value))
            {
                violations.Add($"{key} is missing: without it PowerShell exports everything");
                continue;
            }

            foreach (var name in PowerShellDataFile.StringList(value))
            {
                violations.AddIf(name.IndexOfAny(['*', '?', '[']) >= 0, $"{key} has the wildcard '{name}'");
            }
        }

        violations.AssertNone("Exports must be listed by name, so command discovery works without loading the module.");
    }

    [Fact]
    public void CmdletsToExportIsExactlyTheCmdletClasses()
    {
        var exported = PowerShellDataFile.StringList(Built["CmdletsToExport"]);
        var cmdlets = ModuleUnderTest.Instance.Cmdlets.Select(c => c.Name).ToList();

        var violations = new Violations();
        foreach (var duplicate in exported.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            violations.Add($"{duplicate.Key} is listed twice");
        }

        foreach (var missing in cmdlets.Except(exported, StringComparer.Ordinal))
        {
            violations.Add($"{missing} is a cmdlet but not in CmdletsToExport (add it to EtcdTools.psd1)");
        }

        foreach (var extra in exported.Except(cmdlets, StringComparer.Ordinal))
        {
            violations.Add($"{extra} is in CmdletsToExport but no cmdlet class has that name (check the spelling and case)");
        }

        violations.AssertNone("EtcdTools.psd1's CmdletsToExport must list every cmdlet, and only cmdlets.");
    }

    [Fact]
    public void FormatAndTypeFilesAreListedAndExist()
    {
        var manifest = Built;
        Assert.Equal(["EtcdTools.Format.ps1xml"], PowerShellDataFile.StringList(manifest["FormatsToProcess"]));
        Assert.Equal(["EtcdTools.Types.ps1xml"], PowerShellDataFile.StringList(manifest["TypesToProcess"]));
    }

    [Fact]
    public void LoadsNoPrivateDependencyDirectly()
    {
        // RequiredAssemblies and NestedModules load into the default context, defeating the isolation.
        var manifest = Built;
        var direct = new[] { "RequiredAssemblies", "NestedModules" }
            .SelectMany(key => PowerShellDataFile.StringList(manifest.GetValueOrDefault(key)))
            .Where(path => path.Contains(RepositoryPaths.DependencyFolderName, StringComparison.OrdinalIgnoreCase)
                || ModuleUnderTest.Instance.DependencyNames.Contains(Path.GetFileNameWithoutExtension(path)))
            .ToList();
        Assert.Empty(direct);
    }

    [Fact]
    public void PSDataHasTagsAndLinks()
    {
        var privateData = Assert.IsType<Dictionary<string, object?>>(Built["PrivateData"]);
        var psData = Assert.IsType<Dictionary<string, object?>>(privateData["PSData"]);
        var tags = PowerShellDataFile.StringList(psData["Tags"]);
        foreach (var tag in new[] { "etcd", "PSEdition_Core", "Linux", "Windows", "MacOS" })
        {
            Assert.Contains(tag, tags);
        }

        Assert.DoesNotContain(tags, t => t.Any(char.IsWhiteSpace));
        Assert.True(Uri.TryCreate(psData["ProjectUri"] as string, UriKind.Absolute, out _), "ProjectUri must be an absolute URI");
        Assert.True(Uri.TryCreate(psData["LicenseUri"] as string, UriKind.Absolute, out _), "LicenseUri must be an absolute URI");
        Assert.False(string.IsNullOrWhiteSpace(psData["ReleaseNotes"] as string), "ReleaseNotes is empty");
    }

    private static string Render(object? value) => value switch
    {
        null => "$null",
        string s => $"'{s}'",
        Dictionary<string, object?> table => "@{" + string.Join(";", table.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase).Select(p => $"{p.Key}={Render(p.Value)}")) + "}",
        IEnumerable<object?> items => "@(" + string.Join(",", items.Select(Render)) + ")",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
    };
}
