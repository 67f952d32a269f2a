using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using EtcdTools.Client;
using EtcdTools.Health;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Maintenance;

/// <summary>Where a multi-step maintenance is: steps completed of the total, the member or step at hand, and what is happening to it.</summary>
public sealed record MaintenanceProgress(int Completed, int Total, string Target, string Activity);

/// <summary>
/// Defragments members one at a time, as an operator should by hand and etcdctl does not: before
/// each member, the cluster must be healthy with a fault tolerance of at least one (the member is
/// out of service while its file is rewritten, and defragmentation is not replicated); followers
/// first and the leader last (or after handing its leadership over), so leadership changes at most
/// once; after each, the member must be healthy and caught up with the leader before the next one
/// starts. The first failure stops the run: the members done and those remaining are reported.
/// </summary>
public sealed class RollingDefrag
{
    private static readonly TimeSpan RecoveryPollInterval = TimeSpan.FromMilliseconds(200);

    private readonly EtcdCluster _cluster;
    private readonly DefragPlan _plan;
    private readonly List<EtcdDefragResult> _results = [];

    public RollingDefrag(EtcdCluster cluster, DefragPlan plan)
    {
        _cluster = cluster;
        _plan = plan;
    }

    /// <summary>Every member's outcome so far, in the order of their turns.</summary>
    public IReadOnlyList<EtcdDefragResult> Results => _results;

    /// <summary>Why the run stopped before its end; null while it runs and when it finished.</summary>
    public MaintenanceStoppedException? Stop { get; private set; }

