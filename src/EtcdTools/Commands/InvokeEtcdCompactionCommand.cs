using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Maintenance;

namespace EtcdTools.Commands;

/// <summary>
/// Compacts the cluster's history to -Revision, or to the current revision minus -KeepRevisions.
/// The current and last compaction revisions are read first, so the confirmation says how much
/// history goes, and a revision in the future or compacted already is refused with etcd's own
/// error before anything is asked. ConfirmImpact High: discarded history cannot come back, and
/// watchers behind it lose their place.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "EtcdCompaction", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = RevisionSet)]
[OutputType(typeof(EtcdCompaction))]
public sealed class InvokeEtcdCompactionCommand : EtcdCmdlet
{
    private const string RevisionSet = "Revision";
    private const string KeepSet = "KeepRevisions";

    /// <summary>Compact to this revision: the history before it goes; it and later revisions remain readable.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = RevisionSet)]
    [ValidateRange(1L, long.MaxValue)]
    public long Revision { get; set; }

    /// <summary>Keep this many revisions before the current one: compact to the current revision minus this.</summary>
    [Parameter(Mandatory = true, ParameterSetName = KeepSet)]
    [ValidateRange(0L, long.MaxValue)]
    public long KeepRevisions { get; set; }

    /// <summary>Return only once the member that took the request has applied the compaction to its backend (etcdctl compact --physical).</summary>
    [Parameter]
    public SwitchParameter Physical { get; set; }

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        long? revision = ParameterSetName == RevisionSet ? Revision : null;
        long? keep = ParameterSetName == KeepSet ? KeepRevisions : null;
        CompactionPlan? plan = null;
        if (!Run(async (_, ct) => plan = await Compaction.PlanAsync(cluster, revision, keep, ct).ConfigureAwait(false), revision ?? keep) || plan is null) return;

        if (plan.NothingToDo)
        {
            WriteWarning(plan.TargetRevision > 1
                ? $"The history is compacted up to revision {plan.CompactRevision} already: compacting to {plan.TargetRevision} discards nothing."
                : keep is not null && plan.TargetRevision < 1
                    ? $"The cluster is at revision {plan.CurrentRevision}: there are not {keep} revisions to keep, so nothing is compacted."
                    : "The history starts at revision 1: compacting to it discards nothing.");
            return;
        }
        if (!ShouldProcess($"history of cluster {plan.ClusterId}", plan.Describe())) return;

        var physical = Physical.IsPresent;
        Run(async (output, ct) =>
        {
            if (physical) await output.WriteVerboseAsync($"Waiting until the compaction is applied to the backend (up to {Duration.Format(Compaction.PhysicalTimeout)}).");
            var done = await Compaction.CompactAsync(cluster, plan, physical, ct).ConfigureAwait(false);
            await output.WriteObjectAsync(done);
        }, plan.TargetRevision);
    }
}
