using System.Globalization;
using System.Text.RegularExpressions;
using EtcdTools.Client;
using EtcdTools.Health;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Maintenance;

/// <summary>A member addition checked against the cluster before anything changes.</summary>
public sealed class MemberAdditionPlan
{
    internal MemberAdditionPlan(string name, IReadOnlyList<string> peerUrls, bool learner, ClusterHealthGateResult health)
    {
        Name = name;
        PeerUrls = peerUrls;
        IsLearner = learner;
        Health = health;
    }

    public string Name { get; }
    public IReadOnlyList<string> PeerUrls { get; }
    public bool IsLearner { get; }
    public ClusterHealthGateResult Health { get; }
    public string ClusterId => MemberId.Format(Health.ClusterId);

    /// <summary>Quorum once the member is added: a voting member counts from the moment it is added, started or not.</summary>
    public int QuorumAfter => IsLearner ? Health.Quorum : (Health.Voters + 1) / 2 + 1;

    /// <summary>Fault tolerance until the new member runs: it counts as a voting member that is down.</summary>
    public int FaultToleranceUntilStarted => Health.HealthyVoters - QuorumAfter;

    /// <summary>Why the addition is refused; null when it may go ahead.</summary>
    public string? Refusal => !IsLearner && FaultToleranceUntilStarted < 0
        ? $"Adding a voting member would lose quorum: it counts as a voting member from the moment it is added, so quorum becomes {QuorumAfter} of {Health.Voters + 1}, but only {Health.HealthyVoters} member(s) are healthy until the new one runs. Cluster: {Health.Describe()} Bring the unhealthy members back, or add it with -Learner."
        : null;

    /// <summary>What to know before adding a voting member (no fault tolerance until it runs); null when nothing.</summary>
    public string? Warning => !IsLearner && FaultToleranceUntilStarted < 1
        ? $"Until {Name} is started and caught up, the cluster counts it as a voting member that is down: quorum is {QuorumAfter} of {Health.Voters + 1} and it tolerates {Math.Max(FaultToleranceUntilStarted, 0)} failure(s). Start it at once; -Learner avoids this (add as a learner, then promote it once it is in sync)."
        : null;

    public string Describe() =>
        $"Add {(IsLearner ? "learner" : "voting member")} '{Name}' with peer URL{(PeerUrls.Count == 1 ? "" : "s")} {string.Join(", ", PeerUrls)}";
}

/// <summary>A member removal checked against the cluster's health before anything changes.</summary>
public sealed class MemberRemovalPlan
{
    internal MemberRemovalPlan(GateMember target, ClusterHealthGateResult health, int memberCount)
    {
        Target = target;
        Health = health;
        MemberCount = memberCount;
    }

    internal GateMember Target { get; }
    public ClusterHealthGateResult Health { get; }
    public int MemberCount { get; }

    public string Name => Target.Name;
    public string MemberId => Target.MemberId;
    public string DisplayName => Target.DisplayName;
    public bool IsLearner => Target.IsLearner;
    public string ClusterId => Client.MemberId.Format(Health.ClusterId);

    private int VotersAfter => IsLearner ? Health.Voters : Health.Voters - 1;
    private int HealthyVotersAfter => IsLearner || !Target.Healthy ? Health.HealthyVoters : Health.HealthyVoters - 1;
    private int QuorumAfter => VotersAfter / 2 + 1;

    /// <summary>Healthy voting members minus quorum once the member is gone.</summary>
    public int FaultToleranceAfter => HealthyVotersAfter - QuorumAfter;

    /// <summary>Why the removal is refused whatever the operator says; null when it may go ahead.</summary>
    public string? Refusal
    {
        get
        {
            if (MemberCount <= 1)
                return $"{DisplayName} is the cluster's last member: removing it would destroy the cluster. To retire the cluster, stop etcd; to move it, restore a snapshot elsewhere.";
            if (VotersAfter == 0)
                return $"{DisplayName} is the only voting member: without it the learners left cannot form a quorum. Promote a learner first (Update-EtcdMember -Promote).";
            if (!IsLearner && HealthyVotersAfter < QuorumAfter)
                return $"Removing {DisplayName} would lose quorum: {VotersAfter} voting member(s) would remain with a quorum of {QuorumAfter}, but only {HealthyVotersAfter} of them are healthy. Cluster: {Health.Describe()} Bring the unhealthy members back first.";
            return null;
        }
    }

