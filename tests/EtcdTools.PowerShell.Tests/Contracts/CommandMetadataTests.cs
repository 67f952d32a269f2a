using System.Management.Automation;
using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Contracts;

/// <summary>
/// The rules of PowerShell's cmdlet development guidelines, checked on the cmdlets as PowerShell
/// loads them: names, verbs, output types, ShouldProcess and ConfirmImpact, parameters.
/// </summary>
public sealed class CommandMetadataTests
{
    /// <summary>Verbs whose cmdlets change something outside the session: they must support -WhatIf and -Confirm.</summary>
    private static readonly HashSet<string> StateChangingVerbs =
    [
        "Add", "Clear", "Disable", "Enable", "Export", "Grant", "Install", "Invoke", "Move", "New", "Optimize", "Register",
        "Remove", "Rename", "Repair", "Reset", "Restart", "Restore", "Resume", "Revoke", "Save", "Set", "Start", "Stop",
        "Suspend", "Uninstall", "Unregister", "Update", "Write",
    ];

    /// <summary>Cmdlets whose verb changes state but which change nothing but this session or a local process of their own.</summary>
    private static readonly HashSet<string> SessionOnly = ["Connect-EtcdCluster", "Disconnect-EtcdCluster"];

    /// <summary>The least ConfirmImpact of destructive verbs: High prompts by default ($ConfirmPreference is High).</summary>
    private static readonly Dictionary<string, ConfirmImpact> LeastImpact = new()
    {
        ["Remove"] = ConfirmImpact.High,
        ["Restore"] = ConfirmImpact.High,
        ["Clear"] = ConfirmImpact.Medium,
        ["Stop"] = ConfirmImpact.Medium,
        ["Move"] = ConfirmImpact.Medium,
        ["Reset"] = ConfirmImpact.Medium,
    };

    private static readonly string[] ReservedVerbs = ["ForEach", "Format", "Group", "Sort", "Tee", "Where"];

    public static TheoryData<string> Cmdlets => ModuleCommands.Names;

