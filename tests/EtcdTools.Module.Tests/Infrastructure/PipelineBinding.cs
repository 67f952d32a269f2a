namespace EtcdTools.Module.Tests.Infrastructure;

/// <summary>How one parameter set of the target would bind a piped object, and why not when it would not.</summary>
public sealed record ParameterSetBinding(string ParameterSet, bool Binds, IReadOnlyList<string> BoundParameters, IReadOnlyList<string> Problems);

public sealed record PipelineBindingReport(string Source, string Target, IReadOnlyList<ParameterSetBinding> Sets)
{
    public bool Binds => Sets.Any(s => s.Binds);

    public override string ToString() =>
        $"{Source} | {Target}: " + (Binds
            ? $"binds through set '{Sets.First(s => s.Binds).ParameterSet}' ({string.Join(", ", Sets.First(s => s.Binds).BoundParameters)})"
            : "does not bind: " + string.Join("; ", Sets.Select(s => $"set '{s.ParameterSet}': {string.Join(", ", s.Problems)}")));
}

/// <summary>
/// The pipeline contract between two cmdlets, checked from metadata: <c>Source | Target</c> works
/// when some parameter set of Target has all its mandatory parameters filled from the piped object,
/// by property name (ValueFromPipelineByPropertyName and a property with the parameter's name or
/// one of its aliases) or by value (ValueFromPipeline and a parameter type the object is), and at
/// least one parameter takes the object. Parameters the caller types (<c>suppliedParameters</c>)
/// count as filled.
/// </summary>
public static class PipelineBinding
{
    private static readonly string[] AnyObjectTypes = ["System.Object", "System.Management.Automation.PSObject"];

    public static PipelineBindingReport Check(TypeShape piped, CmdletMetadata target, IEnumerable<string>? suppliedParameters = null)
    {
        var supplied = new HashSet<string>(suppliedParameters ?? [], StringComparer.OrdinalIgnoreCase);
        var sets = target.ParameterSetNames.Select(set => CheckSet(piped, target, set, supplied)).ToList();
        return new PipelineBindingReport(piped.FullName, target.Name, sets);
    }

    /// <summary>
    /// Checks every [OutputType] of <paramref name="sourceCmdlet"/> against <paramref name="targetCmdlet"/>;
    /// with <paramref name="sourceParameterSet"/>, only the types that parameter set emits (e.g. not
    /// the count Get-EtcdKey -CountOnly emits).
    /// </summary>
    public static IReadOnlyList<PipelineBindingReport> Check(ModuleUnderTest module, string sourceCmdlet, string targetCmdlet,
        IEnumerable<string>? suppliedParameters = null, string? sourceParameterSet = null)
    {
        var source = module.Cmdlet(sourceCmdlet);
        var target = module.Cmdlet(targetCmdlet);
        if (source.OutputTypes.Count == 0) throw new InvalidOperationException($"{source.Name} declares no [OutputType].");

        var outputs = source.OutputTypes
            .Where(o => sourceParameterSet is null || o.ParameterSets.Count == 0 || o.ParameterSets.Contains(sourceParameterSet, StringComparer.OrdinalIgnoreCase))
            .ToList();
        if (outputs.Count == 0) throw new InvalidOperationException($"{source.Name} declares no [OutputType] for parameter set {sourceParameterSet}.");
        return outputs.Select(output =>
        {
            var type = output.Type ?? module.FindModuleType(output.TypeName)
                ?? throw new InvalidOperationException($"{source.Name}'s output type {output.TypeName} is not a type of the module.");
            return Check(TypeShape.Of(type), target, suppliedParameters);
        }).ToList();
    }

    private static ParameterSetBinding CheckSet(TypeShape piped, CmdletMetadata target, string set, HashSet<string> supplied)
    {
        var bound = new List<string>();
        var problems = new List<string>();
        foreach (var (parameter, declaration) in target.ParametersIn(set))
        {
            var byName = declaration.ValueFromPipelineByPropertyName
                && parameter.Aliases.Prepend(parameter.Name).Any(n => piped.PropertyNames.Contains(n, StringComparer.OrdinalIgnoreCase));
            var byValue = declaration.ValueFromPipeline
                && (piped.TypeNames.Contains(parameter.ElementTypeName) || AnyObjectTypes.Contains(parameter.ElementTypeName));

            if (byName || byValue)
            {
                bound.Add(parameter.Name);
            }
            else if (declaration.Mandatory && !supplied.Contains(parameter.Name))
            {
                problems.Add(declaration.ValueFromPipelineByPropertyName
                    ? $"mandatory -{parameter.Name} has no property {string.Join(" or ", parameter.Aliases.Prepend(parameter.Name))} on {piped.FullName}"
                    : $"mandatory -{parameter.Name} does not take pipeline input by property name");
            }
        }

        if (bound.Count == 0) problems.Add("no parameter takes the piped object");
        return new ParameterSetBinding(set, problems.Count == 0, bound, problems);
    }
}