    /// <summary>
    /// Set when the removal leaves the cluster without fault tolerance it has now (a healthy
    /// member of three): it needs an explicit go-ahead (-Force or the prompt).
    /// </summary>
    public string? LosesFaultTolerance => Refusal is null && !IsLearner && FaultToleranceAfter < 1 && FaultToleranceAfter < Health.FaultTolerance
        ? $"After removing {DisplayName}, {VotersAfter} voting member(s) remain with a quorum of {QuorumAfter}: the cluster could not lose another member without stopping. To replace a healthy member, add the new one first (as a learner, then promote it), then remove the old one."
        : null;

    /// <summary>Set when the cluster has no fault tolerance before or after (removing a dead member of three): a note, not a reason to stop.</summary>
    public string? Warning => Refusal is null && LosesFaultTolerance is null && !IsLearner && FaultToleranceAfter < 1
        ? $"After removing {DisplayName} the cluster still tolerates no failure ({HealthyVotersAfter} healthy of {VotersAfter} voting members, quorum {QuorumAfter}): add a replacement soon."
        : null;
}

/// <summary>A change of a member's peer URLs, checked first.</summary>
public sealed class MemberUpdatePlan
{
    internal MemberUpdatePlan(Member member, IReadOnlyList<string> peerUrls, string clusterId)
    {
        Member = member;
        PeerUrls = peerUrls;
        ClusterId = clusterId;
    }

    internal Member Member { get; }
    public string MemberId => Client.MemberId.Format(Member.ID);
    public string Name => Member.Name;
    public string ClusterId { get; }
    public string DisplayName => Client.MemberId.Describe(Member.Name, MemberId);
    public IReadOnlyList<string> CurrentPeerUrls => Member.PeerURLs.ToList();
    public IReadOnlyList<string> PeerUrls { get; }

    /// <summary>The member has exactly these peer URLs already.</summary>
    public bool Unchanged => CurrentPeerUrls.Order(StringComparer.Ordinal).SequenceEqual(PeerUrls.Order(StringComparer.Ordinal), StringComparer.Ordinal);
}

/// <summary>A learner's promotion, checked first.</summary>
public sealed class MemberPromotionPlan
{
    internal MemberPromotionPlan(Member member, string clusterId)
    {
        Member = member;
        ClusterId = clusterId;
    }

    internal Member Member { get; }
    public string MemberId => Client.MemberId.Format(Member.ID);
    public string Name => Member.Name;
    public string ClusterId { get; }
    public string DisplayName => Client.MemberId.Describe(Member.Name, MemberId);
    public bool IsLearner => Member.IsLearner;
    public bool IsStarted => Member.Name.Length > 0 && Member.ClientURLs.Count > 0;
}

/// <summary>
/// Membership changes (etcdctl member add/remove/update/promote), each checked against the
/// cluster's health first, so none of them costs the cluster its quorum. etcd 3.4 refuses
/// membership changes for 5 s after a member (re)connects ("unhealthy cluster"): that refusal is
/// retried for a while before it is reported.
/// </summary>
public static partial class MemberChanges
{
    /// <summary>How long an "unhealthy cluster" refusal (a member connected less than 5 s ago) is retried.</summary>
    private static readonly TimeSpan ReconnectGrace = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(250);

    [GeneratedRegex(@"^(?<scheme>https?)://(?<host>\[[0-9A-Fa-f:.]+\]|[^/:\[\]]+):(?<port>\d{1,5})/?$", RegexOptions.CultureInvariant)]
    private static partial Regex PeerUrlPattern();