    [Fact]
    public void TheModuleExportsExactlyItsCmdletClasses()
    {
        var classes = ModuleCommands.Cmdlets[0].ImplementingType.Assembly.GetExportedTypes()
            .Where(t => typeof(Cmdlet).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => ((CmdletAttribute)Attribute.GetCustomAttribute(t, typeof(CmdletAttribute))!).VerbName + "-" + ((CmdletAttribute)Attribute.GetCustomAttribute(t, typeof(CmdletAttribute))!).NounName)
            .Order(StringComparer.Ordinal);
        Assert.Equal(classes, ModuleCommands.Cmdlets.Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void VerbIsApprovedAndNounStartsWithEtcd(string name)
    {
        using var session = new PowerShellSession(importModule: false);
        var cmdlet = ModuleCommands.Get(name);
        var approved = session.Invoke("(Get-Verb).Verb").Output.Select(o => (string)o.BaseObject).ToHashSet(StringComparer.Ordinal);
        Assert.Contains(cmdlet.Verb, approved);
        Assert.DoesNotContain(cmdlet.Verb, ReservedVerbs);
        Assert.StartsWith("Etcd", cmdlet.Noun, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void ClassIsPublicSealedVerbNounCommandInTheCommandsNamespace(string name)
    {
        var type = ModuleCommands.Get(name).ImplementingType;
        Assert.True(type.IsPublic && type.IsSealed, $"{type} must be public sealed");
        Assert.Equal("EtcdTools.Commands", type.Namespace);
        Assert.Equal(name.Replace("-", "", StringComparison.Ordinal) + "Command", type.Name);
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void OutputTypesAreDeclaredAndArePublicSealedClasses(string name)
    {
        var cmdlet = ModuleCommands.Get(name);
        Assert.NotEmpty(cmdlet.OutputType);
        Assert.All(cmdlet.OutputType, t => Assert.NotNull(t.Type));
        Assert.All(ModuleCommands.ModuleOutputTypes(cmdlet), t => Assert.True(t.IsPublic && t.IsSealed && t.IsClass, $"{t} must be a public sealed class"));
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void StateChangingCmdletsSupportShouldProcessWithTheirConfirmImpact(string name)
    {
        var cmdlet = ModuleCommands.Get(name);
        var attribute = ModuleCommands.CmdletAttributeOf(cmdlet);
        if (StateChangingVerbs.Contains(cmdlet.Verb) && !SessionOnly.Contains(name))
        {
            Assert.True(attribute.SupportsShouldProcess, $"{name} changes state: it needs SupportsShouldProcess");
            Assert.Contains("WhatIf", cmdlet.Parameters.Keys);
        }
        if (LeastImpact.TryGetValue(cmdlet.Verb, out var least))
            Assert.True(attribute.ConfirmImpact >= least, $"{name} has ConfirmImpact {attribute.ConfirmImpact}; it needs at least {least}");
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void EachParameterSetTakesPipelineInputByValueOnce(string name)
    {
        foreach (var set in ModuleCommands.Get(name).ParameterSets)
        {
            var byValue = set.Parameters.Where(p => p.ValueFromPipeline).Select(p => p.Name).ToList();
            Assert.True(byValue.Count <= 1, $"{name} set {set.Name}: {string.Join(", ", byValue)} take pipeline input by value");
        }
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void FlagsAreSwitchesNeverPositionalNorAlwaysMandatory(string name)
    {
        var cmdlet = ModuleCommands.Get(name);
        Assert.DoesNotContain(cmdlet.Parameters.Values, p => p.ParameterType == typeof(bool));
        foreach (var set in cmdlet.ParameterSets)
        {
            foreach (var parameter in set.Parameters.Where(p => p.ParameterType == typeof(SwitchParameter)))
                Assert.True(parameter.Position < 0, $"{name} -{parameter.Name} is a positional switch");
        }
        foreach (var parameter in cmdlet.Parameters.Values.Where(p => p.ParameterType == typeof(SwitchParameter)))
        {
            // A switch mandatory in one set picks that set (Test-EtcdCluster -Detailed); in every set it would be no choice at all.
            var mandatoryIn = cmdlet.ParameterSets.Count(set => set.Parameters.Any(p => p.Name == parameter.Name && p.IsMandatory));
            Assert.True(mandatoryIn < cmdlet.ParameterSets.Count, $"{name} -{parameter.Name} is a switch that must always be given");
        }
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void EtcdCmdletsTakeTheConnectionParametersAndPipedClusterIds(string name)
    {
        var cmdlet = ModuleCommands.Get(name);
        if (!cmdlet.ImplementingType.BaseType!.Name.Equals("EtcdCmdlet", StringComparison.Ordinal)) return;
        Assert.Equal("EtcdConnection", cmdlet.Parameters["Connection"].ParameterType.Name);
        Assert.Contains(cmdlet.Parameters["ClusterId"].Attributes.OfType<ParameterAttribute>(), a => a.ValueFromPipelineByPropertyName);
        Assert.Contains(cmdlet.Parameters["Endpoint"].Attributes.OfType<ParameterAttribute>(), a => a.ValueFromPipelineByPropertyName);
    }

    [Fact]
    public void EveryCmdletThatTalksToEtcdIsAnEtcdCmdlet()
    {
        // Those that do not: the sandbox's cmdlets (local processes), Disconnect (the session only),
        // Test-EtcdDisk (a local disk), the Kubernetes cmdlets, which talk to the API server
        // (-Kubeconfig, -Context) or to the local port-forwards of the session's Kubernetes connection,
        // not to etcd, the snapshot cmdlets that read or restore files offline, and Export-EtcdReport,
        // which writes files from objects already measured.
        string[] kubernetesSide = ["Get-EtcdPod", "Get-EtcdPodLog", "Start-EtcdPortForward", "Stop-EtcdPortForward"];
        string[] offline = ["Get-EtcdSnapshotInfo", "Test-EtcdSnapshot", "Restore-EtcdSnapshot", "Export-EtcdReport"];
        var local = ModuleCommands.Cmdlets.Where(c => c.ImplementingType.BaseType!.Name != "EtcdCmdlet").Select(c => c.Name).Order().ToList();
        Assert.All(local, n => Assert.True(n.Contains("Sandbox", StringComparison.Ordinal) || n is "Disconnect-EtcdCluster" or "Test-EtcdDisk" || kubernetesSide.Contains(n) || offline.Contains(n),
            $"{n} does not take -Connection"));
    }
}
