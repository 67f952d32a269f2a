using System.Diagnostics;
using EtcdTools.Client;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Maintenance;

/// <summary>Who leads now and the member leadership would move to, checked before anything changes.</summary>
public sealed class LeaderTransferPlan
{
    internal LeaderTransferPlan(Member leader, Member target)
    {
        Leader = leader;
        Target = target;
    }

    public Member Leader { get; }
    public Member Target { get; }

    public string LeaderId => MemberId.Format(Leader.ID);
    public string TargetId => MemberId.Format(Target.ID);
    public string LeaderName => Leader.Name;
    public string TargetName => Target.Name;

    /// <summary>The target leads already: nothing to do.</summary>
    public bool TargetIsLeader => Leader.ID == Target.ID;

    /// <summary>A learner does not vote and cannot lead: etcd refuses it ("bad leader transferee").</summary>
    public bool TargetIsLearner => Target.IsLearner;

    /// <summary>A member added but never started has no name and no client URL: it cannot lead.</summary>
    public bool TargetIsStarted => Target.Name.Length > 0 && Target.ClientURLs.Count > 0;

    public override string ToString() => $"{LeaderName} ({LeaderId}) -> {TargetName} ({TargetId})";
}

/// <summary>
/// Moves raft leadership to a chosen member (Move-EtcdLeader), e.g. off a host about to be
/// patched. etcd accepts MoveLeader only on the current leader, so the request goes to the
/// leader's own endpoint; etcd answers once it has handed over, and the transfer counts as done
/// when the target itself reports that it leads.
/// </summary>
public static class LeaderTransfer
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Finds the current leader and the target (hex ID or name). An unknown target raises
    /// <see cref="EtcdErrorKind.MemberNotFound"/>; a cluster without a leader, <see cref="EtcdErrorKind.Unavailable"/>.
    /// </summary>
    public static async Task<LeaderTransferPlan> PlanAsync(EtcdCluster cluster, string target, CancellationToken cancellationToken = default)
    {
        var (_, selected) = await cluster.SelectMembersAsync([target], cancellationToken).ConfigureAwait(false);
        var members = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        var status = await cluster.InvokeAsync((client, ct) => client.StatusAsync(cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        var leader = members.Members.FirstOrDefault(m => m.ID == status.Leader)
            ?? throw new EtcdException(EtcdErrorKind.Unavailable, GrpcStatusCode.Unavailable,
                status.Leader == 0
                    ? "The cluster has no leader right now (an election is under way or quorum is lost): there is no leadership to move."
                    : $"The leader {MemberId.Format(status.Leader)} reported by {status.Header.MemberId:x} is not in the member list.");
        return new LeaderTransferPlan(leader, selected[0]);
    }

    /// <summary>
    /// Moves leadership as planned and waits until the target reports that it leads. Throws
    /// <see cref="InvalidOperationException"/> for a plan whose target cannot lead (learner, not started).
    /// </summary>
    public static async Task<EtcdLeaderChange> MoveAsync(EtcdCluster cluster, LeaderTransferPlan plan, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        if (plan.TargetIsLearner)
            throw new InvalidOperationException($"Member {plan.TargetName} ({plan.TargetId}) is a learner: learners do not vote and cannot lead. Promote it first.");
        if (!plan.TargetIsStarted)
            throw new InvalidOperationException($"Member {plan.TargetId} has not started (it has no name or client URL yet): it cannot lead.");

        var limit = timeout ?? cluster.Settings.CommandTimeout;
        var leaderClient = cluster.GetMemberClient(plan.Leader)
            ?? throw new EtcdException(EtcdErrorKind.Unavailable, GrpcStatusCode.Unavailable, $"The leader {plan.LeaderName} ({plan.LeaderId}) advertises no client URL.");
        var targetClient = cluster.GetMemberClient(plan.Target)!;
        var watch = Stopwatch.StartNew();
        if (!plan.TargetIsLeader)
        {
            try
            {
                await leaderClient.MoveLeaderAsync(plan.Target.ID, limit, cancellationToken).ConfigureAwait(false);
            }
            catch (EtcdException e) when (e.ServerError == EtcdServerError.NotLeader)
            {
                throw new EtcdException(EtcdErrorKind.Unavailable, e.StatusCode,
                    $"{plan.LeaderName} ({plan.LeaderId}) is no longer the leader: an election happened since the leader was looked up. Nothing was moved; look again and retry.",
                    e.EtcdMessage, e.Endpoint, e.Method, e);
            }
        }

        // The old leader has handed over when MoveLeader returns; wait until the target knows it leads.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        StatusResponse? status = null;
        try
        {
            while (true)
            {
                try
                {
                    status = await targetClient.StatusAsync(limit, deadline.Token).ConfigureAwait(false);
                    if (status.Leader == plan.Target.ID) break;
                }
                catch (EtcdException e) when (e.IsFailoverCandidate)
                {
                    // The target may be busy with the election for a moment: ask again.
                }
                await Task.Delay(PollInterval, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EtcdException(EtcdErrorKind.Timeout, GrpcStatusCode.DeadlineExceeded,
                $"etcd accepted moving leadership to {plan.TargetName} ({plan.TargetId}), but within {Duration.Format(limit)} it did not report itself leader"
                + (status is null ? "." : $" (it sees {MemberId.Format(status.Leader)} as leader)."),
                endpoint: targetClient.Endpoint);
        }
        return new EtcdLeaderChange
        {
            PreviousLeaderId = plan.LeaderId,
            PreviousLeader = plan.LeaderName,
            NewLeaderId = plan.TargetId,
            NewLeader = plan.TargetName,
            RaftTerm = status.RaftTerm,
            TookMs = Math.Round(watch.Elapsed.TotalMilliseconds, 1),
        };
    }
}
