using EtcdTools.Module.Tests.Infrastructure;

namespace EtcdTools.Module.Tests;

/// <summary>
/// Rules every cmdlet class follows (PowerShell's cmdlet development guidelines and
/// shared/powershell-conventions.md), checked from the built assembly's metadata.
/// </summary>
public sealed class CmdletContractTests
{
    private const string CommandNamespace = "EtcdTools.Commands";
    private const string NounPrefix = "Etcd";

    /// <summary>
    /// Verbs whose cmdlets change something outside the session, so they must support -WhatIf and
    /// -Confirm (SupportsShouldProcess = true, and call ShouldProcess before the change).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> StateChangingVerbs = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Add"] = "adds a member, user, role or key to the cluster",
        ["Clear"] = "erases state (alarms, keys) from the cluster",
        ["Disable"] = "turns a cluster feature off (auth)",
        ["Enable"] = "turns a cluster feature on (auth)",
        ["Export"] = "writes a file that may overwrite an existing one",
        ["Grant"] = "gives a user or role permissions",
        ["Install"] = "installs software or a service",
        ["Invoke"] = "runs an action against the cluster (defragmentation, compaction, a member's maintenance)",
        ["Move"] = "moves leadership or data between members",
        ["New"] = "creates something (a lease, a key, a sandbox cluster)",
        ["Optimize"] = "rewrites a member's database (defragmentation blocks the member while it runs)",
        ["Register"] = "adds a registration",
        ["Remove"] = "deletes members, keys, users or files",
        ["Rename"] = "renames something in place",
        ["Repair"] = "changes state to fix it",
        ["Reset"] = "returns state to a default, losing the current one",
        ["Restart"] = "stops and starts a member or process",
        ["Restore"] = "rebuilds a data directory or cluster from a snapshot",
        ["Resume"] = "restarts paused work",
        ["Revoke"] = "takes permissions or leases away",
        ["Save"] = "writes a file (a snapshot) that may overwrite an existing one",
        ["Set"] = "changes configuration or values",
        ["Start"] = "starts a member, process or long-running operation",
        ["Stop"] = "stops a member, process or operation",
        ["Suspend"] = "pauses work",
        ["Uninstall"] = "removes software or a service",
        ["Unregister"] = "removes a registration",
        ["Update"] = "changes existing members or data",
        ["Write"] = "writes data to the cluster",
    };

    /// <summary>
    /// Verbs whose work is destructive or disruptive, with the least ConfirmImpact they may declare.
    /// High makes PowerShell prompt by default ($ConfirmPreference is High); -Force or
    /// -Confirm:$false skips it in scripts.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, (ConfirmImpactLevel Least, string Reason)> DestructiveVerbs =
        new Dictionary<string, (ConfirmImpactLevel, string)>(StringComparer.Ordinal)
        {
            ["Remove"] = (ConfirmImpactLevel.High, "removing a member or keys cannot be undone and can cost quorum"),
            ["Restore"] = (ConfirmImpactLevel.High, "restoring replaces the data a cluster or data directory holds"),
            ["Clear"] = (ConfirmImpactLevel.Medium, "clearing alarms or keys hides or loses state; not Low"),
            ["Stop"] = (ConfirmImpactLevel.Medium, "stopping a member lowers the cluster's fault tolerance; not Low"),
            ["Move"] = (ConfirmImpactLevel.Medium, "moving leadership briefly stalls writes; not Low"),
            ["Reset"] = (ConfirmImpactLevel.Medium, "resetting loses the current state; not Low"),
        };

    private static IReadOnlyList<CmdletMetadata> Cmdlets => ModuleUnderTest.Instance.Cmdlets;

    [Fact]
    public void EveryCmdletClassHasACmdletAttribute()
    {
        // CmdletMetadata.Read throws for a class without [Cmdlet]; loading the module runs it for all.
        Assert.Equal(ModuleUnderTest.Instance.CmdletTypes.Count, Cmdlets.Count);
    }

    [Fact]
    public void VerbsAreApprovedAndNotReserved()
    {
        var violations = new Violations();
        foreach (var cmdlet in Cmdlets)
        {
            violations.AddIf(!ApprovedVerbs.All.Contains(cmdlet.Verb), $"{cmdlet.Name}: '{cmdlet.Verb}' is not an approved verb (Get-Verb), or not spelled as Get-Verb spells it");
            violations.AddIf(ApprovedVerbs.Reserved.Contains(cmdlet.Verb), $"{cmdlet.Name}: '{cmdlet.Verb}' is reserved for PowerShell's own cmdlets");
        }

        violations.AssertNone("Cmdlets use approved verbs.");
    }

    [Fact]
    public void NounsStartWithEtcd()
    {
        var violations = new Violations();
        foreach (var cmdlet in Cmdlets)
        {
            violations.AddIf(!cmdlet.Noun.StartsWith(NounPrefix, StringComparison.Ordinal) || cmdlet.Noun.Length == NounPrefix.Length,
                $"{cmdlet.Name}: the noun must start with '{NounPrefix}' and name a thing (Etcd<Thing>)");
            violations.AddIf(!cmdlet.Noun.All(char.IsLetterOrDigit), $"{cmdlet.Name}: the noun must be letters and digits only");
        }

        violations.AssertNone("Nouns carry the module's prefix.");
    }

    [Fact]
    public void ClassesArePublicSealedAndNamedVerbNounCommand()
    {
        var violations = new Violations();
        foreach (var type in ModuleUnderTest.Instance.CmdletTypes)
        {
            var cmdlet = CmdletMetadata.Read(type);
            violations.AddIf(!type.IsPublic, $"{type.FullName} is not public: PowerShell only finds public cmdlet classes");
            violations.AddIf(!type.IsSealed, $"{type.FullName} is not sealed");
            violations.AddIf(type.Name != $"{cmdlet.Verb}{cmdlet.Noun}Command", $"{type.FullName} implements {cmdlet.Name}, so its name is {cmdlet.Verb}{cmdlet.Noun}Command");
            violations.AddIf(type.Namespace != CommandNamespace, $"{type.FullName} is not in namespace {CommandNamespace}");
            violations.AddIf(type.GetConstructor(Type.EmptyTypes) is not { IsPublic: true }, $"{type.FullName} has no public parameterless constructor");
        }

        violations.AssertNone("Cmdlet classes follow the naming rules.");
    }

    [Fact]
    public void CmdletNamesAreUnique()
    {
        var duplicates = Cmdlets.GroupBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key);
        Assert.Empty(duplicates);
    }

    [Fact]
    public void EveryCmdletDeclaresItsOutputType()
    {
        var violations = new Violations();
        foreach (var cmdlet in Cmdlets)
        {
            // A cmdlet that writes only with -PassThru still declares what -PassThru writes.
            violations.AddIf(cmdlet.OutputTypes.Count == 0, $"{cmdlet.Name} ({cmdlet.TypeName}) has no [OutputType]");
            foreach (var output in cmdlet.OutputTypes.Where(o => o.Type is null))
            {
                var resolved = ModuleUnderTest.Instance.FindModuleType(output.TypeName);
                violations.AddIf(resolved is null && !output.TypeName.StartsWith("System.", StringComparison.Ordinal),
                    $"{cmdlet.Name}: [OutputType(\"{output.TypeName}\")] names no type of the module or the framework; prefer typeof()");
            }
        }

        violations.AssertNone("Every cmdlet declares [OutputType].");
    }

    [Fact]
    public void OutputTypesOfTheModuleArePublicSealedClasses()
    {
        var violations = new Violations();
        foreach (var type in ModuleOutputTypes().Select(o => o.Type).Distinct())
        {
            violations.AddIf(!type.IsPublic && !type.IsNestedPublic, $"{type.FullName} is an output type but not public");
            violations.AddIf(!type.IsSealed && !type.IsEnum && !type.IsAbstract, $"{type.FullName} is an output type but not sealed");
        }

        violations.AssertNone("Output types are public sealed classes.");
    }

    [Fact]
    public void StateChangingCmdletsSupportShouldProcess()
    {
        var violations = new Violations();
        foreach (var cmdlet in Cmdlets.Where(c => StateChangingVerbs.ContainsKey(c.Verb)))
        {
            violations.AddIf(!cmdlet.SupportsShouldProcess,
                $"{cmdlet.Name}: '{cmdlet.Verb}' {StateChangingVerbs[cmdlet.Verb]}, so [Cmdlet(..., SupportsShouldProcess = true)] and call ShouldProcess(target, action)");
        }

        violations.AssertNone("Cmdlets that change state support -WhatIf and -Confirm.");
    }

    [Fact]
    public void DestructiveCmdletsDeclareTheirConfirmImpact()
    {
        var violations = new Violations();
        foreach (var cmdlet in Cmdlets.Where(c => DestructiveVerbs.ContainsKey(c.Verb)))
        {
            var (least, reason) = DestructiveVerbs[cmdlet.Verb];
            violations.AddIf(!cmdlet.SupportsShouldProcess, $"{cmdlet.Name} must set SupportsShouldProcess = true: {reason}");
            violations.AddIf(cmdlet.ConfirmImpact < least, $"{cmdlet.Name} has ConfirmImpact.{cmdlet.ConfirmImpact}; it needs at least ConfirmImpact.{least}: {reason}");
        }

        violations.AssertNone("Destructive cmdlets ask for confirmation.");
    }

    [Fact]
    public void ParametersDoNotShadowCommonParameters()
    {
        var violations = new Violations();
        foreach (var cmdlet in Cmdlets)
        {
            foreach (var parameter in cmdlet.Parameters)
            {
                violations.AddIf(parameter.IsCommonParameterName || CommonParameters.ShouldProcessNames.Contains(parameter.Name),
                    $"{cmdlet.Name} -{parameter.Name} clashes with a common parameter");
                foreach (var alias in parameter.Aliases)
                {
                    violations.AddIf(CommonParameters.Names.Contains(alias), $"{cmdlet.Name} -{parameter.Name} has alias {alias}, a common parameter's name");
                }
            }
        }

        violations.AssertNone("Parameters must not clash with common parameters.");
    }

    [Fact]
    public void EachParameterSetTakesPipelineInputByValueOnce()
    {
        var violations = new Violations();
        foreach (var cmdlet in Cmdlets)
        {
            foreach (var set in cmdlet.ParameterSetNames)
            {
                var byValue = cmdlet.ParametersIn(set).Where(p => p.Declaration.ValueFromPipeline).Select(p => p.Parameter.Name).ToList();
                violations.AddIf(byValue.Count > 1, $"{cmdlet.Name} set '{set}': {string.Join(", ", byValue)} all take ValueFromPipeline; keep one (an -InputObject)");
            }
        }

        violations.AssertNone("One ValueFromPipeline parameter per parameter set.");
    }

    [Fact]
    public void SwitchesAreSwitchParametersNotBooleans()
    {
        var violations = new Violations();
        foreach (var cmdlet in Cmdlets)
        {
            foreach (var parameter in cmdlet.Parameters.Where(p => p.TypeName is "System.Boolean"))
            {
                violations.Add($"{cmdlet.Name} -{parameter.Name} is a bool; use SwitchParameter");
            }
        }

        violations.AssertNone("Flags are switches.");
    }

    /// <summary>Every [OutputType] that is a type of the module itself (framework types such as bool need no view).</summary>
    internal static IEnumerable<(CmdletMetadata Cmdlet, Type Type)> ModuleOutputTypes()
    {
        var module = ModuleUnderTest.Instance;
        foreach (var cmdlet in module.Cmdlets)
        {
            foreach (var output in cmdlet.OutputTypes)
            {
                var type = output.Type ?? module.FindModuleType(output.TypeName);
                if (type is not null && module.IsModuleType(type)) yield return (cmdlet, type);
            }
        }
    }
}
