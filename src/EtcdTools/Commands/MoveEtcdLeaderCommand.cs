using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Maintenance;

namespace EtcdTools.Commands;

/// <summary>
/// Moves raft leadership to the given member (hex ID or name; binds from Get-EtcdMember), e.g. off
/// a host about to be patched, and waits until the new leader leads. ConfirmImpact Medium: no data
/// is at risk and etcd does the same on its own when a leader shuts down gracefully; clients see
/// one short leader change, which is why it still asks under -Confirm.
/// </summary>
[Cmdlet(VerbsCommon.Move, "EtcdLeader", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(EtcdLeaderChange))]
public sealed class MoveEtcdLeaderCommand : EtcdCmdlet
{
    /// <summary>The member to lead (hex ID or name). Exactly one.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ValidateCount(1, 1)]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string[] MemberId { get; set; } = [];

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        var target = MemberId[0];
        LeaderTransferPlan? plan = null;
        // An unknown member is this item's error (non-terminating), as any failure of the plan but an unreachable cluster.
        if (!Run(async (_, ct) => plan = await LeaderTransfer.PlanAsync(cluster, target, ct).ConfigureAwait(false), target) || plan is null) return;

        var leader = $"{plan.LeaderName} ({plan.LeaderId})";
        var successor = $"{plan.TargetName} ({plan.TargetId})";
        if (plan.TargetIsLeader)
        {
            WriteWarning($"Member {successor} is the leader already: nothing to move.");
            return;
        }
        if (plan.TargetIsLearner)
        {
            WriteError(EtcdErrorRecords.Create(new InvalidOperationException($"Member {successor} is a learner: learners do not vote and cannot lead. Promote it to a voting member first."),
                "EtcdTargetIsLearner", ErrorCategory.InvalidOperation, target));
            return;
        }
        if (!plan.TargetIsStarted)
        {
            WriteError(EtcdErrorRecords.Create(new InvalidOperationException($"Member {plan.TargetId} has been added but has not started: it cannot lead."),
                "EtcdTargetNotStarted", ErrorCategory.ResourceUnavailable, target));
            return;
        }
        if (!ShouldProcess($"member {successor}", $"Move leadership from {leader}")) return;

        Run(async (output, ct) =>
        {
            var change = await LeaderTransfer.MoveAsync(cluster, plan, cancellationToken: ct).ConfigureAwait(false);
            await output.WriteVerboseAsync($"Leadership moved from {leader} to {successor} in {change.TookMs} ms (term {change.RaftTerm}).");
            await output.WriteObjectAsync(change);
        }, target);
    }
}
