using System.Collections.ObjectModel;
using System.Reflection;

namespace EtcdTools.Module.Tests.Infrastructure;

/// <summary>System.Management.Automation.ConfirmImpact, by value.</summary>
public enum ConfirmImpactLevel
{
    None = 0,
    Low = 1,
    Medium = 2,
    High = 3,
}

/// <summary>What PowerShell reads from a cmdlet class: its [Cmdlet], [OutputType] and [Parameter] attributes.</summary>
public sealed record CmdletMetadata(
    string TypeName,
    string Verb,
    string Noun,
    bool SupportsShouldProcess,
    ConfirmImpactLevel ConfirmImpact,
    string? DefaultParameterSetName,
    IReadOnlyList<OutputTypeDeclaration> OutputTypes,
    IReadOnlyList<ParameterMetadata> Parameters)
{
    public const string AllParameterSets = "__AllParameterSets";

    public string Name => $"{Verb}-{Noun}";

    /// <summary>The named parameter sets, or just __AllParameterSets when the cmdlet names none.</summary>
    public IReadOnlyList<string> ParameterSetNames
    {
        get
        {
            var named = Parameters.SelectMany(p => p.Declarations).Select(d => d.ParameterSetName)
                .Where(s => s != AllParameterSets).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (named.Count == 0) return [AllParameterSets];
            // The default set first: it is the one PowerShell tries when several could bind.
            return named.OrderBy(s => string.Equals(s, DefaultParameterSetName, StringComparison.OrdinalIgnoreCase) ? 0 : 1).ToList();
        }
    }

    /// <summary>Each parameter of <paramref name="parameterSet"/> with its declaration for that set.</summary>
    public IEnumerable<(ParameterMetadata Parameter, ParameterDeclaration Declaration)> ParametersIn(string parameterSet)
    {
        foreach (var parameter in Parameters)
        {
            var declaration = parameter.Declarations.FirstOrDefault(d => d.ParameterSetName.Equals(parameterSet, StringComparison.OrdinalIgnoreCase))
                ?? parameter.Declarations.FirstOrDefault(d => d.ParameterSetName == AllParameterSets);
            if (declaration is not null) yield return (parameter, declaration);
        }
    }

    /// <summary>Reads a cmdlet class loaded in a MetadataLoadContext (or any reflection context).</summary>
    public static CmdletMetadata Read(Type cmdletType)
    {
        var cmdlet = Attributes(cmdletType, "System.Management.Automation.CmdletAttribute").SingleOrDefault()
            ?? throw new InvalidOperationException($"{cmdletType.FullName} has no [Cmdlet] attribute.");
        var verb = (string)cmdlet.ConstructorArguments[0].Value!;
        var noun = (string)cmdlet.ConstructorArguments[1].Value!;
        var supportsShouldProcess = Named(cmdlet, "SupportsShouldProcess") is true;
        // CmdletCommonMetadataAttribute.ConfirmImpact defaults to Medium.
        var confirmImpact = Named(cmdlet, "ConfirmImpact") is int impact ? (ConfirmImpactLevel)impact : ConfirmImpactLevel.Medium;
        var defaultSet = Named(cmdlet, "DefaultParameterSetName") as string;

        var outputTypes = Attributes(cmdletType, "System.Management.Automation.OutputTypeAttribute").SelectMany(ReadOutputTypes).ToList();

        var parameters = cmdletType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            // A property redeclared with 'new' shows up once per declaring class: keep the most derived.
            .GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.OrderByDescending(p => Depth(p.DeclaringType)).First())
            .Select(ReadParameter)
            .Where(p => p is not null)
            .Cast<ParameterMetadata>()
            .ToList();

        return new CmdletMetadata(cmdletType.FullName!, verb, noun, supportsShouldProcess, confirmImpact, defaultSet, outputTypes, parameters);
    }

    private static int Depth(Type? type)
    {
        var depth = 0;
        for (; type is not null; type = type.BaseType) depth++;
        return depth;
    }

    private static IEnumerable<OutputTypeDeclaration> ReadOutputTypes(CustomAttributeData attribute)
    {
        var sets = Named(attribute, "ParameterSetName") is ReadOnlyCollection<CustomAttributeTypedArgument> names
            ? names.Select(n => (string)n.Value!).ToList()
            : [];
        foreach (var argument in attribute.ConstructorArguments)
        {
            var values = argument.Value as ReadOnlyCollection<CustomAttributeTypedArgument> ?? [argument];
            foreach (var value in values)
            {
                yield return value.Value switch
                {
                    Type type => new OutputTypeDeclaration(type, type.FullName ?? type.Name, sets),
                    string name => new OutputTypeDeclaration(null, name, sets),
                    _ => throw new InvalidOperationException($"Unexpected [OutputType] argument {value}."),
                };
            }
        }
    }

    private static ParameterMetadata? ReadParameter(PropertyInfo property)
    {
        var declarations = Attributes(property, "System.Management.Automation.ParameterAttribute")
            .Select(a => new ParameterDeclaration(
                Named(a, "ParameterSetName") as string ?? AllParameterSets,
                Named(a, "Mandatory") is true,
                Named(a, "Position") is int position ? position : int.MinValue,
                Named(a, "ValueFromPipeline") is true,
                Named(a, "ValueFromPipelineByPropertyName") is true))
            .ToList();
        if (declarations.Count == 0) return null;

        var aliases = Attributes(property, "System.Management.Automation.AliasAttribute")
            .SelectMany(a => a.ConstructorArguments)
            .SelectMany(a => a.Value as ReadOnlyCollection<CustomAttributeTypedArgument> ?? [a])
            .Select(a => (string)a.Value!)
            .ToList();

        var type = property.PropertyType;
        var elementType = type.IsArray ? type.GetElementType()! : type;
        return new ParameterMetadata(property.Name, type.FullName ?? type.Name, elementType.FullName ?? elementType.Name, aliases, declarations);
    }

    private static IEnumerable<CustomAttributeData> Attributes(MemberInfo member, string attributeFullName) =>
        member.GetCustomAttributesData().Where(a => a.AttributeType.FullName == attributeFullName);

    private static object? Named(CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.Where(a => a.MemberName == name).Select(a => a.TypedValue.Value).FirstOrDefault();
}

