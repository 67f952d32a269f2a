using System.Text.RegularExpressions;
using EtcdTools.Module.Tests.Infrastructure;

namespace EtcdTools.Module.Tests;

/// <summary>
/// PowerShell's validation of parameter metadata, which it runs the first time a cmdlet is used
/// (invoked, Get-Command -Syntax, Get-Help, tab completion) and which then fails every use with
/// MetadataException or ParameterBindingException; the [Validate*] attributes it constructs from
/// the given arguments and runs on every bound value. See <see cref="ParameterMetadataRules"/> for
/// which part of PowerShell enforces each rule.
/// </summary>
public sealed class ParameterMetadataTests
{
    private static IReadOnlyList<CompiledCommand> Commands { get; } =
        ModuleUnderTest.Instance.CmdletTypes.Select(CompiledCommand.Read).ToList();

    private static void AssertNone(Func<CompiledCommand, IEnumerable<string>> rule, string description)
    {
        var violations = new Violations();
        foreach (var problem in Commands.SelectMany(rule)) violations.Add(problem);
        violations.AssertNoneDistinct(description);
    }

    [Fact]
    public void EveryCmdletIsCompiled()
    {
        Assert.Equal(ModuleUnderTest.Instance.Cmdlets.Count, Commands.Count);
        // The inherited connection parameters are found through the hierarchy, as PowerShell finds them.
        var getMember = Commands.Single(c => c.Name == "Get-EtcdMember");
        Assert.Contains(getMember.Parameters, p => p.Name == "Endpoint");
        Assert.Contains(getMember.Parameters, p => p.Name == "MemberId");
    }

    [Fact]
    public void NoDuplicateReservedOrTwiceDeclaredParameters() =>
        AssertNone(ParameterMetadataRules.Definitions, "PowerShell throws MetadataException when it compiles these parameters.");

    [Fact]
    public void NamesAndAliasesAreUniqueIncludingTheCommonParameters() =>
        AssertNone(ParameterMetadataRules.NamesAndAliases, "Parameter names and aliases collide (case-insensitively) with each other or with a common parameter's name or alias.");

    [Fact]
    public void PositionsAreUniqueInEachParameterSet() =>
        AssertNone(ParameterMetadataRules.Positions, "Two parameters of one parameter set share a Position.");

    [Fact]
    public void EachParameterSetHasAtMostOneValueFromPipelineParameter() =>
        AssertNone(ParameterMetadataRules.PipelineInput, "More than one ValueFromPipeline parameter in a parameter set.");

    [Fact]
    public void DefaultParameterSetNameNamesAParameterSet() =>
        AssertNone(ParameterMetadataRules.DefaultParameterSet, "DefaultParameterSetName must name a parameter set the cmdlet declares.");

    [Fact]
    public void ParameterTypesAreBindableAndLoadBeforeOnImport() =>
        AssertNone(c => ParameterMetadataRules.Types(c, ModuleUnderTest.Instance.DependencyNames), "PowerShell cannot bind, or the module cannot load, these parameter types.");

    [Fact]
    public void ValidationAttributesConstructAndFitTheirParameters() =>
        AssertNone(ParameterMetadataRules.Validations, "[Validate*] attributes that throw when PowerShell constructs them, or that no argument can pass.");

    [Fact]
    public void SwitchesAreNeitherPositionalNorAlwaysMandatory() =>
        AssertNone(ParameterMetadataRules.Switches, "Switch parameters must not be positional or mandatory in every call.");

    [Fact]
    public void TheValidationAttributesInUseAreRead()
    {
        // Guards the reader: were attribute arguments lost, the rules above would pass vacuously.
        var startSandbox = Commands.Single(c => c.Name == "Start-EtcdSandbox");
        var members = startSandbox.Parameters.Single(p => p.Name == "Members").Validations.Single(v => v.Kind == "ValidateSet");
        Assert.Equal(new object?[] { "1", "3", "5" }, Assert.IsType<object?[]>(Assert.Single(members.Arguments)));
        var quota = startSandbox.Parameters.Single(p => p.Name == "QuotaBackendBytes").Validations.Single(v => v.Kind == "ValidateRange");
        Assert.Equal(new object?[] { 1, long.MaxValue }, quota.Arguments);
        var name = startSandbox.Parameters.Single(p => p.Name == "Name").Validations.Single(v => v.Kind == "ValidatePattern");
        Assert.IsType<string>(Assert.Single(name.Arguments));
    }

    // ----- The rules themselves, on made-up cmdlets: each catches what PowerShell rejects. -----

