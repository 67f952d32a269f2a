using System.Diagnostics;
using System.Runtime.CompilerServices;
using EtcdTools.Client;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Health;

/// <summary>
/// Probes members the way etcdctl 3.6 and OpenShift's etcd operator do: a linearizable Get of the
/// key "health" (it must go through the leader, so it proves the member is part of a working
/// quorum), serializable for learners, which cannot serve linearizable reads; then the alarm list.
/// All members at once, each with its own deadline.
/// </summary>
public static class EtcdHealthProbe
{
    /// <summary>The key read by the probe, as etcdctl reads it; it need not exist.</summary>
    public const string HealthKey = "health";

    /// <summary>
    /// Probes <paramref name="members"/> in parallel, each within <paramref name="timeout"/> (default
    /// CommandTimeout), yielding each report as it completes. An unhealthy member's report carries
    /// the reason as an exception as well, for an error record.
    /// </summary>
    public static async IAsyncEnumerable<MemberReport<EtcdMemberHealth>> ProbeAsync(EtcdCluster cluster, IEnumerable<Member> members,
        TimeSpan? timeout = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? cluster.Settings.CommandTimeout;
        await foreach (var result in cluster.ForEachMemberAsync(members,
                           (client, member, deadline) => ProbeMemberAsync(client, member, cluster.ClusterId, limit, deadline, cancellationToken),
                           limit, cancellationToken).ConfigureAwait(false))
        {
            var outcome = result.Value ?? Unreachable(result.Member, cluster.ClusterId, result.Endpoint, result.Error!, result.Took);
            yield return new MemberReport<EtcdMemberHealth>(outcome.Health, outcome.Error);
        }
    }

    /// <summary>Reports for endpoints that could not even list the members: unhealthy, each with its error.</summary>
    public static IEnumerable<MemberReport<EtcdMemberHealth>> FromDiscoveryFailures(MemberDiscoveryResult discovery) =>
        discovery.Failures.Select(failure => new MemberReport<EtcdMemberHealth>(new EtcdMemberHealth
        {
            Endpoint = failure.Endpoint?.GetLeftPart(UriPartial.Authority),
            Healthy = false,
            Error = failure.Message,
            CheckedAt = DateTimeOffset.Now,
        }, failure));

    /// <summary>One member's probe; never throws but for the caller's cancellation.</summary>
    internal static async Task<HealthProbeOutcome> ProbeMemberAsync(EtcdClient client, Member member, ulong clusterId, TimeSpan limit,
        CancellationToken deadline, CancellationToken cancellationToken)
    {
        var learner = member.IsLearner;
        var watch = Stopwatch.StartNew();
        try
        {
            try
            {
                await client.GetAsync(HealthKey, serializable: learner, timeout: limit, cancellationToken: deadline).ConfigureAwait(false);
            }
            catch (EtcdException e) when (e.Kind == EtcdErrorKind.PermissionDenied)
            {
                // A user without read access to "health" was still answered through raft: healthy, as etcdctl counts it.
            }
            var took = watch.Elapsed;

            IReadOnlyList<AlarmMember>? alarms;
            if (learner)
            {
                // Learners serve Status but not the alarm list (a raft request); Status names the alarms too.
                var status = await client.StatusAsync(timeout: limit, cancellationToken: deadline).ConfigureAwait(false);
                alarms = StatusAlarms.Parse(status.Errors);
            }
            else
            {
                try
                {
                    alarms = (await client.AlarmListAsync(timeout: limit, cancellationToken: deadline).ConfigureAwait(false)).Alarms.ToList();
                }
                catch (EtcdException e) when (e.Kind == EtcdErrorKind.PermissionDenied)
                {
                    alarms = null;
                }
            }
            return Judge(member, clusterId, client.Endpoint, took, alarms);
        }
        catch (EtcdException e)
        {
            return Unreachable(member, clusterId, client.Endpoint, e, watch.Elapsed);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            return Unreachable(member, clusterId, client.Endpoint, TimedOut(member, client.Endpoint, limit, e), watch.Elapsed);
        }
    }

    /// <summary>Healthy unless a NOSPACE or CORRUPT alarm is active for the member.</summary>
    internal static HealthProbeOutcome Judge(Member member, ulong clusterId, Uri endpoint, TimeSpan took, IReadOnlyList<AlarmMember>? alarms)
    {
        var own = (alarms ?? []).Where(a => a.MemberID == member.ID && a.Alarm != AlarmType.None).Select(a => a.Alarm).Distinct().ToList();
        var blocking = own.Where(a => a is AlarmType.Nospace or AlarmType.Corrupt).ToList();
        EtcdException? error = null;
        if (blocking.Count > 0)
        {
            var names = string.Join(", ", blocking.Select(StatusAlarms.Name));
            var message = blocking.Contains(AlarmType.Corrupt)
                ? $"Active alarm(s): {names}. Member {member.Name} ({MemberId.Format(member.ID)}) failed a consistency check: its data may differ from the other members'."
                : $"Active alarm(s): {names}. Member {member.Name} ({MemberId.Format(member.ID)}) ran out of backend quota: the cluster refuses writes until space is reclaimed and the alarm disarmed.";
            error = new EtcdException(blocking.Contains(AlarmType.Corrupt) ? EtcdErrorKind.DataLoss : EtcdErrorKind.NoSpace,
                GrpcStatusCode.ResourceExhausted, message, endpoint: endpoint);
        }
        var health = new EtcdMemberHealth
        {
            MemberId = MemberId.Format(member.ID),
            ClusterId = MemberId.Format(clusterId),
            Name = member.Name,
            Endpoint = endpoint.GetLeftPart(UriPartial.Authority),
            Healthy = error is null,
            TookMs = took.TotalMilliseconds,
            Error = error?.Message ?? "",
            Alarms = string.Join(",", own.Select(StatusAlarms.Name)),
            IsLearner = member.IsLearner,
            CheckedAt = DateTimeOffset.Now,
        };
        return new HealthProbeOutcome(health, alarms, error);
    }

    internal static HealthProbeOutcome Unreachable(Member member, ulong clusterId, Uri? endpoint, EtcdException error, TimeSpan took) =>
        new(new EtcdMemberHealth
        {
            MemberId = MemberId.Format(member.ID),
            ClusterId = MemberId.Format(clusterId),
            Name = member.Name,
            Endpoint = endpoint?.GetLeftPart(UriPartial.Authority),
            Healthy = false,
            TookMs = took.TotalMilliseconds,
            Error = error.Message,
            IsLearner = member.IsLearner,
            CheckedAt = DateTimeOffset.Now,
        }, null, error);

    internal static EtcdException TimedOut(Member member, Uri? endpoint, TimeSpan limit, Exception? inner = null) =>
        new(EtcdErrorKind.Timeout, GrpcStatusCode.DeadlineExceeded,
            $"Member {member.Name} at {endpoint?.GetLeftPart(UriPartial.Authority)} did not answer within {Duration.Format(limit)}: it may be hung or overloaded.",
            endpoint: endpoint, innerException: inner);
}

/// <summary>A probe's report, the alarm list it read (null when unread), and why the member is unhealthy.</summary>
internal sealed record HealthProbeOutcome(EtcdMemberHealth Health, IReadOnlyList<AlarmMember>? Alarms, EtcdException? Error);