/// <summary>
/// One type named by [OutputType]: <see cref="Type"/> when given as typeof(...), null when given as
/// a string (then <see cref="TypeName"/> is that string).
/// </summary>
public sealed record OutputTypeDeclaration(Type? Type, string TypeName, IReadOnlyList<string> ParameterSets);

/// <summary>
/// A cmdlet parameter. <see cref="ElementTypeName"/> is the type one piped object must be for
/// ValueFromPipeline: the parameter's type, or its element type for an array parameter.
/// </summary>
public sealed record ParameterMetadata(
    string Name,
    string TypeName,
    string ElementTypeName,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<ParameterDeclaration> Declarations)
{
    public bool IsCommonParameterName => CommonParameters.Names.Contains(Name);
}

/// <summary>One [Parameter] attribute: the parameter's role in one parameter set.</summary>
public sealed record ParameterDeclaration(
    string ParameterSetName,
    bool Mandatory,
    int Position,
    bool ValueFromPipeline,
    bool ValueFromPipelineByPropertyName);

/// <summary>Parameters PowerShell adds to every cmdlet (or to ShouldProcess cmdlets); help leaves them out.</summary>
public static class CommonParameters
{
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable",
        "WarningVariable", "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable",
    };

    public static readonly IReadOnlySet<string> ShouldProcessNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "WhatIf", "Confirm" };
}

/// <summary>The shape of an object on the pipeline: its type names and its public property names.</summary>
public sealed record TypeShape(string FullName, IReadOnlyCollection<string> TypeNames, IReadOnlyCollection<string> PropertyNames)
{
    public static TypeShape Of(Type type) =>
        new(type.FullName ?? type.Name,
            AssignableNames(type),
            type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).Distinct().ToList());

    /// <summary>The type, its base types and its interfaces: every type an instance can be bound as.</summary>
    public static IReadOnlyCollection<string> AssignableNames(Type type)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var t = type; t is not null; t = t.BaseType) names.Add(t.FullName ?? t.Name);
        foreach (var i in type.GetInterfaces()) names.Add(i.FullName ?? i.Name);
        return names;
    }
}