    /// <summary>Stands in for EtcdTools.Core: RegexOptions plays a private dependency's enum.</summary>
    private static readonly IReadOnlySet<string> PrivateAssemblies = new HashSet<string> { "System.Text.RegularExpressions" };

    private static Type SwitchType => ModuleUnderTest.Instance.PowerShellAssembly.GetType("System.Management.Automation.SwitchParameter", throwOnError: true)!;

    private static CompiledParameter Parameter(string name, Type type, params CompiledDeclaration[] declarations) =>
        new(name, type, "Sample", true, [], declarations.Length == 0 ? [new CompiledDeclaration(CompiledCommand.AllParameterSets, false, int.MinValue, false, false)] : declarations, []);

    private static CompiledDeclaration In(string set = CompiledCommand.AllParameterSets, bool mandatory = false, int position = int.MinValue, bool byValue = false) =>
        new(set, mandatory, position, byValue, false);

    private static CompiledCommand Command(params CompiledParameter[] parameters) =>
        new("Get-EtcdSample", false, false, false, null, [], parameters, []);

    private static CompiledValidation Validation(string kind, params object?[] arguments) => new(kind, arguments, new Dictionary<string, object?>());

    public static TheoryData<string, string, string> BrokenCommands => new()
    {
        // case, expected fragment, rule
        { "alias of a common parameter", "-ErrorVariable (common parameter): alias 'ev' is an alias of -ErrorFile already", "names" },
        { "name of a common alias", "-Debug (common parameter): alias 'db' is the name of -Db", "names" },
        { "WhatIf on a ShouldProcess cmdlet", "-WhatIf (ShouldProcess parameter): the name is taken by -WhatIf", "names" },
        { "alias of another parameter", "alias 'Url' is an alias of -Endpoint already", "names" },
        { "alias equal to its own name", "alias 'endpoint' is the name of -Endpoint", "names" },
        { "two parameters at one position", "-Key, -Value all have Position 0", "positions" },
        { "an all-sets parameter and a set parameter at one position", "-Key, -Value all have Position 0", "positions" },
        { "two ValueFromPipeline parameters", "-Key, -Value all take ValueFromPipeline", "pipeline" },
        { "misspelt default set", "DefaultParameterSetName 'Lsit' names no parameter set", "default" },
        { "declared twice in a set", "2 [Parameter] attributes for parameter set 'List'", "definitions" },
        { "reserved name", "-SelectProperty: the name is reserved", "definitions" },
        { "get-only property", "has no public setter", "types" },
        { "value type of a dependency", "is a value type of System.Text.RegularExpressions", "types" },
        { "ValidateSet value not of the parameter's type", "'many' does not convert to System.Int32", "validations" },
        { "ValidateSet value PowerShell never matches", "'01' converts to System.Int32 as '1'", "validations" },
        { "ValidateRange min above max", "minimum 10 is greater than maximum 1", "validations" },
        { "ValidateRange bound beyond the parameter's type", "maximum 9223372036854775807 does not fit the parameter's type Int32", "validations" },
        { "ValidateRange on a TimeSpan", "numeric bounds on a System.TimeSpan parameter", "validations" },
        { "ValidatePattern that does not compile", "is not a .NET regular expression", "validations" },
        { "ValidateCount on a scalar", "which is not a collection", "validations" },
        { "positional switch", "a switch with Position 0", "switches" },
        { "switch mandatory everywhere", "a switch Mandatory in set '(all sets)'", "switches" },
    };