    /// <summary>Checks peer URLs as etcd will (scheme://host:port, nothing more); returns them normalised without a trailing slash.</summary>
    public static IReadOnlyList<string> ValidatePeerUrls(IEnumerable<string> peerUrls)
    {
        var urls = peerUrls.Where(u => !string.IsNullOrWhiteSpace(u)).Select(u => u.Trim().TrimEnd('/')).Distinct(StringComparer.Ordinal).ToList();
        if (urls.Count == 0) throw new ArgumentException("Give at least one peer URL, such as https://10.0.0.4:2380.");
        foreach (var url in urls)
        {
            var match = PeerUrlPattern().Match(url);
            if (!match.Success || int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture) is 0 or > 65535)
                throw new ArgumentException($"'{url}' is not a peer URL etcd accepts: give scheme://host:port with http or https and nothing after the port, such as https://10.0.0.4:2380.");
        }
        return urls;
    }

    public static async Task<MemberAdditionPlan> PlanAddAsync(EtcdCluster cluster, string name, IEnumerable<string> peerUrls, bool learner, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("Give the new member's name: it must be started with the same --name.");
        var urls = ValidatePeerUrls(peerUrls);
        var health = await ClusterHealthGate.CheckAsync(cluster, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (health.Members.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal)) is { } named)
            throw new EtcdException(EtcdErrorKind.AlreadyExists, GrpcStatusCode.AlreadyExists,
                $"Member {named.DisplayName} has the name '{name}' already: --initial-cluster would then give one name two members. Choose another name.");
        foreach (var url in urls)
        {
            if (health.Members.FirstOrDefault(m => m.Member.PeerURLs.Contains(url, StringComparer.OrdinalIgnoreCase)) is { } owner)
                throw new EtcdException(EtcdErrorKind.AlreadyExists, GrpcStatusCode.FailedPrecondition,
                    $"The peer URL {url} belongs to member {owner.DisplayName} already. ({EtcdErrorTable.TextOf(EtcdServerError.PeerUrlExists)})",
                    EtcdErrorTable.TextOf(EtcdServerError.PeerUrlExists));
        }
        return new MemberAdditionPlan(name.Trim(), urls, learner, health);
    }

    /// <summary>Adds the member as planned and returns what it must be started with.</summary>
    public static async Task<EtcdMemberAddition> AddAsync(EtcdCluster cluster, MemberAdditionPlan plan, CancellationToken cancellationToken = default)
    {
        if (plan.Refusal is { } refusal) throw new InvalidOperationException(refusal);
        var response = await WithReconnectGraceAsync(cluster, plan.Health, (client, ct) => client.MemberAddAsync(plan.PeerUrls, plan.IsLearner, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        var added = response.Member;
        // As etcdctl member add: every member's name=peer URL, the new one under the name it will start with.
        var initial = string.Join(",", response.Members.SelectMany(m => m.PeerURLs.Select(u => $"{(m.ID == added.ID ? plan.Name : m.Name)}={u}")));
        var peers = string.Join(",", added.PeerURLs);
        return new EtcdMemberAddition
        {
            MemberId = MemberId.Format(added.ID),
            Name = plan.Name,
            ClusterId = MemberId.Format(response.Header.ClusterId),
            PeerUrls = peers,
            IsLearner = added.IsLearner,
            InitialCluster = initial,
            Environment = string.Join("\n", $"ETCD_NAME=\"{plan.Name}\"", $"ETCD_INITIAL_CLUSTER=\"{initial}\"",
                $"ETCD_INITIAL_ADVERTISE_PEER_URLS=\"{peers}\"", "ETCD_INITIAL_CLUSTER_STATE=\"existing\""),
            Arguments = $"--name={plan.Name} --initial-cluster={initial} --initial-advertise-peer-urls={peers} --initial-cluster-state=existing",
        };
    }

    public static async Task<MemberRemovalPlan> PlanRemoveAsync(EtcdCluster cluster, string idOrName, CancellationToken cancellationToken = default)
    {
        var health = await ClusterHealthGate.CheckAsync(cluster, cancellationToken: cancellationToken).ConfigureAwait(false);
        var target = Find(health, idOrName);
        return new MemberRemovalPlan(target, health, health.Members.Count);
    }

    /// <summary>Removes the member as planned; refuses a plan whose <see cref="MemberRemovalPlan.Refusal"/> is set.</summary>
    public static async Task RemoveAsync(EtcdCluster cluster, MemberRemovalPlan plan, CancellationToken cancellationToken = default)
    {
        if (plan.Refusal is { } refusal) throw new InvalidOperationException(refusal);
        // Ask a member other than the one leaving when there is one: the leaving member's answer may be cut short.
        await WithReconnectGraceAsync(cluster, plan.Health, (client, ct) => client.MemberRemoveAsync(plan.Target.Member.ID, cancellationToken: ct), cancellationToken,
            avoid: plan.Target.Member.ID).ConfigureAwait(false);
    }

    public static async Task<MemberUpdatePlan> PlanUpdateAsync(EtcdCluster cluster, string idOrName, IEnumerable<string> peerUrls, CancellationToken cancellationToken = default)
    {
        var urls = ValidatePeerUrls(peerUrls);
        var (header, selected) = await cluster.SelectMembersAsync([idOrName], cancellationToken).ConfigureAwait(false);
        var members = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        var member = selected[0];
        foreach (var url in urls)
        {
            if (members.Members.FirstOrDefault(m => m.ID != member.ID && m.PeerURLs.Contains(url, StringComparer.OrdinalIgnoreCase)) is { } owner)
                throw new EtcdException(EtcdErrorKind.AlreadyExists, GrpcStatusCode.FailedPrecondition,
                    $"The peer URL {url} belongs to member {owner.Name} ({MemberId.Format(owner.ID)}) already. ({EtcdErrorTable.TextOf(EtcdServerError.PeerUrlExists)})",
                    EtcdErrorTable.TextOf(EtcdServerError.PeerUrlExists));
        }
        return new MemberUpdatePlan(member, urls, MemberId.Format(header.ClusterId));
    }

    public static async Task UpdateAsync(EtcdCluster cluster, MemberUpdatePlan plan, CancellationToken cancellationToken = default)
    {
        var health = await ClusterHealthGate.CheckAsync(cluster, cancellationToken: cancellationToken).ConfigureAwait(false);
        await WithReconnectGraceAsync(cluster, health, (client, ct) => client.MemberUpdateAsync(plan.Member.ID, plan.PeerUrls, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
    }

    public static async Task<MemberPromotionPlan> PlanPromoteAsync(EtcdCluster cluster, string idOrName, CancellationToken cancellationToken = default)
    {
        var (header, selected) = await cluster.SelectMembersAsync([idOrName], cancellationToken).ConfigureAwait(false);
        return new MemberPromotionPlan(selected[0], MemberId.Format(header.ClusterId));
    }

    /// <summary>
    /// Promotes the learner. etcd promotes only a learner in sync with the leader (its log within
    /// 10 % of the leader's): that refusal is retried until <paramref name="syncTimeout"/> (zero:
    /// not at all), then reported as <see cref="EtcdServerError.LearnerNotReady"/> with advice.
    /// </summary>
    public static async Task PromoteAsync(EtcdCluster cluster, MemberPromotionPlan plan, TimeSpan syncTimeout, CancellationToken cancellationToken = default)
    {
        if (!plan.IsLearner)
            throw new EtcdException(EtcdErrorKind.FailedPrecondition, GrpcStatusCode.FailedPrecondition,
                $"{plan.DisplayName} is a voting member already: only a learner can be promoted. ({EtcdErrorTable.TextOf(EtcdServerError.MemberNotLearner)})",
                EtcdErrorTable.TextOf(EtcdServerError.MemberNotLearner));
        var health = await ClusterHealthGate.CheckAsync(cluster, cancellationToken: cancellationToken).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + syncTimeout;
        while (true)
        {
            try
            {
                await WithReconnectGraceAsync(cluster, health, (client, ct) => client.MemberPromoteAsync(plan.Member.ID, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
                await WaitUntilListedAsVoterAsync(cluster, plan.Member.ID, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (EtcdException e) when (e.ServerError == EtcdServerError.LearnerNotReady)
            {
                if (DateTime.UtcNow >= deadline)
                    throw new EtcdException(e.Kind, e.StatusCode,
                        $"{plan.DisplayName} is not in sync with the leader yet, so etcd will not promote it ({e.EtcdMessage})"
                        + (syncTimeout > TimeSpan.Zero ? $", and it did not catch up within {Duration.Format(syncTimeout)}." : ".")
                        + (plan.IsStarted ? " A learner catches up by receiving the leader's snapshot and log: give it time, or wait for it with -SyncTimeout." : " It has not even started: start its etcd with the settings Add-EtcdMember printed."),
                        e.EtcdMessage, e.Endpoint, e.Method, e);
                await Task.Delay(RetryInterval * 2, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// etcd 3.4 serves the member list from each member's own copy: right after a promotion, a member
    /// that has not applied it yet still lists a learner. Waits (briefly) until the list read next says voter.
    /// </summary>
    private static async Task WaitUntilListedAsVoterAsync(EtcdCluster cluster, ulong memberId, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ReconnectGrace;
        while (DateTime.UtcNow < deadline)
        {
            var list = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
            if (list.Members.FirstOrDefault(m => m.ID == memberId) is not { IsLearner: true }) return;
            await Task.Delay(RetryInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One member as Get-EtcdMember shows it now (its status read too); null when it is not in the member list.</summary>
    public static async Task<EtcdMember?> ReadMemberAsync(EtcdCluster cluster, string memberId, CancellationToken cancellationToken = default)
    {
        var list = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        var member = list.Members.Where(m => MemberId.Format(m.ID) == memberId).ToList();
        if (member.Count == 0) return null;
        await foreach (var report in EtcdMemberInventory.GetAsync(cluster, member, list.Header.ClusterId, cancellationToken: cancellationToken).ConfigureAwait(false))
            return report.Report;
        return null;
    }

    private static GateMember Find(ClusterHealthGateResult health, string idOrName)
    {
        var text = idOrName.Trim();
        return health.Members.FirstOrDefault(m => MemberId.TryParse(text, out var id) && m.Member.ID == id)
            ?? health.Members.FirstOrDefault(m => string.Equals(m.Name, text, StringComparison.OrdinalIgnoreCase))
            ?? throw new EtcdException(EtcdErrorKind.MemberNotFound, GrpcStatusCode.NotFound,
                $"No member of cluster {MemberId.Format(health.ClusterId)} has the ID or name '{text}'. Members: "
                + string.Join(", ", health.Members.Select(m => $"{m.MemberId} ({(m.Name.Length > 0 ? m.Name : "unstarted")})")) + ".");
    }

    /// <summary>
    /// Runs a membership call on a healthy voting member (another than <paramref name="avoid"/> when
    /// there is one), retrying etcd's "unhealthy cluster" refusal, which 3.4 gives for 5 s after a
    /// member (re)connects, for <see cref="ReconnectGrace"/>.
    /// </summary>
    private static async Task<T> WithReconnectGraceAsync<T>(EtcdCluster cluster, ClusterHealthGateResult health, Func<EtcdClient, CancellationToken, Task<T>> call,
        CancellationToken cancellationToken, ulong avoid = 0)
    {
        var candidates = health.Members.Where(m => m.Healthy && !m.IsLearner && m.Member.ClientURLs.Count > 0)
            .OrderBy(m => m.Member.ID == avoid).Select(m => cluster.GetMemberClient(m.Member)!).ToList();
        var deadline = DateTime.UtcNow + ReconnectGrace;
        while (true)
        {
            try
            {
                return candidates.Count > 0
                    ? await call(candidates[0], cancellationToken).ConfigureAwait(false)
                    : await cluster.InvokeAsync(call, cancellationToken).ConfigureAwait(false);
            }
            catch (EtcdException e) when (e.ServerError == EtcdServerError.Unhealthy)
            {
                if (DateTime.UtcNow >= deadline)
                    throw new EtcdException(e.Kind, e.StatusCode,
                        $"etcd refused the membership change for {Duration.Format(ReconnectGrace)} as '{e.EtcdMessage}': it refuses them while a member is down or connected less than 5 s ago (its strict reconfiguration check). Check Get-EtcdHealth and try again.",
                        e.EtcdMessage, e.Endpoint, e.Method, e);
                await Task.Delay(RetryInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
