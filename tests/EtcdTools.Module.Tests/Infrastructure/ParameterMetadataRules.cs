using System.Globalization;
using System.Text.RegularExpressions;

namespace EtcdTools.Module.Tests.Infrastructure;

/// <summary>
/// PowerShell's own checks of a cmdlet's parameter metadata, which it runs the first time the cmdlet
/// is used (invoked, Get-Command -Syntax, Get-Help, tab completion) and which then fail every use:
/// InternalParameterMetadata and CompiledCommandParameter (duplicate or reserved names, a parameter
/// declared twice in one set, the [Validate*] constructors), MergedCommandParameterMetadata
/// (names and aliases against each other and against the common parameters), the parameter binder
/// (positions, pipeline input) and the validation attributes as they run on every bound value.
/// Each method returns one message per problem, naming the cmdlet, the parameter and the rule.
/// </summary>
public static class ParameterMetadataRules
{
    /// <summary>CommonParameters (PowerShell 7.4+: with ProgressAction), each with its alias.</summary>
    public static readonly IReadOnlyList<(string Name, string Alias)> CommonParameters =
    [
        ("Verbose", "vb"), ("Debug", "db"), ("ErrorAction", "ea"), ("WarningAction", "wa"), ("InformationAction", "infa"),
        ("ProgressAction", "proga"), ("ErrorVariable", "ev"), ("WarningVariable", "wv"), ("InformationVariable", "iv"),
        ("OutVariable", "ov"), ("OutBuffer", "ob"), ("PipelineVariable", "pv"),
    ];

    /// <summary>Added when SupportsShouldProcess.</summary>
    public static readonly IReadOnlyList<(string Name, string Alias)> ShouldProcessParameters = [("WhatIf", "wi"), ("Confirm", "cf")];

    /// <summary>Added when SupportsPaging (no aliases).</summary>
    public static readonly IReadOnlyList<string> PagingParameters = ["IncludeTotalCount", "Skip", "First"];

    /// <summary>Added only when SupportsTransactions is set; PowerShell 7 has no transactions otherwise.</summary>
    public static readonly IReadOnlyList<(string Name, string Alias)> TransactionParameters = [("UseTransaction", "usetx")];

    /// <summary>InternalParameterMetadata.CheckForReservedParameter.</summary>
    public static readonly IReadOnlyList<string> ReservedNames = ["SelectProperty", "SelectObject"];

