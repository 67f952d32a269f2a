using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Health;
using EtcdTools.Maintenance;

namespace EtcdTools.Commands;

/// <summary>
/// Changes a member's peer URLs (etcdctl member update), or with -Promote makes a learner a voting
/// member (etcdctl member promote). etcd promotes only a learner in sync with the leader; -SyncTimeout
/// waits for that, otherwise the refusal is a clear EtcdLearnerNotInSync error at once.
/// </summary>
[Cmdlet(VerbsData.Update, "EtcdMember", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PeerUrlSet)]
[OutputType(typeof(EtcdMember))]
public sealed class UpdateEtcdMemberCommand : EtcdCmdlet
{
    private const string PeerUrlSet = "PeerUrl";
    private const string PromoteSet = "Promote";

    /// <summary>The member, by hex ID or name. Binds from Get-EtcdMember and Add-EtcdMember.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string MemberId { get; set; } = "";

    /// <summary>Its new peer URLs: every one it should have (they replace the current ones).</summary>
    [Parameter(Mandatory = true, ParameterSetName = PeerUrlSet)]
    [ValidateNotNullOrEmpty]
    public string[] PeerUrl { get; set; } = [];

    /// <summary>Promote the learner to a voting member.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PromoteSet)]
    public SwitchParameter Promote { get; set; }

    /// <summary>With -Promote: how long to wait for the learner to get in sync with the leader (default: not at all).</summary>
    [Parameter(ParameterSetName = PromoteSet)]
    [DurationTransformation]
    [ValidatePositiveDuration(AllowZero = true)]
    public TimeSpan SyncTimeout { get; set; }

    /// <summary>Emit the member as it is after the change.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == PromoteSet) PromoteLearner();
        else UpdatePeerUrls();
    }

    private void UpdatePeerUrls()
    {
        var cluster = GetCluster();
        var member = MemberId;
        var urls = PeerUrl;
        MemberUpdatePlan? plan = null;
        if (!Run(async (_, ct) => plan = await MemberChanges.PlanUpdateAsync(cluster, member, urls, ct).ConfigureAwait(false), member) || plan is null) return;
        if (plan.Unchanged)
        {
            WriteWarning($"Member {plan.DisplayName} has the peer URLs {string.Join(", ", plan.PeerUrls)} already: nothing to change.");
            return;
        }
        if (!ShouldProcess($"member {plan.DisplayName} of cluster {plan.ClusterId}",
                $"Change its peer URLs from {string.Join(", ", plan.CurrentPeerUrls)} to {string.Join(", ", plan.PeerUrls)} (it must listen there: its peers will use them)")) return;
        Run(async (output, ct) =>
        {
            await MemberChanges.UpdateAsync(cluster, plan, ct).ConfigureAwait(false);
            await output.WriteVerboseAsync($"Member {plan.DisplayName} now has the peer URLs {string.Join(", ", plan.PeerUrls)}.");
            await PassThruAsync(output, cluster, plan.MemberId, ct).ConfigureAwait(false);
        }, member);
    }

    private void PromoteLearner()
    {
        var cluster = GetCluster();
        var member = MemberId;
        MemberPromotionPlan? plan = null;
        if (!Run(async (_, ct) => plan = await MemberChanges.PlanPromoteAsync(cluster, member, ct).ConfigureAwait(false), member) || plan is null) return;
        if (!plan.IsLearner)
        {
            WriteError(EtcdErrorRecords.Create(new InvalidOperationException($"Member {plan.DisplayName} is a voting member already: only a learner can be promoted."),
                "EtcdMemberNotLearner", ErrorCategory.InvalidOperation, member));
            return;
        }
        if (!ShouldProcess($"learner {plan.DisplayName} of cluster {plan.ClusterId}", "Promote to a voting member")) return;
        var syncTimeout = SyncTimeout;
        Run(async (output, ct) =>
        {
            if (syncTimeout > TimeSpan.Zero) await output.WriteVerboseAsync($"Waiting up to {Duration.Format(syncTimeout)} for {plan.DisplayName} to be in sync with the leader.");
            try
            {
                await MemberChanges.PromoteAsync(cluster, plan, syncTimeout, ct).ConfigureAwait(false);
            }
            catch (EtcdException e) when (e.ServerError == EtcdServerError.LearnerNotReady)
            {
                await output.WriteErrorAsync(EtcdErrorRecords.Create(e, "EtcdLearnerNotInSync", ErrorCategory.ResourceUnavailable, member));
                return;
            }
            await output.WriteVerboseAsync($"Promoted {plan.DisplayName} to a voting member.");
            await PassThruAsync(output, cluster, plan.MemberId, ct).ConfigureAwait(false);
        }, member);
    }

    private async Task PassThruAsync(PipelineWriter output, Client.EtcdCluster cluster, string memberId, CancellationToken ct)
    {
        if (!PassThru) return;
        if (await MemberChanges.ReadMemberAsync(cluster, memberId, ct).ConfigureAwait(false) is { } now) await output.WriteObjectAsync(now);
    }
}
