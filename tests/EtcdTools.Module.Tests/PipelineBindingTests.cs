using EtcdTools.Module.Tests.Infrastructure;

namespace EtcdTools.Module.Tests;

/// <summary>
/// The pipelines the module promises (Get-EtcdMember | Invoke-EtcdDefrag, ...), checked from
/// metadata by <see cref="PipelineBinding"/>, and tests of that checker itself.
/// </summary>
public sealed class PipelineBindingTests
{
    /// <summary>
    /// Source | Target pairs that must bind with no other parameters typed. Add a pair when both
    /// cmdlets exist, e.g. ("Get-EtcdMember", "Invoke-EtcdDefrag", null); the third item limits the
    /// source to the objects one of its parameter sets emits.
    /// </summary>
    public static readonly IReadOnlyList<(string Source, string Target, string? SourceSet)> PromisedPipelines =
    [
        ("Get-EtcdConnection", "Connect-EtcdCluster", null),
        ("Start-EtcdSandbox", "Connect-EtcdCluster", null),
        ("Get-EtcdMember", "Get-EtcdHealth", null),
        ("Get-EtcdMember", "Get-EtcdMember", null),
        ("Get-EtcdMember", "Move-EtcdLeader", null),
        ("Get-EtcdMember", "Get-EtcdAlarm", null),
        ("Get-EtcdMember", "Clear-EtcdAlarm", null),
        ("Get-EtcdAlarm", "Clear-EtcdAlarm", null),
        ("Get-EtcdKey", "Remove-EtcdKey", "List"),
        ("Get-EtcdKey", "Set-EtcdKey", "List"),
        ("Get-EtcdSandbox", "Stop-EtcdSandbox", null),
    ];

    [Fact]
    public void PromisedPipelinesBind()
    {
        var violations = new Violations();
        foreach (var (source, target, sourceSet) in PromisedPipelines)
        {
            foreach (var report in PipelineBinding.Check(ModuleUnderTest.Instance, source, target, sourceParameterSet: sourceSet))
            {
                violations.AddIf(!report.Binds, report.ToString());
            }
        }

        violations.AssertNone("Cmdlets the module pairs in a pipeline bind by property name.");
    }

    private static readonly TypeShape Member = new(
        "EtcdTools.EtcdMember",
        ["EtcdTools.EtcdMember", "System.Object"],
        ["Name", "MemberId", "Endpoint", "IsLeader"]);

    private static ParameterMetadata Parameter(string name, params ParameterDeclaration[] declarations) =>
        new(name, "System.String", "System.String", [], declarations);

    private static ParameterDeclaration In(string set = CmdletMetadata.AllParameterSets, bool mandatory = false, bool byName = false, bool byValue = false) =>
        new(set, mandatory, int.MinValue, byValue, byName);

    private static CmdletMetadata Target(params ParameterMetadata[] parameters) =>
        new("EtcdTools.Commands.InvokeEtcdDefragCommand", "Invoke", "EtcdDefrag", true, ConfirmImpactLevel.Medium, null, [], parameters);

    [Fact]
    public void BindsWhenEveryMandatoryParameterHasAPropertyOfItsName()
    {
        var target = Target(Parameter("Endpoint", In(mandatory: true, byName: true)), Parameter("Force", In()));
        var report = PipelineBinding.Check(Member, target);
        Assert.True(report.Binds, report.ToString());
        Assert.Equal(["Endpoint"], report.Sets.Single().BoundParameters);
    }

    [Fact]
    public void BindsThroughAnAlias()
    {
        var target = Target(new ParameterMetadata("Id", "System.UInt64", "System.UInt64", ["MemberId"], [In(mandatory: true, byName: true)]));
        Assert.True(PipelineBinding.Check(Member, target).Binds);
    }

    [Fact]
    public void DoesNotBindWhenAMandatoryParameterHasNoProperty()
    {
        var target = Target(Parameter("Endpoint", In(mandatory: true, byName: true)), Parameter("Revision", In(mandatory: true, byName: true)));
        var report = PipelineBinding.Check(Member, target);
        Assert.False(report.Binds);
        Assert.Contains(report.Sets.Single().Problems, p => p.Contains("-Revision", StringComparison.Ordinal));
    }

    [Fact]
    public void DoesNotBindWhenAMandatoryParameterTakesNoPipelineInput()
    {
        var target = Target(Parameter("Endpoint", In(mandatory: true, byName: true)), Parameter("Path", In(mandatory: true)));
        Assert.False(PipelineBinding.Check(Member, target).Binds);
        Assert.True(PipelineBinding.Check(Member, target, suppliedParameters: ["Path"]).Binds);
    }

    [Fact]
    public void DoesNotBindWhenNothingTakesTheObject()
    {
        var target = Target(Parameter("Endpoint", In()));
        var report = PipelineBinding.Check(Member, target);
        Assert.False(report.Binds);
        Assert.Contains("no parameter takes the piped object", report.Sets.Single().Problems);
    }

    [Fact]
    public void BindsWhenSomeParameterSetBinds()
    {
        var target = Target(
            Parameter("Path", In("ByPath", mandatory: true)),
            Parameter("Endpoint", In("ByEndpoint", mandatory: true, byName: true)));
        var report = PipelineBinding.Check(Member, target);
        Assert.True(report.Binds, report.ToString());
        Assert.False(report.Sets.Single(s => s.ParameterSet == "ByPath").Binds);
        Assert.True(report.Sets.Single(s => s.ParameterSet == "ByEndpoint").Binds);
    }

    [Fact]
    public void BindsByValueWhenTheObjectIsTheParameterType()
    {
        var inputObject = new ParameterMetadata("InputObject", "EtcdTools.EtcdMember[]", "EtcdTools.EtcdMember", [], [In(mandatory: true, byValue: true)]);
        Assert.True(PipelineBinding.Check(Member, Target(inputObject)).Binds);

        var otherType = inputObject with { TypeName = "EtcdTools.EtcdAlarm", ElementTypeName = "EtcdTools.EtcdAlarm" };
        Assert.False(PipelineBinding.Check(Member, Target(otherType)).Binds);
    }
}
