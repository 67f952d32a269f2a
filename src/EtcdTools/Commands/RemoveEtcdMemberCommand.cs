using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Health;
using EtcdTools.Maintenance;

namespace EtcdTools.Commands;

/// <summary>
/// Removes members (etcdctl member remove), each checked against the cluster's health first. It
/// refuses the last member, the last voting member, and any removal that would lose quorum given
/// which members are healthy now; a removal that leaves no fault tolerance the cluster has now (a
/// healthy member of three) asks again unless -Force. Removing a dead member to replace it is
/// allowed: it costs nothing. ConfirmImpact High: a removed member cannot rejoin with its data.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "EtcdMember", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(EtcdMember))]
public sealed class RemoveEtcdMemberCommand : EtcdCmdlet
{
    private bool _yesToAll;
    private bool _noToAll;

    /// <summary>The members to remove, by hex ID or name. Binds from Get-EtcdMember and Add-EtcdMember.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string[] MemberId { get; set; } = [];

    /// <summary>Remove without asking again when the cluster is left without fault tolerance. Never overrides a refusal.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Emit each member removed, as it was just before.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        foreach (var member in MemberId)
        {
            MemberRemovalPlan? plan = null;
            if (!Run(async (_, ct) => plan = await MemberChanges.PlanRemoveAsync(cluster, member, ct).ConfigureAwait(false), member) || plan is null) continue;
            if (plan.Refusal is { } refusal)
            {
                WriteError(EtcdErrorRecords.Create(new InvalidOperationException(refusal), "EtcdMemberRemovalRefused", ErrorCategory.ResourceUnavailable, member));
                continue;
            }
            if (!ShouldProcess($"member {plan.DisplayName} of cluster {plan.ClusterId}", plan.IsLearner ? "Remove learner" : "Remove")) continue;
            if (plan.LosesFaultTolerance is { } loss && !Force
                && !ShouldContinue($"{loss} Remove it anyway?", "Remove a member and leave the cluster without fault tolerance", ref _yesToAll, ref _noToAll))
                continue;
            if (plan.Warning is { } warning) WriteWarning(warning);

            var passThru = PassThru.IsPresent;
            Run(async (output, ct) =>
            {
                var before = passThru ? await MemberChanges.ReadMemberAsync(cluster, plan.MemberId, ct).ConfigureAwait(false) : null;
                await MemberChanges.RemoveAsync(cluster, plan, ct).ConfigureAwait(false);
                await output.WriteVerboseAsync($"Removed {plan.DisplayName} from cluster {plan.ClusterId}; fault tolerance now {Math.Max(plan.FaultToleranceAfter, 0)}.");
                if (before is not null) await output.WriteObjectAsync(before);
            }, member);
        }
    }
}