    [Theory]
    [MemberData(nameof(BrokenCommands))]
    public void TheRulesCatchWhatPowerShellRejects(string problem, string expected, string rule)
    {
        var command = Broken(problem);
        var violations = (rule switch
        {
            "names" => ParameterMetadataRules.NamesAndAliases(command),
            "positions" => ParameterMetadataRules.Positions(command),
            "pipeline" => ParameterMetadataRules.PipelineInput(command),
            "default" => ParameterMetadataRules.DefaultParameterSet(command),
            "definitions" => ParameterMetadataRules.Definitions(command),
            "types" => ParameterMetadataRules.Types(command, PrivateAssemblies),
            "validations" => ParameterMetadataRules.Validations(command),
            "switches" => ParameterMetadataRules.Switches(command),
            _ => throw new ArgumentOutOfRangeException(nameof(rule)),
        }).ToList();

        var match = Assert.Single(violations, v => v.Contains(expected, StringComparison.Ordinal));
        // Every message names the cmdlet; parameter problems name the parameter too.
        Assert.StartsWith("Get-EtcdSample", match, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"-\w+|set '"), match);
    }

    [Fact]
    public void TheRulesAcceptWhatPowerShellAccepts()
    {
        // Parameter-set selectors (a switch mandatory in a set of its own), an all-sets key at 0 with a
        // set value at 1, a default set declared only by [OutputType], a widening ValidateRange.
        var command = new CompiledCommand("Get-EtcdSample", true, false, false, "Boolean", ["Boolean"],
        [
            Parameter("Key", typeof(string), In(position: 0, byValue: true)),
            Parameter("Value", typeof(string), In("Text", mandatory: true, position: 1)),
            Parameter("Detailed", SwitchType, In("Detailed", mandatory: true)),
            Parameter("Limit", typeof(long)) with { Validations = [Validation("ValidateRange", 1, long.MaxValue)] },
            Parameter("Members", typeof(int)) with { Validations = [Validation("ValidateSet", new object?[] { "1", "3", "5" })] },
            Parameter("Name", typeof(string)) with { Validations = [Validation("ValidatePattern", "^[a-z]+$")] },
            Parameter("MemberId", typeof(string[])) with { Validations = [Validation("ValidateCount", 1, 1)], Aliases = ["Id"] },
            // An array is a reference type: a private enum inside one needs nothing at load time.
            Parameter("Options", typeof(RegexOptions[])),
        ], []);

        Assert.Empty(ParameterMetadataRules.All(command, PrivateAssemblies));
    }

    private static CompiledCommand Broken(string problem) => problem switch
    {
        "alias of a common parameter" => Command(Parameter("ErrorFile", typeof(string)) with { Aliases = ["ev"] }),
        "name of a common alias" => Command(Parameter("Db", typeof(string))),
        "WhatIf on a ShouldProcess cmdlet" => Command(Parameter("WhatIf", SwitchType)) with { SupportsShouldProcess = true },
        "alias of another parameter" => Command(
            Parameter("Endpoint", typeof(string[])) with { Aliases = ["Url"] },
            Parameter("ClientUrl", typeof(string)) with { Aliases = ["Url"] }),
        "alias equal to its own name" => Command(Parameter("Endpoint", typeof(string[])) with { Aliases = ["endpoint"] }),
        "two parameters at one position" => Command(
            Parameter("Key", typeof(string), In("List", position: 0)),
            Parameter("Value", typeof(string), In("List", position: 0))),
        "an all-sets parameter and a set parameter at one position" => Command(
            Parameter("Key", typeof(string), In(position: 0)),
            Parameter("Value", typeof(string), In("Text", position: 0))),
        "two ValueFromPipeline parameters" => Command(
            Parameter("Key", typeof(string), In(byValue: true)),
            Parameter("Value", typeof(string), In("Text", byValue: true))),
        "misspelt default set" => Command(Parameter("KeysOnly", SwitchType, In("List"))) with { DefaultParameterSetName = "Lsit" },
        "declared twice in a set" => Command(Parameter("Limit", typeof(long), In("List"), In("list", mandatory: true))),
        "reserved name" => Command(Parameter("SelectProperty", typeof(string))),
        "get-only property" => Command(Parameter("Limit", typeof(long)) with { IsSettable = false }),
        "value type of a dependency" => Command(Parameter("Options", typeof(RegexOptions?))),
        "ValidateSet value not of the parameter's type" => Command(Parameter("Members", typeof(int)) with { Validations = [Validation("ValidateSet", new object?[] { "1", "many" })] }),
        "ValidateSet value PowerShell never matches" => Command(Parameter("Members", typeof(int)) with { Validations = [Validation("ValidateSet", new object?[] { "01", "3" })] }),
        "ValidateRange min above max" => Command(Parameter("Limit", typeof(long)) with { Validations = [Validation("ValidateRange", 10, 1)] }),
        "ValidateRange bound beyond the parameter's type" => Command(Parameter("PageSize", typeof(int)) with { Validations = [Validation("ValidateRange", 1, long.MaxValue)] }),
        "ValidateRange on a TimeSpan" => Command(Parameter("Timeout", typeof(TimeSpan?)) with { Validations = [Validation("ValidateRange", 1, 60)] }),
        "ValidatePattern that does not compile" => Command(Parameter("Name", typeof(string)) with { Validations = [Validation("ValidatePattern", "^[a-z")] }),
        "ValidateCount on a scalar" => Command(Parameter("MemberId", typeof(string)) with { Validations = [Validation("ValidateCount", 1, 1)] }),
        "positional switch" => Command(Parameter("Prefix", SwitchType, In(position: 0))),
        "switch mandatory everywhere" => Command(Parameter("Force", SwitchType, In(mandatory: true))),
        _ => throw new ArgumentOutOfRangeException(nameof(problem)),
    };
}
