using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Maintenance;

namespace EtcdTools.Commands;

/// <summary>
/// Adds a member (etcdctl member add) and writes what the new etcd must be started with. Checked
/// first: the name and peer URLs are free, the URLs are ones etcd accepts, and a voting member
/// (which counts towards quorum from the moment it is added, started or not) would not cost the
/// cluster its quorum. -Learner adds a non-voting member, the safe way: promote it with
/// Update-EtcdMember -Promote once it is in sync.
/// </summary>
[Cmdlet(VerbsCommon.Add, "EtcdMember", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(EtcdMemberAddition))]
public sealed class AddEtcdMemberCommand : EtcdCmdlet
{
    /// <summary>The name the new member will be started with (--name): it goes into --initial-cluster.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The new member's peer URLs (--initial-advertise-peer-urls), such as https://10.0.0.4:2380.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string[] PeerUrl { get; set; } = [];

    /// <summary>Add it as a learner: it receives the log but does not vote until promoted.</summary>
    [Parameter]
    public SwitchParameter Learner { get; set; }

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        var name = Name;
        var urls = PeerUrl;
        var learner = Learner.IsPresent;
        MemberAdditionPlan? plan = null;
        if (!Run(async (_, ct) => plan = await MemberChanges.PlanAddAsync(cluster, name, urls, learner, ct).ConfigureAwait(false), name) || plan is null) return;

        if (plan.Refusal is { } refusal)
        {
            WriteError(EtcdErrorRecords.Create(new InvalidOperationException(refusal), "EtcdMemberAddRefused", ErrorCategory.ResourceUnavailable, name));
            return;
        }
        if (!ShouldProcess($"cluster {plan.ClusterId}", plan.Describe())) return;
        if (plan.Warning is { } warning) WriteWarning(warning);

        Run(async (output, ct) =>
        {
            var addition = await MemberChanges.AddAsync(cluster, plan, ct).ConfigureAwait(false);
            await output.WriteVerboseAsync($"Added {addition}. Start its etcd with --initial-cluster-state=existing: {addition.Arguments}");
            await output.WriteObjectAsync(addition);
        }, name);
    }
}
