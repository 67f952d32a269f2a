namespace EtcdTools.HelpBuilder;

/// <summary>
/// One cmdlet's help, as read from its markdown page. <see cref="OnlineVersion"/> is the front
/// matter's 'online version', an absolute URI, or null.
/// </summary>
public sealed record CommandHelp(
    string Name,
    string SourcePath,
    IReadOnlyList<string> Synopsis,
    IReadOnlyList<SyntaxSet> Syntax,
    IReadOnlyList<string> Description,
    IReadOnlyList<ExampleHelp> Examples,
    IReadOnlyList<ParameterHelp> Parameters,
    IReadOnlyList<TypeHelp> Inputs,
    IReadOnlyList<TypeHelp> Outputs,
    IReadOnlyList<string> Notes,
    IReadOnlyList<RelatedLink> RelatedLinks,
    string? OnlineVersion = null)
{
    public string Verb => Name[..Name.IndexOf('-')];
    public string Noun => Name[(Name.IndexOf('-') + 1)..];
}

/// <summary>
/// One parameter set from SYNTAX. <see cref="ParameterOrder"/> is the order the parameters appear
/// in the syntax line, which Get-Help keeps.
/// </summary>
public sealed record SyntaxSet(string Name, bool IsDefault, string Text, IReadOnlyList<string> ParameterOrder)
{
    /// <summary>The name PowerShell gives the set of a cmdlet that declares no named sets.</summary>
    public const string AllParameterSets = "__AllParameterSets";
}

public sealed record ExampleHelp(string Title, string Code, IReadOnlyList<string> Remarks);

/// <summary>
/// A parameter and its yaml blocks: one block usually, one per parameter set when the parameter is
/// mandatory or positional in some sets only (as PlatyPS writes it).
/// </summary>
public sealed record ParameterHelp(string Name, IReadOnlyList<string> Description, IReadOnlyList<ParameterUsage> Usages)
{
    /// <summary>The usage that describes the parameter in the PARAMETERS list: the first block.</summary>
    public ParameterUsage Primary => Usages[0];

    /// <summary>The block that covers <paramref name="parameterSet"/>, or null.</summary>
    public ParameterUsage? UsageFor(string parameterSet) => Usages.FirstOrDefault(u => u.Covers(parameterSet));
}

/// <summary>The fields of one ```yaml block of a parameter.</summary>
public sealed record ParameterUsage(
    string Type,
    IReadOnlyList<string> ParameterSets,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<string> AcceptedValues,
    bool Required,
    string Position,
    string DefaultValue,
    string PipelineInput,
    bool AcceptsWildcards)
{
    /// <summary>"(All)" in the page: the parameter belongs to every set.</summary>
    public bool InAllSets => ParameterSets.Count == 0;

    public bool IsSwitch => Type.Equals("SwitchParameter", StringComparison.OrdinalIgnoreCase)
        || Type.Equals("System.Management.Automation.SwitchParameter", StringComparison.OrdinalIgnoreCase);

    public bool Covers(string parameterSet) =>
        InAllSets || ParameterSets.Contains(parameterSet, StringComparer.OrdinalIgnoreCase);
}

public sealed record TypeHelp(string TypeName, IReadOnlyList<string> Description);

/// <summary>A RELATED LINKS entry: its text and target as written ("Get-EtcdMember.md", "https://...").</summary>
public sealed record RelatedLink(string Text, string Uri);
