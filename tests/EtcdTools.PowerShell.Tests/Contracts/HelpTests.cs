using System.Management.Automation;
using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Contracts;

/// <summary>
/// Get-Help, reading the MAML the build makes from en-US/*.md, agrees with the cmdlets as
/// PowerShell loads them. (tests/Pester/Module.Tests.ps1 checks the help's content: synopsis,
/// description, examples with explanations, a description for every parameter.)
/// </summary>
public sealed class HelpTests
{
    // -WhatIf and -Confirm are documented with the cmdlets that take them; the others are "CommonParameters".
    private static readonly HashSet<string> CommonParameters = [.. System.Management.Automation.Cmdlet.CommonParameters, "UseTransaction"];

    public static TheoryData<string> Cmdlets => ModuleCommands.Names;

    private static PSObject Help(PowerShellSession session, string name)
    {
        var help = session.Invoke("Get-Help -Name $args[0] -Full", name).ThrowOnError();
        var item = Assert.Single(help.Output);
        Assert.Equal("MamlCommandHelpInfo", item.TypeNames.FirstOrDefault(t => t.Contains("MamlCommandHelpInfo", StringComparison.Ordinal))?.Split('#')[0].Split('.')[^1]);
        return item;
    }

    private static IEnumerable<PSObject> Items(object? value) => value switch
    {
        null => [],
        PSObject { BaseObject: object[] many } => many.Select(PSObject.AsPSObject),
        object[] many => many.Select(PSObject.AsPSObject),
        var one => [PSObject.AsPSObject(one)],
    };

    private static string Text(object? value) => value switch
    {
        null => "",
        PSObject pso when pso.Properties["Text"] is { } text => text.Value?.ToString() ?? "",
        var other => other.ToString() ?? "",
    };

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void TheParametersOfTheHelpAreThoseOfTheCmdletWithTheirTypesAndPipelineInput(string name)
    {
        using var session = new PowerShellSession();
        var cmdlet = ModuleCommands.Get(name);
        var documented = Items(Help(session, name).Get("parameters") is PSObject parameters ? parameters.Get("parameter") : null).ToList();
        var actual = cmdlet.Parameters.Values.Where(p => !CommonParameters.Contains(p.Name)).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

        Assert.Equal(actual.Keys.Order(StringComparer.OrdinalIgnoreCase), documented.Select(p => (string)p.Get("name")!).Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
        foreach (var help in documented)
        {
            var parameter = actual[(string)help.Get("name")!];
            var attributes = parameter.Attributes.OfType<ParameterAttribute>().ToList();
            var type = (help.Get("type") as PSObject)?.Get("name") as string ?? "";
            var expectedType = parameter.ParameterType == typeof(SwitchParameter) ? "SwitchParameter" : TypeName(parameter.ParameterType);
            Assert.True(type.Equals(expectedType, StringComparison.OrdinalIgnoreCase), $"{name} -{parameter.Name}: help says type {type}, the cmdlet has {expectedType}");

            var pipeline = (string?)help.Get("pipelineInput") ?? "";
            var byName = attributes.Any(a => a.ValueFromPipelineByPropertyName);
            var byValue = attributes.Any(a => a.ValueFromPipeline);
            Assert.True(byName == pipeline.Contains("ByPropertyName", StringComparison.OrdinalIgnoreCase) && byValue == pipeline.Contains("ByValue", StringComparison.OrdinalIgnoreCase),
                $"{name} -{parameter.Name}: help says pipeline input '{pipeline}', the cmdlet takes {(byValue ? "ByValue " : "")}{(byName ? "ByPropertyName" : "")}");

            var required = string.Equals((string?)help.Get("required"), "true", StringComparison.OrdinalIgnoreCase);
            var mandatoryEverywhere = attributes.All(a => a.Mandatory) && attributes.All(a => a.ParameterSetName == ParameterAttribute.AllParameterSets || cmdlet.ParameterSets.Count == attributes.Count);
            if (required) Assert.True(attributes.Any(a => a.Mandatory), $"{name} -{parameter.Name}: help says required, the cmdlet does not require it in any set");
            if (mandatoryEverywhere && cmdlet.ParameterSets.Count == 1) Assert.True(required, $"{name} -{parameter.Name} is mandatory, the help says not required");

            var aliases = ((string?)help.Get("aliases") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(a => a != "none");
            Assert.Equal(parameter.Aliases.Order(), aliases.Order());
        }
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void TheSyntaxOfTheHelpHasOneEntryPerParameterSetWithItsParameters(string name)
    {
        using var session = new PowerShellSession();
        var cmdlet = ModuleCommands.Get(name);
        var syntax = Items((Help(session, name).Get("syntax") as PSObject)?.Get("syntaxItem")).ToList();
        Assert.Equal(cmdlet.ParameterSets.Count, syntax.Count);
        var documentedSets = syntax.Select(item => Items(item.Get("parameter")).Select(p => (string)p.Get("name")!).ToHashSet(StringComparer.OrdinalIgnoreCase)).ToList();
        foreach (var set in cmdlet.ParameterSets)
        {
            var names = set.Parameters.Select(p => p.Name).Where(n => !CommonParameters.Contains(n)).ToHashSet(StringComparer.OrdinalIgnoreCase);
            Assert.True(documentedSets.Any(d => d.SetEquals(names)),
                $"{name}: no syntax entry of the help lists exactly the parameters of set {set.Name}: {string.Join(", ", names.Order())}");
        }
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void GetHelpOnlineFindsAnAbsoluteUri(string name)
    {
        using var session = new PowerShellSession();
        // Get-Help -Online takes the first related link with a URI and throws unless it is absolute.
        var links = Items((Help(session, name).Get("relatedLinks") as PSObject)?.Get("navigationLink"))
            .Select(l => ((string?)l.Get("uri") ?? "").Trim()).Where(u => u.Length > 0).ToList();
        Assert.NotEmpty(links);
        Assert.True(Uri.TryCreate(links[0], UriKind.Absolute, out _), $"{name}: the first related link '{links[0]}' is not an absolute URI");
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void EveryExampleHasCodeAndAnExplanation(string name)
    {
        using var session = new PowerShellSession();
        var examples = Items((Help(session, name).Get("examples") as PSObject)?.Get("example")).ToList();
        Assert.True(examples.Count >= 2, $"{name} has {examples.Count} example(s)");
        foreach (var example in examples)
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)example.Get("code")), $"{name}: an example has no code");
            var remarks = string.Join(" ", Items(example.Get("remarks")).Select(Text));
            Assert.False(string.IsNullOrWhiteSpace(remarks), $"{name}: example '{example.Get("title")}' has no explanation");
        }
    }

    private static string TypeName(Type type) =>
        type.IsArray ? TypeName(type.GetElementType()!) + "[]"
        : Nullable.GetUnderlyingType(type) is { } inner ? TypeName(inner)
        : type.Name;
}