    /// <summary>
    /// Plans a rolling defragmentation of <paramref name="members"/> (hex IDs or names; null or
    /// empty: every member): reads the cluster's health and every selected member's sizes and
    /// decides the order and who is skipped. Changes nothing. An unknown member raises
    /// <see cref="EtcdErrorKind.MemberNotFound"/>.
    /// </summary>
    public static async Task<DefragPlan> PlanAsync(EtcdCluster cluster, IReadOnlyCollection<string>? members, DefragOptions options,
        CancellationToken cancellationToken = default)
    {
        options.Validate();
        var discovery = await MemberDiscovery.DiscoverAsync(cluster, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (discovery.MemberList is null) throw discovery.ToException();
        var selected = discovery.Select(members, out var unknown);
        if (unknown.Count > 0) throw discovery.MemberNotFound(unknown[0]);
        var health = await ClusterHealthGate.CheckAsync(cluster, options.HealthTimeout, cancellationToken).ConfigureAwait(false);

        var statuses = new Dictionary<ulong, (StatusResponse? Status, EtcdException? Error, Uri? Endpoint)>();
        await foreach (var result in cluster.ForEachMemberAsync(selected, (client, _, ct) => client.StatusAsync(options.HealthTimeout, ct),
                           options.HealthTimeout, cancellationToken).ConfigureAwait(false))
            statuses[result.Member.ID] = (result.Value, result.Error, result.Endpoint);
        var leader = statuses.Values.Select(s => s.Status?.Leader ?? 0).FirstOrDefault(id => id != 0);

        var steps = selected.Select(member =>
        {
            var (status, error, endpoint) = statuses[member.ID];
            var skip = SkipReason(member, status, options);
            return new DefragPlanStep(member, endpoint?.GetLeftPart(UriPartial.Authority))
            {
                IsLeader = member.ID == leader,
                DbSizeBytes = status?.DbSize,
                DbSizeInUseBytes = status?.DbSizeInUse,
                StatusError = error?.Message,
                Defragment = skip is null,
                SkipReason = skip ?? "",
            };
        })
            // Followers by name, then the leader; learners and unstarted members, skipped, last.
            .OrderBy(s => s.IsLearner || s.Name.Length == 0 ? 2 : s.IsLeader ? 1 : 0)
            .ThenBy(s => s.Name, StringComparer.Ordinal)
            .ThenBy(s => s.MemberId, StringComparer.Ordinal)
            .ToList();
        return new DefragPlan(MemberId.Format(discovery.ClusterId), steps, health, options);
    }

    private static string? SkipReason(Member member, StatusResponse? status, DefragOptions options)
    {
        if (member.Name.Length == 0 || member.ClientURLs.Count == 0)
            return "it has been added but not started (no name or client URL yet): there is nothing to defragment.";
        if (member.IsLearner)
            return "a learner: etcd serves no Defragment call to learners. Promote it first (Update-EtcdMember -Promote).";
        if (options.IgnoreThreshold || status is null)
            return null; // unreadable sizes: the health check before its turn decides
        var reclaimable = status.DbSize - status.DbSizeInUse;
        var percent = status.DbSize > 0 ? 100.0 * reclaimable / status.DbSize : 0;
        if (percent >= options.MinFragmentedPercent && status.DbSize >= options.MinDbSizeBytes)
            return null;
        var inv = CultureInfo.InvariantCulture;
        return string.Create(inv, $"under the threshold: {percent:0.0}% of its {ByteSize.Format(status.DbSize)} database is not in use ({ByteSize.Format(reclaimable)} reclaimable); ")
            + string.Create(inv, $"a member is defragmented from {options.MinFragmentedPercent:0.#}% not in use and a database of {ByteSize.Format(options.MinDbSizeBytes)}. -Force defragments it anyway.");
    }

    /// <summary>
    /// Runs the plan, yielding each member's outcome as its turn ends. Stops at the first failure or
    /// refusal: then the member concerned and every member after it are yielded (NotStarted, or
    /// Skipped for those the plan skips) and <see cref="Stop"/> says why, naming the members done and remaining.
    /// </summary>
    public async IAsyncEnumerable<EtcdDefragResult> RunAsync(Func<MaintenanceProgress, ValueTask>? progress = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var pending = new List<DefragPlanStep>(_plan.Steps);
        var total = _plan.ToDefragment;
        var done = new List<DefragPlanStep>();
        while (pending.Count > 0)
        {
            var step = pending[0];
            if (!step.Defragment)
            {
                pending.RemoveAt(0);
                yield return Record(Skipped(step));
                continue;
            }

            var turn = await TakeTurnAsync(step, pending, done, total, progress, cancellationToken).ConfigureAwait(false);
            if (turn.Deferred is { } first)
            {
                // Leadership moved to this member since the plan was made: the leader goes last.
                pending.Remove(first);
                pending.Insert(0, first);
                continue;
            }
            pending.RemoveAt(0);
            yield return Record(turn.Result!);
            if (turn.Stop is { } stop)
            {
                foreach (var rest in pending)
                    yield return Record(rest.Defragment ? NotStarted(rest, $"The run stopped at {step.DisplayName}.") : Skipped(rest));
                Stop = Describe(stop, step, done, pending);
                yield break;
            }
            done.Add(step);
            if (pending.Any(s => s.Defragment) && _plan.Options.WaitBetween > TimeSpan.Zero)
            {
                if (progress is not null)
                    await progress(new MaintenanceProgress(done.Count, total, step.Name, $"Waiting {Duration.Format(_plan.Options.WaitBetween)} before the next member")).ConfigureAwait(false);
                await Task.Delay(_plan.Options.WaitBetween, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The outcome of a run refused before its first member (the plan's <see cref="DefragPlan.Refusal"/>):
    /// nothing is done, every member is reported NotStarted (or Skipped) and <see cref="Stop"/> says why.
    /// </summary>
    public IReadOnlyList<EtcdDefragResult> Refuse(string reason)
    {
        var first = _plan.Steps.First(s => s.Defragment);
        foreach (var step in _plan.Steps)
            Record(step.Defragment ? NotStarted(step, step == first ? reason : $"The run stopped at {first.DisplayName}.") : Skipped(step));
        Stop = Describe((true, reason, null), first, [], _plan.Steps.Where(s => s != first).ToList());
        return _results;
    }

    private EtcdDefragResult Record(EtcdDefragResult result)
    {
        _results.Add(result);
        return result;
    }

    private sealed record Turn(EtcdDefragResult? Result, (bool Refused, string Reason, EtcdException? Cause)? Stop = null, DefragPlanStep? Deferred = null);

    /// <summary>One member's turn: health check, leadership, defragmentation, recovery. Never throws but for cancellation.</summary>
    private async Task<Turn> TakeTurnAsync(DefragPlanStep step, List<DefragPlanStep> pending, List<DefragPlanStep> done, int total,
        Func<MaintenanceProgress, ValueTask>? progress, CancellationToken cancellationToken)
    {
        var options = _plan.Options;
        var clock = Stopwatch.StartNew();
        async ValueTask Report(string activity)
        {
            if (progress is not null) await progress(new MaintenanceProgress(done.Count, total, step.Name, activity)).ConfigureAwait(false);
        }

        await Report("Checking the cluster's health").ConfigureAwait(false);
        ClusterHealthGateResult health;
        StatusResponse before;
        var client = _cluster.GetMemberClient(step.Member);
        if (client is null)
            return Refused(step, "It advertises no client URL (it has not started).", null, clock);
        try
        {
            health = await ClusterHealthGate.CheckAsync(_cluster, options.HealthTimeout, cancellationToken).ConfigureAwait(false);
            if (health.RefusalFor(step.Member.ID, options.AllowDowntime) is { } refusal)
                return Refused(step, refusal, null, clock);
            before = await client.StatusAsync(options.HealthTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (EtcdException e)
        {
            return Refused(step, $"The cluster's health could not be checked: {e.Message}", e, clock);
        }

        var isLeader = before.Leader == step.Member.ID;
        if (isLeader && pending.FirstOrDefault(s => s.Defragment && s.Member.ID != before.Leader) is { } follower)
            return new Turn(null, Deferred: follower);

        var note = "";
        if (isLeader && options.MoveLeaderFirst)
        {
            var successor = health.Members
                .Where(m => !m.IsLearner && m.Healthy && m.Member.ID != step.Member.ID && m.Member.ClientURLs.Count > 0 && m.Name.Length > 0)
                .OrderByDescending(m => done.Any(d => d.Member.ID == m.Member.ID))
                .FirstOrDefault();
            if (successor is null)
            {
                note = " No other healthy voting member could take over leadership, so it was defragmented as the leader.";
            }
            else
            {
                await Report($"Moving leadership to {successor.DisplayName}").ConfigureAwait(false);
                try
                {
                    var transfer = await LeaderTransfer.PlanAsync(_cluster, successor.MemberId, cancellationToken).ConfigureAwait(false);
                    await LeaderTransfer.MoveAsync(_cluster, transfer, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is EtcdException or InvalidOperationException)
                {
                    return Failed(step, true, before, $"Moving its leadership to {successor.DisplayName} before its defragmentation failed: {e.Message}", e as EtcdException, clock);
                }
                isLeader = false;
                note = $" It led the cluster until leadership was handed to {successor.DisplayName} for its defragmentation.";
            }
        }

        await Report($"Defragmenting ({ByteSize.Format(before.DbSize)} database, {ByteSize.Format(before.DbSizeInUse)} in use)").ConfigureAwait(false);
        var defragClock = Stopwatch.StartNew();
        try
        {
            await client.DefragmentAsync(options.DefragTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (EtcdException e)
        {
            var reason = e.Kind == EtcdErrorKind.Timeout
                ? $"Its defragmentation did not finish within {Duration.Format(options.DefragTimeout)}. etcd cannot cancel a defragmentation, so the member may still be rewriting its database: wait until Get-EtcdMember shows it healthy before anything else, and give large databases a longer -DefragTimeout. ({e.Message})"
                : $"Its defragmentation failed: {e.Message}";
            return Failed(step, isLeader, before, reason, e, clock);
        }
        var defragTook = defragClock.Elapsed;

        await Report("Waiting until it is healthy and caught up with the leader").ConfigureAwait(false);
        StatusResponse after;
        try
        {
            var limit = defragTook > options.RecoveryTimeout ? defragTook : options.RecoveryTimeout;
            after = await WaitRecoveredAsync(client, step.Member, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (EtcdException e)
        {
            return Failed(step, isLeader, before, $"It was defragmented in {Duration.Format(defragTook)}, but then {e.Message}", e, clock);
        }

        return new Turn(new EtcdDefragResult
        {
            Member = step.Name,
            MemberId = step.MemberId,
            ClusterId = _plan.ClusterId,
            Endpoint = step.Endpoint,
            IsLeader = isLeader,
            Action = EtcdDefragAction.Defragmented,
            DbSizeBeforeBytes = before.DbSize,
            DbSizeAfterBytes = after.DbSize,
            DbSizeInUseBytes = before.DbSizeInUse,
            ReclaimedBytes = before.DbSize - after.DbSize,
            DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
            Reason = string.Create(CultureInfo.InvariantCulture,
                $"Defragmented in {Duration.Format(defragTook)}: {ByteSize.Format(before.DbSize)} to {ByteSize.Format(after.DbSize)}; healthy and caught up with the leader after {Duration.Format(clock.Elapsed - defragTook)} more.{note}"),
        });
    }

    /// <summary>
    /// Waits until the member answers the health probe and its applied index is within
    /// <see cref="DefragOptions.CatchUpAllowance"/> of the leader's (read first); returns its status then.
    /// </summary>
    private async Task<StatusResponse> WaitRecoveredAsync(EtcdClient client, Member member, TimeSpan limit, CancellationToken cancellationToken)
    {
        var probeLimit = _plan.Options.HealthTimeout ?? _cluster.Settings.CommandTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        var last = "it did not answer";
        try
        {
            while (true)
            {
                try
                {
                    var probe = await EtcdHealthProbe.ProbeMemberAsync(client, member, 0, probeLimit, deadline.Token, cancellationToken).ConfigureAwait(false);
                    if (probe.Error is { Kind: not EtcdErrorKind.NoSpace } unhealthy)
                    {
                        last = $"it was not healthy: {unhealthy.Message}";
                    }
                    else
                    {
                        var own = await client.StatusAsync(probeLimit, deadline.Token).ConfigureAwait(false);
                        if (own.Leader == member.ID) return own;
                        var leaderClient = await LeaderClientAsync(own.Leader, deadline.Token).ConfigureAwait(false);
                        if (leaderClient is null)
                        {
                            last = "it saw no leader it could reach";
                        }
                        else
                        {
                            var leader = await leaderClient.StatusAsync(probeLimit, deadline.Token).ConfigureAwait(false);
                            own = await client.StatusAsync(probeLimit, deadline.Token).ConfigureAwait(false);
                            var behind = (long)leader.RaftAppliedIndex - (long)own.RaftAppliedIndex;
                            if (behind <= DefragOptions.CatchUpAllowance) return own;
                            last = string.Create(CultureInfo.InvariantCulture, $"it was still {behind} raft entries behind the leader's applied index {leader.RaftAppliedIndex}");
                        }
                    }
                }
                catch (EtcdException e)
                {
                    last = $"it did not answer: {e.Message}";
                }
                await Task.Delay(RecoveryPollInterval, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EtcdException(EtcdErrorKind.Timeout, GrpcStatusCode.DeadlineExceeded,
                $"within {Duration.Format(limit)} it did not become healthy and catch up with the leader: at the last check {Sentence.End(last)}", endpoint: client.Endpoint);
        }
    }

    private async Task<EtcdClient?> LeaderClientAsync(ulong leaderId, CancellationToken cancellationToken)
    {
        if (leaderId == 0) return null;
        var members = await _cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        return members.Members.FirstOrDefault(m => m.ID == leaderId) is { } leader ? _cluster.GetMemberClient(leader) : null;
    }

    private Turn Refused(DefragPlanStep step, string reason, EtcdException? cause, Stopwatch clock) =>
        new(NotStarted(step, reason, clock.Elapsed), (true, reason, cause));

    private Turn Failed(DefragPlanStep step, bool isLeader, StatusResponse before, string reason, EtcdException? cause, Stopwatch clock) =>
        new(new EtcdDefragResult
        {
            Member = step.Name,
            MemberId = step.MemberId,
            ClusterId = _plan.ClusterId,
            Endpoint = step.Endpoint,
            IsLeader = isLeader,
            Action = EtcdDefragAction.Failed,
            DbSizeBeforeBytes = before.DbSize,
            DbSizeInUseBytes = before.DbSizeInUse,
            DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
            Reason = reason,
        }, (false, reason, cause));

    private EtcdDefragResult Skipped(DefragPlanStep step) => new()
    {
        Member = step.Name,
        MemberId = step.MemberId,
        ClusterId = _plan.ClusterId,
        Endpoint = step.Endpoint,
        IsLeader = step.IsLeader,
        Action = EtcdDefragAction.Skipped,
        DbSizeBeforeBytes = step.DbSizeBytes,
        DbSizeInUseBytes = step.DbSizeInUseBytes,
        Reason = char.ToUpperInvariant(step.SkipReason[0]) + step.SkipReason[1..],
    };

    private EtcdDefragResult NotStarted(DefragPlanStep step, string reason, TimeSpan took = default) => new()
    {
        Member = step.Name,
        MemberId = step.MemberId,
        ClusterId = _plan.ClusterId,
        Endpoint = step.Endpoint,
        IsLeader = step.IsLeader,
        Action = EtcdDefragAction.NotStarted,
        DbSizeBeforeBytes = step.DbSizeBytes,
        DbSizeInUseBytes = step.DbSizeInUseBytes,
        DurationMs = Math.Round(took.TotalMilliseconds, 1),
        Reason = reason,
    };

    private static MaintenanceStoppedException Describe((bool Refused, string Reason, EtcdException? Cause) stop, DefragPlanStep at,
        IReadOnlyList<DefragPlanStep> done, IReadOnlyList<DefragPlanStep> after)
    {
        var doneNames = done.Select(d => d.DisplayName).ToList();
        var remaining = new[] { at }.Concat(after.Where(s => s.Defragment)).Select(s => s.DisplayName).ToList();
        var head = stop.Refused
            ? $"The rolling defragmentation stopped before {at.DisplayName}: {Sentence.End(stop.Reason)}"
            : $"The rolling defragmentation stopped at {at.DisplayName}: {Sentence.End(stop.Reason)}";
        var message = $"{head} Done: {(doneNames.Count == 0 ? "none" : string.Join(", ", doneNames))}. "
            + $"{(stop.Refused ? "Not started" : "Failed, then not started")}: {string.Join(", ", remaining)}. "
            + "Once the cluster is healthy, defragment the remaining members (pipe the NotStarted results back to Invoke-EtcdDefrag).";
        return new MaintenanceStoppedException(message, stop.Refused, doneNames, remaining, stop.Cause);
    }
}
