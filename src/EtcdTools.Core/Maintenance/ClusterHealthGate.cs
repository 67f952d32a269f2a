using System.Globalization;
using EtcdTools.Client;
using EtcdTools.Health;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Maintenance;

/// <summary>One member as the health gate saw it.</summary>
public sealed class GateMember
{
    internal GateMember(Member member, bool healthy, string reason)
    {
        Member = member;
        Healthy = healthy;
        Reason = reason;
    }

    internal Member Member { get; }

    public string Name => Member.Name;
    public string MemberId => Client.MemberId.Format(Member.ID);
    public bool IsLearner => Member.IsLearner;

    /// <summary>It answered a linearizable read (serializable for a learner) and has no CORRUPT alarm. NOSPACE does not count against it: defragmentation is how NOSPACE is cured.</summary>
    public bool Healthy { get; }

    /// <summary>Why it is unhealthy; empty when healthy.</summary>
    public string Reason { get; }

    /// <summary>"etcd-1 (8211f1d0f64f3269)", or the ID alone for a member not started.</summary>
    public string DisplayName => Client.MemberId.Describe(Member.Name, MemberId);
}

/// <summary>
/// The cluster's health as maintenance judges it before each step: every voting member probed the
/// way etcdctl endpoint health and OpenShift's etcd operator probe it, and the fault tolerance
/// OpenShift's operator computes, healthy voting members minus quorum.
/// </summary>
public sealed class ClusterHealthGateResult
{
    internal ClusterHealthGateResult(ulong clusterId, IReadOnlyList<GateMember> members)
    {
        ClusterId = clusterId;
        Members = members;
    }

    internal ulong ClusterId { get; }

    /// <summary>Every member, in member-list order.</summary>
    public IReadOnlyList<GateMember> Members { get; }

    public int Voters => Members.Count(m => !m.IsLearner);
    public int HealthyVoters => Members.Count(m => !m.IsLearner && m.Healthy);
    public int Quorum => Voters / 2 + 1;

    /// <summary>How many more voting members the cluster can lose and keep quorum: healthy voting members minus quorum.</summary>
    public int FaultTolerance => HealthyVoters - Quorum;

    /// <summary>Voting members that are not healthy.</summary>
    public IReadOnlyList<GateMember> UnhealthyVoters => Members.Where(m => !m.IsLearner && !m.Healthy).ToList();

    public GateMember? Find(ulong memberId) => Members.FirstOrDefault(m => m.Member.ID == memberId);

    /// <summary>"3 of 3 voting members healthy, quorum 2, fault tolerance 1.", then the unhealthy ones and why: whole sentences.</summary>
    public string Describe()
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{HealthyVoters} of {Voters} voting member{(Voters == 1 ? "" : "s")} healthy, quorum {Quorum}, fault tolerance {FaultTolerance}.");
        var unhealthy = UnhealthyVoters;
        return unhealthy.Count == 0 ? text : $"{text} Unhealthy: {string.Join(" ", unhealthy.Select(m => $"{m.DisplayName}: {Sentence.End(m.Reason)}"))}";
    }

    /// <summary>
    /// Why taking <paramref name="target"/> out of service now (a defragmentation blocks it) is unsafe,
    /// or null when it is safe: the target must be healthy and the cluster must tolerate losing one
    /// more voting member. With <paramref name="allowDowntime"/> a cluster that tolerates no failure
    /// by its size alone (one or two voting members, all healthy) is accepted: its clients wait
    /// while the member is out. It never accepts an unhealthy member.
    /// </summary>
    public string? RefusalFor(ulong target, bool allowDowntime)
    {
        var member = Find(target);
        if (member is null)
            return $"Member {Client.MemberId.Format(target)} is no longer in the member list.";
        if (!member.Healthy)
            return $"Member {member.DisplayName} is not healthy: {Sentence.End(member.Reason)} Cluster: {Describe()}";
        if (FaultTolerance >= 1 || member.IsLearner)
            return null;
        if (UnhealthyVoters.Count > 0)
            return $"The cluster cannot lose another member: {Describe()} Bring the unhealthy member(s) back first.";
        if (allowDowntime)
            return null;
        return Voters == 1
            ? "The cluster has a single voting member, so it has no fault tolerance: while that member is out, the cluster serves nobody. Acknowledge the downtime explicitly to go on."
            : $"With {Voters} voting members the cluster has no fault tolerance (quorum is {Quorum}): while one member is out, the cluster accepts no writes. Acknowledge the downtime explicitly to go on.";
    }
}

/// <summary>Reads <see cref="ClusterHealthGateResult"/>: the member list, then every member probed at once, each within the probe timeout.</summary>
public static class ClusterHealthGate
{
    /// <summary>
    /// Probes every member of the cluster. Throws when no endpoint answers the member list (the
    /// cluster cannot be judged at all); a member that does not answer is reported unhealthy.
    /// </summary>
    public static async Task<ClusterHealthGateResult> CheckAsync(EtcdCluster cluster, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var discovery = await MemberDiscovery.DiscoverAsync(cluster, timeout, cancellationToken).ConfigureAwait(false);
        if (discovery.MemberList is null) throw discovery.ToException();
        var members = discovery.Members;
        var byId = new Dictionary<string, (bool Healthy, string Reason)>(StringComparer.Ordinal);
        await foreach (var report in EtcdHealthProbe.ProbeAsync(cluster, members, timeout, cancellationToken).ConfigureAwait(false))
        {
            // A member with NOSPACE answered the read (the alarm list comes after it): it serves, and defragmentation is its cure.
            var healthy = report.Report.Healthy || report.Error?.Kind == EtcdErrorKind.NoSpace;
            byId[report.Report.MemberId] = (healthy, healthy ? "" : report.Report.Error);
        }
        var gateMembers = members
            .Select(m => byId.TryGetValue(MemberId.Format(m.ID), out var state)
                ? new GateMember(m, state.Healthy, state.Reason)
                : new GateMember(m, false, "it was not probed"))
            .ToList();
        return new ClusterHealthGateResult(discovery.ClusterId, gateMembers);
    }
}
