using System.Collections.ObjectModel;
using System.Reflection;

namespace EtcdTools.Module.Tests.Infrastructure;

/// <summary>
/// A cmdlet as PowerShell compiles it the first time it is used (CommandMetadata,
/// InternalParameterMetadata, CompiledCommandParameter): every public instance property or field
/// with a [Parameter] attribute, through the whole class hierarchy, with the attributes PowerShell
/// instantiates for it. <see cref="ParameterMetadataRules"/> checks it against the rules that make
/// PowerShell throw MetadataException or ParameterBindingException.
/// </summary>
public sealed record CompiledCommand(
    string Name,
    bool SupportsShouldProcess,
    bool SupportsPaging,
    bool SupportsTransactions,
    string? DefaultParameterSetName,
    IReadOnlyList<string> OutputTypeParameterSets,
    IReadOnlyList<CompiledParameter> Parameters,
    IReadOnlyList<string> DuplicateDefinitions)
{
    public const string AllParameterSets = "__AllParameterSets";

    /// <summary>The sets PowerShell's parameter set map holds: the default set first (it is added even when no parameter names it), then every set a [Parameter] names.</summary>
    public IReadOnlyList<string> ParameterSetNames
    {
        get
        {
            var sets = new List<string>();
            if (!string.IsNullOrEmpty(DefaultParameterSetName)) sets.Add(DefaultParameterSetName);
            foreach (var set in Parameters.SelectMany(p => p.Declarations).Select(d => d.ParameterSetName))
            {
                if (set != AllParameterSets && !sets.Contains(set, StringComparer.OrdinalIgnoreCase)) sets.Add(set);
            }

            return sets.Count == 0 ? [AllParameterSets] : sets;
        }
    }

    /// <summary>The parameters of <paramref name="parameterSet"/>, each with the declaration that applies there (its own, else its all-sets one).</summary>
    public IEnumerable<(CompiledParameter Parameter, CompiledDeclaration Declaration)> ParametersIn(string parameterSet)
    {
        foreach (var parameter in Parameters)
        {
            var declaration = parameter.Declarations.FirstOrDefault(d => d.ParameterSetName.Equals(parameterSet, StringComparison.OrdinalIgnoreCase))
                ?? parameter.Declarations.FirstOrDefault(d => d.ParameterSetName == AllParameterSets);
            if (declaration is not null) yield return (parameter, declaration);
        }
    }

    /// <summary>Compiles a cmdlet class loaded in a MetadataLoadContext; nothing of it runs.</summary>
    public static CompiledCommand Read(Type cmdletType)
    {
        var metadata = CmdletMetadata.Read(cmdletType);
        var cmdlet = cmdletType.GetCustomAttributesData().Single(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute");
        var outputSets = cmdletType.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute")
            .SelectMany(a => Named(a, "ParameterSetName") is ReadOnlyCollection<CustomAttributeTypedArgument> names ? names.Select(n => (string)n.Value!) : [])
            .ToList();

        // PowerShell reflects with FlattenHierarchy | Public | Instance: properties and fields alike.
        const BindingFlags flags = BindingFlags.FlattenHierarchy | BindingFlags.Public | BindingFlags.Instance;
        var members = cmdletType.GetProperties(flags).Cast<MemberInfo>()
            .Concat(cmdletType.GetFields(flags))
            .Where(m => Attributes(m, "System.Management.Automation.ParameterAttribute").Any())
            .ToList();

        // InternalParameterMetadata.AddParameter: a name (case-insensitive) seen twice is kept only
        // when one declaration hides the other through inheritance; otherwise DuplicateParameterDefinition.
        var duplicates = new List<string>();
        var kept = new List<MemberInfo>();
        foreach (var group in members.GroupBy(m => m.Name, StringComparer.OrdinalIgnoreCase))
        {
            var byDepth = group.OrderByDescending(m => Depth(m.DeclaringType)).ToList();
            var mostDerived = byDepth[0];
            var conflicting = byDepth.Skip(1).Where(m => !IsSubclassOf(mostDerived.DeclaringType, m.DeclaringType)).ToList();
            if (conflicting.Count > 0)
            {
                duplicates.Add($"{string.Join(" and ", group.Select(m => $"{m.DeclaringType?.Name}.{m.Name}"))}");
            }

            kept.Add(mostDerived);
        }

        return new CompiledCommand(
            metadata.Name,
            metadata.SupportsShouldProcess,
            Named(cmdlet, "SupportsPaging") is true,
            Named(cmdlet, "SupportsTransactions") is true,
            metadata.DefaultParameterSetName,
            outputSets,
            kept.Select(ReadParameter).ToList(),
            duplicates);
    }

    private static CompiledParameter ReadParameter(MemberInfo member)
    {
        var type = member is PropertyInfo property ? property.PropertyType : ((FieldInfo)member).FieldType;
        var settable = member switch
        {
            PropertyInfo p => p.SetMethod is { IsPublic: true },
            FieldInfo f => !f.IsInitOnly && !f.IsLiteral,
            _ => false,
        };

        var declarations = Attributes(member, "System.Management.Automation.ParameterAttribute")
            .Select(a => new CompiledDeclaration(
                Named(a, "ParameterSetName") as string ?? AllParameterSets,
                Named(a, "Mandatory") is true,
                Named(a, "Position") is int position ? position : int.MinValue,
                Named(a, "ValueFromPipeline") is true,
                Named(a, "ValueFromPipelineByPropertyName") is true,
                Named(a, "ValueFromRemainingArguments") is true))
            .ToList();

        var aliases = Attributes(member, "System.Management.Automation.AliasAttribute")
            .SelectMany(a => a.ConstructorArguments)
            .SelectMany(a => a.Value as ReadOnlyCollection<CustomAttributeTypedArgument> ?? [a])
            .Select(a => (string)a.Value!)
            .ToList();

        var validations = member.GetCustomAttributesData()
            .Where(a => a.AttributeType.Namespace == "System.Management.Automation" && a.AttributeType.Name.StartsWith("Validate", StringComparison.Ordinal))
            .Select(a => new CompiledValidation(
                a.AttributeType.Name[..^"Attribute".Length],
                a.ConstructorArguments.Select(Value).ToList(),
                a.NamedArguments.ToDictionary(n => n.MemberName, n => Value(n.TypedValue))))
            .ToList();

        return new CompiledParameter(member.Name, type, member.DeclaringType?.FullName ?? "?", settable, aliases, declarations, validations);
    }

    /// <summary>An attribute argument as PowerShell receives it: arrays as object[], enums as their number, types as Type.</summary>
    private static object? Value(CustomAttributeTypedArgument argument) => argument.Value switch
    {
        ReadOnlyCollection<CustomAttributeTypedArgument> items => items.Select(Value).ToArray(),
        CustomAttributeTypedArgument inner => Value(inner),
        var value => value,
    };

    private static int Depth(Type? type)
    {
        var depth = 0;
        for (; type is not null; type = type.BaseType) depth++;
        return depth;
    }

    private static bool IsSubclassOf(Type? derived, Type? baseType)
    {
        for (var t = derived?.BaseType; t is not null; t = t.BaseType)
        {
            if (t.FullName == baseType?.FullName) return true;
        }

        return false;
    }

    private static IEnumerable<CustomAttributeData> Attributes(MemberInfo member, string attributeFullName) =>
        member.GetCustomAttributesData().Where(a => a.AttributeType.FullName == attributeFullName);

    private static object? Named(CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.Where(a => a.MemberName == name).Select(a => a.TypedValue.Value).FirstOrDefault();
}

/// <summary>
/// One parameter: its CLR <see cref="Type"/> (from a MetadataLoadContext, or any reflection
/// context), whether PowerShell can set it, and its [Parameter], [Alias] and [Validate*] attributes.
/// </summary>
public sealed record CompiledParameter(
    string Name,
    Type Type,
    string DeclaringType,
    bool IsSettable,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<CompiledDeclaration> Declarations,
    IReadOnlyList<CompiledValidation> Validations)
{
    public bool IsSwitch => Type.FullName == "System.Management.Automation.SwitchParameter";

    /// <summary>The type one element must convert to: T of T[], T of Nullable&lt;T&gt;, else the type itself.</summary>
    public Type ElementType
    {
        get
        {
            var type = Type.IsArray ? Type.GetElementType()! : Type;
            return type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1" ? type.GetGenericArguments()[0] : type;
        }
    }
}

/// <summary>One [Parameter] attribute: the parameter's role in one parameter set.</summary>
public sealed record CompiledDeclaration(
    string ParameterSetName,
    bool Mandatory,
    int Position,
    bool ValueFromPipeline,
    bool ValueFromPipelineByPropertyName,
    bool ValueFromRemainingArguments = false)
{
    public bool IsPositional => Position != int.MinValue;
}

/// <summary>A [ValidateXxx] attribute by kind ("ValidateRange"), with the arguments PowerShell constructs it from.</summary>
public sealed record CompiledValidation(string Kind, IReadOnlyList<object?> Arguments, IReadOnlyDictionary<string, object?> NamedArguments);