    /// <summary>
    /// DuplicateParameterDefinition, ReservedParameterName and ParameterDeclaredInParameterSetMultipleTimes
    /// (MetadataException from InternalParameterMetadata / CompiledCommandParameter).
    /// </summary>
    public static IEnumerable<string> Definitions(CompiledCommand command)
    {
        foreach (var duplicate in command.DuplicateDefinitions)
        {
            yield return $"{command.Name}: {duplicate} define the same parameter name (case-insensitively); PowerShell throws MetadataException DuplicateParameterDefinition";
        }

        foreach (var parameter in command.Parameters)
        {
            if (ReservedNames.Contains(parameter.Name, StringComparer.OrdinalIgnoreCase))
            {
                yield return $"{command.Name} -{parameter.Name}: the name is reserved; PowerShell throws MetadataException ReservedParameterName";
            }

            foreach (var set in parameter.Declarations.GroupBy(d => d.ParameterSetName, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            {
                yield return $"{command.Name} -{parameter.Name}: {set.Count()} [Parameter] attributes for parameter set '{SetName(set.Key)}'; PowerShell throws MetadataException ParameterDeclaredInParameterSetMultipleTimes";
            }
        }
    }

    /// <summary>
    /// No parameter name or alias may equal, case-insensitively, another parameter's name or alias,
    /// its own name, or a common parameter's name or alias (MergedCommandParameterMetadata.AddMetadataForBinder:
    /// ParameterNameAlreadyExistsForCommand, ParameterNameConflictsWithAlias, AliasParameterNameAlreadyExistsForCommand;
    /// InternalParameterMetadata: AliasDeclaredMultipleTimes).
    /// </summary>
    public static IEnumerable<string> NamesAndAliases(CompiledCommand command)
    {
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var violations = new List<string>();

        void Add(string owner, string name, IEnumerable<string> parameterAliases, string origin)
        {
            if (names.TryGetValue(name, out var other))
            {
                violations.Add($"{command.Name} -{name}{origin}: the name is taken by -{other}; PowerShell throws MetadataException ParameterNameAlreadyExistsForCommand");
            }
            else if (aliases.TryGetValue(name, out other))
            {
                violations.Add($"{command.Name} -{name}{origin}: the name is an alias of -{other}; PowerShell throws MetadataException ParameterNameConflictsWithAlias");
            }

            names.TryAdd(name, owner);
            foreach (var alias in parameterAliases)
            {
                if (aliases.TryGetValue(alias, out other))
                {
                    violations.Add($"{command.Name} -{owner}{origin}: alias '{alias}' is an alias of -{other} already; PowerShell throws MetadataException {(other.Equals(owner, StringComparison.OrdinalIgnoreCase) ? "AliasDeclaredMultipleTimes" : "AliasParameterNameAlreadyExistsForCommand")}");
                }
                else if (names.TryGetValue(alias, out other))
                {
                    violations.Add($"{command.Name} -{owner}{origin}: alias '{alias}' is the name of -{other}; PowerShell throws MetadataException ParameterNameConflictsWithAlias");
                }

                aliases.TryAdd(alias, owner);
            }
        }

        foreach (var parameter in command.Parameters) Add(parameter.Name, parameter.Name, parameter.Aliases, "");
        foreach (var (name, alias) in CommonParameters) Add(name, name, [alias], " (common parameter)");
        if (command.SupportsShouldProcess)
        {
            foreach (var (name, alias) in ShouldProcessParameters) Add(name, name, [alias], " (ShouldProcess parameter)");
        }

        if (command.SupportsPaging)
        {
            foreach (var name in PagingParameters) Add(name, name, [], " (paging parameter)");
        }

        if (command.SupportsTransactions)
        {
            foreach (var (name, alias) in TransactionParameters) Add(name, name, [alias], " (transaction parameter)");
        }

        return violations;
    }

    /// <summary>
    /// Within one parameter set, one parameter per position. PowerShell's binder throws
    /// ParameterBindingException (AmbiguousPositionalParameterNoName) when two parameters of a set
    /// share a position; when one of them is in all sets it silently binds whichever converts first.
    /// </summary>
    public static IEnumerable<string> Positions(CompiledCommand command)
    {
        foreach (var set in command.ParameterSetNames)
        {
            var positional = command.ParametersIn(set)
                .Where(p => p.Declaration.IsPositional && !p.Declaration.ValueFromRemainingArguments)
                .GroupBy(p => p.Declaration.Position)
                .Where(g => g.Count() > 1);
            foreach (var clash in positional)
            {
                yield return $"{command.Name} set '{SetName(set)}': -{string.Join(", -", clash.Select(p => p.Parameter.Name))} all have Position {clash.Key}; a positional argument there is ambiguous (ParameterBindingException AmbiguousPositionalParameter)";
            }
        }
    }

    /// <summary>At most one ValueFromPipeline parameter per set (any number ByPropertyName): with two, what a piped object binds to depends on its type.</summary>
    public static IEnumerable<string> PipelineInput(CompiledCommand command)
    {
        foreach (var set in command.ParameterSetNames)
        {
            var byValue = command.ParametersIn(set).Where(p => p.Declaration.ValueFromPipeline).Select(p => p.Parameter.Name).ToList();
            if (byValue.Count > 1)
            {
                yield return $"{command.Name} set '{SetName(set)}': -{string.Join(", -", byValue)} all take ValueFromPipeline; keep one per set (ValueFromPipelineByPropertyName may be many)";
            }
        }
    }

    /// <summary>
    /// DefaultParameterSetName names a set that exists. PowerShell adds the default name to its set
    /// map even when nothing declares it (GenerateParameterSetMappingFromMetadata), so a misspelt
    /// default silently becomes an empty set that wins every ambiguous call. A set no [Parameter]
    /// names is accepted only when an [OutputType(ParameterSetName = ...)] declares it on purpose
    /// (e.g. Test-EtcdCluster's "Boolean", the calls without -Detailed).
    /// </summary>
    public static IEnumerable<string> DefaultParameterSet(CompiledCommand command)
    {
        var name = command.DefaultParameterSetName;
        if (string.IsNullOrEmpty(name) || name == CompiledCommand.AllParameterSets) yield break;
        var declared = command.Parameters.SelectMany(p => p.Declarations).Any(d => d.ParameterSetName.Equals(name, StringComparison.OrdinalIgnoreCase))
            || command.OutputTypeParameterSets.Contains(name, StringComparer.OrdinalIgnoreCase);
        if (!declared)
        {
            var sets = command.Parameters.SelectMany(p => p.Declarations).Select(d => d.ParameterSetName).Where(s => s != CompiledCommand.AllParameterSets).Distinct(StringComparer.OrdinalIgnoreCase);
            yield return $"{command.Name}: DefaultParameterSetName '{name}' names no parameter set (the sets are: {string.Join(", ", sets.DefaultIfEmpty("none"))}); PowerShell would make it an empty default set";
        }
    }

    /// <summary>
    /// Parameter types PowerShell can bind and this module can load: a settable member, no pointer,
    /// by-ref, ref struct or open generic type, and no value type of a private dependency (an enum
    /// or struct of EtcdTools.Core in a cmdlet class is a field the runtime lays out when PowerShell
    /// enumerates the exported types, before OnImport installs the dependency resolver).
    /// </summary>
    public static IEnumerable<string> Types(CompiledCommand command, IReadOnlySet<string> privateAssemblies)
    {
        foreach (var parameter in command.Parameters)
        {
            var type = parameter.Type;
            var name = $"{command.Name} -{parameter.Name} ({type})";
            if (!parameter.IsSettable) yield return $"{name}: has no public setter; PowerShell cannot bind it";
            if (type.IsPointer || type.IsByRef) yield return $"{name}: a pointer or by-ref type cannot be bound";
            else if (type.ContainsGenericParameters) yield return $"{name}: an open generic type cannot be bound";
            else if (IsByRefLike(type)) yield return $"{name}: a ref struct cannot be boxed, so PowerShell cannot bind it";
            else if (type.FullName == "System.Void") yield return $"{name}: void is not a parameter type";

            foreach (var valueType in ValueTypesIn(type).Where(t => privateAssemblies.Contains(t.Assembly.GetName().Name!)))
            {
                yield return $"{name}: {valueType.FullName} is a value type of {valueType.Assembly.GetName().Name}; as a parameter its backing field must be laid out before OnImport can install the dependency resolver, so Import-Module fails. Use a string or a type of EtcdTools.dll";
            }
        }
    }

    /// <summary>
    /// The [Validate*] attributes PowerShell constructs from these arguments (their constructors throw
    /// ValidationMetadataException / ArgumentException on the first use) and runs on every bound value.
    /// </summary>
    public static IEnumerable<string> Validations(CompiledCommand command)
    {
        foreach (var parameter in command.Parameters)
        {
            foreach (var validation in parameter.Validations)
            {
                var problems = validation.Kind switch
                {
                    "ValidateSet" => ValidateSet(parameter, validation),
                    "ValidateRange" => ValidateRange(parameter, validation),
                    "ValidatePattern" => ValidatePattern(validation),
                    "ValidateLength" => ValidateLengthOrCount(validation, "ValidateLength"),
                    "ValidateCount" => ValidateCount(parameter, validation),
                    _ => [],
                };
                foreach (var problem in problems)
                {
                    yield return $"{command.Name} -{parameter.Name} [{validation.Kind}]: {problem}";
                }
            }
        }
    }

    /// <summary>
    /// A switch is never positional (it takes no value, so a positional argument cannot reach it) and
    /// never mandatory where it would always have to be typed: in every set, or in the default set.
    /// Mandatory in a set of its own is the usual way to select that set (-Detailed, -All).
    /// </summary>
    public static IEnumerable<string> Switches(CompiledCommand command)
    {
        foreach (var parameter in command.Parameters.Where(p => p.IsSwitch))
        {
            foreach (var declaration in parameter.Declarations)
            {
                var set = SetName(declaration.ParameterSetName);
                if (declaration.IsPositional)
                {
                    yield return $"{command.Name} -{parameter.Name}: a switch with Position {declaration.Position} in set '{set}'; switches take no value, drop Position";
                }

                var inDefaultSet = command.DefaultParameterSetName is { } defaultSet && declaration.ParameterSetName.Equals(defaultSet, StringComparison.OrdinalIgnoreCase);
                if (declaration.Mandatory && (declaration.ParameterSetName == CompiledCommand.AllParameterSets || inDefaultSet))
                {
                    yield return $"{command.Name} -{parameter.Name}: a switch Mandatory in set '{set}'{(inDefaultSet ? " (the default set)" : "")}, so every call must type it; make it optional, or Mandatory only in a set of its own";
                }
            }
        }
    }

    /// <summary>Every rule above.</summary>
    public static IEnumerable<string> All(CompiledCommand command, IReadOnlySet<string> privateAssemblies) =>
        Definitions(command).Concat(NamesAndAliases(command)).Concat(Positions(command)).Concat(PipelineInput(command))
            .Concat(DefaultParameterSet(command)).Concat(Types(command, privateAssemblies)).Concat(Validations(command)).Concat(Switches(command));

    private static IEnumerable<string> ValidateSet(CompiledParameter parameter, CompiledValidation validation)
    {
        if (validation.Arguments is [Type generator])
        {
            // ValidateSet(typeof(IValidateSetValuesGenerator)): PowerShell instantiates it; it must be public.
            if (!generator.IsPublic && !generator.IsNestedPublic) yield return $"the values generator {generator} is not public; PowerShell throws ArgumentException";
            yield break;
        }

        var values = validation.Arguments is [object?[] array] ? array : validation.Arguments.ToArray();
        if (values.Length == 0)
        {
            yield return "no values; the constructor throws ArgumentOutOfRangeException";
            yield break;
        }

        var ignoreCase = validation.NamedArguments.GetValueOrDefault("IgnoreCase") is not false;
        var element = parameter.ElementType;
        foreach (var value in values)
        {
            if (value is not string text)
            {
                yield return $"value {value ?? "null"} is not a string";
                continue;
            }

            // PowerShell converts the argument to the parameter's type first, then compares the
            // converted value's ToString() with each value of the set.
            if (!TryConvert(text, element, out var converted))
            {
                yield return $"'{text}' does not convert to {element}, so no argument can both bind and match it";
            }
            else if (!string.Equals(converted, text, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            {
                yield return $"'{text}' converts to {element} as '{converted}', which is what PowerShell compares; write '{converted}'";
            }
        }
    }

    private static IEnumerable<string> ValidateRange(CompiledParameter parameter, CompiledValidation validation)
    {
        var element = parameter.ElementType;
        if (validation.Arguments.Count == 1)
        {
            // ValidateRange(ValidateRangeKind): compares with 0 of the common type of int and the argument.
            if (!IsNumeric(element) && element.FullName != "System.TimeSpan") yield return $"a ValidateRangeKind range on a {element} parameter; every value fails (ValidationRangeElementType)";
            yield break;
        }

        if (validation.Arguments is not [var min, var max]) yield break;
        if (min is null || max is null)
        {
            yield return "a null bound; the constructor throws ArgumentNullException";
            yield break;
        }

        var promoted = min.GetType() == max.GetType() ? min.GetType() : CommonType(min.GetType(), max.GetType());
        if (promoted is null)
        {
            yield return $"bounds of types {min.GetType().Name} and {max.GetType().Name} have no common type; the constructor throws ValidationMetadataException MinRangeNotTheSameTypeOfMaxRange";
            yield break;
        }

        if (!IsNumeric(promoted))
        {
            if (promoted.FullName != element.FullName) yield return $"bounds of type {promoted.Name} on a {element} parameter";
            yield break;
        }

        var low = Convert.ToDecimal(min, CultureInfo.InvariantCulture);
        var high = Convert.ToDecimal(max, CultureInfo.InvariantCulture);
        if (low > high) yield return $"minimum {min} is greater than maximum {max}; the constructor throws ValidationMetadataException MaxRangeSmallerThanMinRange";

        if (!IsNumeric(element))
        {
            yield return $"numeric bounds on a {element} parameter; PowerShell cannot convert its values to {promoted.Name}, so every value fails (ValidationRangeElementType)";
            yield break;
        }

        foreach (var (label, bound) in new[] { ("minimum", low), ("maximum", high) })
        {
            if (!FitsIn(bound, element)) yield return $"{label} {bound} does not fit the parameter's type {element.Name}; use {element.Name}.{(bound < 0 ? "MinValue" : "MaxValue")} or a bound that does";
        }
    }

    private static IEnumerable<string> ValidatePattern(CompiledValidation validation)
    {
        if (validation.Arguments is not [string pattern] || pattern.Length == 0)
        {
            yield return "an empty pattern; the constructor throws ArgumentException";
            yield break;
        }

        var options = validation.NamedArguments.GetValueOrDefault("Options") is int value ? (RegexOptions)value : RegexOptions.IgnoreCase;
        string? error = null;
        try
        {
            _ = new Regex(pattern, options);
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }

        if (error is not null) yield return $"'{pattern}' is not a .NET regular expression ({error}); every bound value fails";
    }

    private static IEnumerable<string> ValidateCount(CompiledParameter parameter, CompiledValidation validation)
    {
        foreach (var problem in ValidateLengthOrCount(validation, "ValidateCount")) yield return problem;
        var type = parameter.Type;
        var isCollection = type.IsArray || type.GetInterfaces().Any(i => i.FullName is "System.Collections.IEnumerable");
        if (!isCollection || type.FullName == "System.String")
        {
            yield return $"on a {type} parameter, which is not a collection; every value fails (NotAnArrayParameter)";
        }
    }

    private static IEnumerable<string> ValidateLengthOrCount(CompiledValidation validation, string kind)
    {
        if (validation.Arguments is not [int min, int max]) yield break;
        if (min < 0) yield return $"minimum {min} is negative; the {kind} constructor throws ArgumentOutOfRangeException";
        if (max <= 0) yield return $"maximum {max} is not positive; the {kind} constructor throws ArgumentOutOfRangeException";
        if (max < min) yield return $"maximum {max} is smaller than minimum {min}; the {kind} constructor throws ValidationMetadataException";
    }

    /// <summary>ValidateRangeAttribute.GetCommonType: PowerShell's promotion of two bound types.</summary>
    public static Type? CommonType(Type minType, Type maxType)
    {
        var minCode = TypeCodeOf(minType);
        var maxCode = TypeCodeOf(maxType);
        var op = (int)minCode >= (int)maxCode ? minCode : maxCode;
        var signed = IsSignedInteger(minCode) || IsSignedInteger(maxCode);
        if ((int)op <= (int)TypeCode.Int32) return typeof(int);
        if ((int)op <= (int)TypeCode.UInt32) return signed ? typeof(double) : typeof(uint);
        if ((int)op <= (int)TypeCode.Int64) return typeof(long);
        if ((int)op <= (int)TypeCode.UInt64) return signed ? typeof(double) : typeof(ulong);
        if (op == TypeCode.Decimal) return typeof(decimal);
        if (op is TypeCode.Single or TypeCode.Double) return typeof(double);
        return null;
    }

    private static TypeCode TypeCodeOf(Type type) => type.FullName switch
    {
        "System.Boolean" => TypeCode.Boolean,
        "System.Char" => TypeCode.Char,
        "System.SByte" => TypeCode.SByte,
        "System.Byte" => TypeCode.Byte,
        "System.Int16" => TypeCode.Int16,
        "System.UInt16" => TypeCode.UInt16,
        "System.Int32" => TypeCode.Int32,
        "System.UInt32" => TypeCode.UInt32,
        "System.Int64" => TypeCode.Int64,
        "System.UInt64" => TypeCode.UInt64,
        "System.Single" => TypeCode.Single,
        "System.Double" => TypeCode.Double,
        "System.Decimal" => TypeCode.Decimal,
        "System.DateTime" => TypeCode.DateTime,
        "System.String" => TypeCode.String,
        _ => TypeCode.Object,
    };

    private static bool IsSignedInteger(TypeCode code) => code is TypeCode.SByte or TypeCode.Int16 or TypeCode.Int32 or TypeCode.Int64;

    private static bool IsNumeric(Type type) => TypeCodeOf(type) is >= TypeCode.SByte and <= TypeCode.Decimal;

    private static bool FitsIn(decimal value, Type type) => TypeCodeOf(type) switch
    {
        TypeCode.SByte => value is >= sbyte.MinValue and <= sbyte.MaxValue,
        TypeCode.Byte => value is >= byte.MinValue and <= byte.MaxValue,
        TypeCode.Int16 => value is >= short.MinValue and <= short.MaxValue,
        TypeCode.UInt16 => value is >= ushort.MinValue and <= ushort.MaxValue,
        TypeCode.Int32 => value is >= int.MinValue and <= int.MaxValue,
        TypeCode.UInt32 => value is >= uint.MinValue and <= uint.MaxValue,
        TypeCode.Int64 => value is >= long.MinValue and <= long.MaxValue,
        TypeCode.UInt64 => value is >= ulong.MinValue and <= ulong.MaxValue,
        _ => true,
    };

    /// <summary>Converts a ValidateSet value to <paramref name="type"/> as PowerShell would, and back with ToString().</summary>
    private static bool TryConvert(string text, Type type, out string converted)
    {
        var invariant = CultureInfo.InvariantCulture;
        converted = text;
        if (type.IsEnum)
        {
            var name = type.GetEnumNames().FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
            converted = name ?? text;
            return name is not null;
        }

        switch (type.FullName)
        {
            case "System.String" or "System.Object":
                return true;
            case "System.Char":
                return text.Length == 1;
            case "System.Boolean":
                if (!bool.TryParse(text, out var flag)) return false;
                converted = flag.ToString();
                return true;
            case "System.TimeSpan":
                if (!TimeSpan.TryParse(text, invariant, out var span)) return false;
                converted = span.ToString();
                return true;
        }

        if (!IsNumeric(type)) return false;
        if (!decimal.TryParse(text, NumberStyles.Number, invariant, out var number) || !FitsIn(number, type)) return false;
        var isInteger = TypeCodeOf(type) <= TypeCode.UInt64;
        if (isInteger && decimal.Truncate(number) != number) return false;
        converted = isInteger ? number.ToString("0", invariant) : number.ToString(invariant);
        return true;
    }

    private static bool IsByRefLike(Type type)
    {
        try
        {
            return type.IsByRefLike;
        }
        catch (NotSupportedException)
        {
            return type.CustomAttributes.Any(a => a.AttributeType.FullName == "System.Runtime.CompilerServices.IsByRefLikeAttribute");
        }
    }

    /// <summary>
    /// The value types the runtime must load to lay out a field of <paramref name="type"/>: the type
    /// itself when it is a value type, and the value-type generic arguments of a generic value type
    /// (Nullable&lt;T&gt;). A reference type (a class, an array) needs none of them at load time.
    /// </summary>
    private static IEnumerable<Type> ValueTypesIn(Type type)
    {
        if (!type.IsValueType) yield break;
        if (type.FullName?.StartsWith("System.Nullable`1", StringComparison.Ordinal) != true) yield return type;
        if (!type.IsGenericType) yield break;
        foreach (var argument in type.GetGenericArguments().Where(a => !a.IsGenericParameter))
        {
            foreach (var inner in ValueTypesIn(argument)) yield return inner;
        }
    }

    private static string SetName(string set) => set == CompiledCommand.AllParameterSets ? "(all sets)" : set;
}
