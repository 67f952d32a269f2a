using System.Xml.Linq;
using EtcdTools.HelpBuilder;
using EtcdTools.Module.Tests.Infrastructure;

namespace EtcdTools.Module.Tests;

/// <summary>
/// The generated en-US/EtcdTools.dll-Help.xml documents every cmdlet and every parameter, and
/// nothing that does not exist (common parameters are Get-Help's own business).
/// </summary>
public sealed class HelpCoverageTests
{
    private static XDocument Maml => XDocument.Load(RepositoryPaths.BuiltHelpPath);

    private static Dictionary<string, XElement> CommandsByName =>
        Maml.Root!.Elements(MamlWriter.Command + "command")
            .ToDictionary(c => c.Element(MamlWriter.Command + "details")!.Element(MamlWriter.Command + "name")!.Value.Trim(), StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void HelpFileIsMaml()
    {
        var root = Maml.Root!;
        Assert.Equal(MamlWriter.Msh + "helpItems", root.Name);
        Assert.Equal("maml", (string?)root.Attribute("schema"));
    }

    [Fact]
    public void EveryCmdletHasHelpWithSynopsisDescriptionAndExamples()
    {
        var commands = CommandsByName;
        var violations = new Violations();
        foreach (var cmdlet in ModuleUnderTest.Instance.Cmdlets)
        {
            if (!commands.TryGetValue(cmdlet.Name, out var command))
            {
                violations.Add($"{cmdlet.Name} has no help: write en-US/{cmdlet.Name}.md");
                continue;
            }

            var synopsis = command.Element(MamlWriter.Command + "details")?.Element(MamlWriter.Maml + "description")?.Value.Trim();
            violations.AddIf(string.IsNullOrEmpty(synopsis), $"{cmdlet.Name}: empty SYNOPSIS");
            violations.AddIf(string.IsNullOrWhiteSpace(command.Element(MamlWriter.Maml + "description")?.Value), $"{cmdlet.Name}: empty DESCRIPTION");
            violations.AddIf(!command.Descendants(MamlWriter.Command + "example").Any(), $"{cmdlet.Name}: no EXAMPLES");
        }

        violations.AssertNone("Every cmdlet has help.");
    }

    [Fact]
    public void EveryCommandHasTheElementsGetHelpReads()
    {
        var violations = new Violations();
        foreach (var (name, command) in CommandsByName)
        {
            var details = command.Element(MamlWriter.Command + "details");
            violations.AddIf(details?.Element(MamlWriter.Command + "verb")?.Value.Trim() + "-" + details?.Element(MamlWriter.Command + "noun")?.Value.Trim() != name,
                $"{name}: command:verb and command:noun do not spell the name");
            foreach (var element in new[] { MamlWriter.Command + "syntax", MamlWriter.Command + "parameters", MamlWriter.Command + "inputTypes", MamlWriter.Command + "returnValues", MamlWriter.Command + "examples" })
            {
                violations.AddIf(command.Element(element) is null, $"{name}: no <{element.LocalName}>");
            }

            var items = command.Element(MamlWriter.Command + "syntax")?.Elements(MamlWriter.Command + "syntaxItem").ToList() ?? [];
            violations.AddIf(items.Count == 0, $"{name}: no command:syntaxItem (Get-Help would build the syntax without the help's descriptions)");
            violations.AddIf(items.Any(i => i.Element(MamlWriter.Maml + "name")?.Value.Trim() != name), $"{name}: a syntaxItem's maml:name is not the command's name");

            foreach (var example in command.Descendants(MamlWriter.Command + "example"))
            {
                violations.AddIf(example.Element(MamlWriter.Maml + "title") is null || example.Element(MamlWriter.Dev + "code") is null || example.Element(MamlWriter.Dev + "remarks") is null,
                    $"{name}: an example lacks maml:title, dev:code or dev:remarks");
            }
        }

        violations.AssertNone("Get-Help reads these elements of each command:command.");
    }

    [Fact]
    public void GetHelpOnlineFindsAnAbsoluteUri()
    {
        // BaseCommandHelpInfo.GetUriFromCommandPSObject takes the first navigationLink whose uri is not
        // empty and throws InvalidURI (an InvalidOperationException) unless new Uri(uri) accepts it,
        // so a relative link such as "Get-EtcdAlarm.md" breaks Get-Help -Online for the cmdlet.
        var violations = new Violations();
        foreach (var (name, command) in CommandsByName)
        {
            var links = command.Element(MamlWriter.Maml + "relatedLinks")?.Elements(MamlWriter.Maml + "navigationLink") ?? [];
            foreach (var uri in links.Select(l => l.Element(MamlWriter.Maml + "uri")?.Value.Trim() ?? "").Where(u => u.Length > 0))
            {
                violations.AddIf(!Uri.TryCreate(uri, UriKind.Absolute, out _), $"{name}: related link URI '{uri}' is not absolute; Get-Help -Online throws InvalidURI when it is the first one");
            }
        }

        violations.AssertNone("Every related link URI in the help file is absolute (or empty).");
    }

    [Fact]
    public void HelpDocumentsOnlyCmdletsThatExist()
    {
        var cmdlets = ModuleUnderTest.Instance.Cmdlets.Select(c => c.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var stale = CommandsByName.Keys.Where(name => !cmdlets.Contains(name)).ToList();
        Assert.True(stale.Count == 0, $"en-US has pages for commands the module does not have: {string.Join(", ", stale)}");
    }

    [Fact]
    public void HelpDocumentsEveryParameterAndOnlyRealOnes()
    {
        var commands = CommandsByName;
        var violations = new Violations();
        foreach (var cmdlet in ModuleUnderTest.Instance.Cmdlets)
        {
            if (!commands.TryGetValue(cmdlet.Name, out var command)) continue; // reported above

            var documented = command.Element(MamlWriter.Command + "parameters")?.Elements(MamlWriter.Command + "parameter")
                .Select(p => p.Element(MamlWriter.Maml + "name")!.Value.Trim())
                .ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
            var actual = cmdlet.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

            foreach (var missing in actual.Where(p => !documented.Contains(p)))
            {
                violations.Add($"{cmdlet.Name} -{missing} is not documented in en-US/{cmdlet.Name}.md");
            }

            foreach (var extra in documented.Where(p => !actual.Contains(p)))
            {
                var shouldProcessParameter = cmdlet.SupportsShouldProcess && CommonParameters.ShouldProcessNames.Contains(extra);
                violations.AddIf(!shouldProcessParameter && !CommonParameters.Names.Contains(extra),
                    $"{cmdlet.Name}: en-US/{cmdlet.Name}.md documents -{extra}, which the cmdlet does not have");
            }
        }

        violations.AssertNone("Help documents every parameter.");
    }

    [Fact]
    public void HelpAgreesWithTheParameterMetadata()
    {
        var commands = CommandsByName;
        var violations = new Violations();
        foreach (var cmdlet in ModuleUnderTest.Instance.Cmdlets)
        {
            if (!commands.TryGetValue(cmdlet.Name, out var command)) continue;
            foreach (var element in command.Element(MamlWriter.Command + "parameters")?.Elements(MamlWriter.Command + "parameter") ?? [])
            {
                var name = element.Element(MamlWriter.Maml + "name")!.Value.Trim();
                var parameter = cmdlet.Parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
                if (parameter is null) continue;

                var documentedAliases = ((string?)element.Attribute("aliases") ?? "none").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Where(a => a != "none").ToHashSet(StringComparer.OrdinalIgnoreCase);
                violations.AddIf(!documentedAliases.SetEquals(parameter.Aliases),
                    $"{cmdlet.Name} -{name}: help says aliases '{string.Join(", ", documentedAliases)}', the cmdlet has '{string.Join(", ", parameter.Aliases)}'");

                // The PARAMETERS entry carries the first yaml block; the syntax entries carry one per set.
                var pipeline = string.Join(", ", command.Descendants(MamlWriter.Command + "parameter")
                    .Where(p => string.Equals(p.Element(MamlWriter.Maml + "name")?.Value.Trim(), name, StringComparison.OrdinalIgnoreCase))
                    .Select(p => (string?)p.Attribute("pipelineInput") ?? "False")
                    .Distinct());
                var byName = parameter.Declarations.Any(d => d.ValueFromPipelineByPropertyName);
                var byValue = parameter.Declarations.Any(d => d.ValueFromPipeline);
                violations.AddIf(byName != pipeline.Contains("ByPropertyName", StringComparison.OrdinalIgnoreCase) || byValue != pipeline.Contains("ByValue", StringComparison.OrdinalIgnoreCase),
                    $"{cmdlet.Name} -{name}: help says 'Accept pipeline input: {pipeline}', the cmdlet takes {(byName || byValue ? string.Join(", ", new[] { byName ? "ByPropertyName" : null, byValue ? "ByValue" : null }.Where(s => s is not null)) : "none")}");
            }
        }

        violations.AssertNone("Help matches the cmdlets' parameter attributes.");
    }
}
