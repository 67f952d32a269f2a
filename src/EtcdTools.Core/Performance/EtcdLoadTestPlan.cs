using System.Globalization;
using System.Text;
using EtcdTools.Client;
using EtcdTools.Health;
using EtcdTools.Keys;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Performance;

/// <summary>A member the load goes to, and the client URL it is sent to.</summary>
public sealed record EtcdLoadTestTarget(string MemberName, string MemberId, Uri Endpoint);

/// <summary>
/// What a load test will do and whether it may: read from the cluster before anything is written
/// (Invoke-EtcdLoadTest -WhatIf shows it). A test is refused on a cluster that fails a health check
/// (a member down, no leader, an alarm), on a prefix that holds keys already (the test deletes its
/// prefix afterwards), and when the history it writes would take a member's database past the
/// critical share of its quota, on the way to NOSPACE.
/// </summary>
public sealed class EtcdLoadTestPlan
{
    /// <summary>etcd's own estimate of what one put costs its backend (kvOverhead in etcdserver/quota.go) on top of the key and value.</summary>
    public const int PutOverheadBytes = 256;

    /// <summary>etcd's default --quota-backend-bytes, assumed when a member's quota cannot be read.</summary>
    public const long DefaultQuotaBytes = 2L * 1024 * 1024 * 1024;

    private EtcdLoadTestPlan(EtcdLoadTestOptions options, string prefix, string clusterId, IReadOnlyList<EtcdLoadTestTarget> targets,
        IReadOnlyList<string> warnings, string? refusal)
    {
        Options = options;
        Prefix = prefix;
        ClusterId = clusterId;
        Targets = targets;
        Warnings = warnings;
        Refusal = refusal;
    }

    public EtcdLoadTestOptions Options { get; }

    /// <summary>The prefix every key is written under, and deleted from afterwards.</summary>
    public string Prefix { get; }

    public string ClusterId { get; }

    public IReadOnlyList<EtcdLoadTestTarget> Targets { get; }

    /// <summary>What the operator should know before starting (a quota that could not be read, say).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Why the test must not run; null when it may.</summary>
    public string? Refusal { get; }

    public long PlannedRequests => Options.PlannedRequests;

    /// <summary>What one put adds to the history, as etcd's quota counts it.</summary>
    public long BytesPerPut => PutOverheadBytes + Encoding.UTF8.GetByteCount(Prefix) + Options.KeySize + Options.ValueSize;

    /// <summary>History the test writes when it runs at its full rate; it stays until the cluster is compacted.</summary>
    public long ExpectedBytes => PlannedRequests * BytesPerPut;

    /// <summary>The plan in one sentence, for -WhatIf and -Confirm.</summary>
    public string Describe()
    {
        var o = Options;
        var load = o.Load == "custom" ? "custom load" : $"load '{o.Load}'";
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{load}: {o.Rate} puts/s from {o.Clients} clients for {Duration.Format(o.Duration)} ({PlannedRequests:N0} puts of {o.KeySize}-byte keys and {o.ValueSize}-byte values, " +
            $"about {ByteSize.Format(ExpectedBytes)} of history) to {string.Join(", ", Targets.Select(t => t.MemberName))} under '{Prefix}'; then delete the keys");
        return text + (o.Compact ? $" and compact the cluster's history to the revision at the end{(o.CompactEvenIfOthersWrote ? "" : " if no other client wrote meanwhile")}." : ".");
    }

    /// <summary>Reads the cluster (health, members, database sizes and quotas, the prefix) and decides whether the test may run.</summary>
    public static async Task<EtcdLoadTestPlan> CreateAsync(EtcdCluster cluster, EtcdLoadTestOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var prefix = options.Prefix ?? string.Create(CultureInfo.InvariantCulture,
            $"{EtcdLoadTestOptions.DefaultPrefixRoot}{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Random.Shared.Next(0x1000000):x6}/");

        var snapshot = await EtcdClusterInspector.InspectAsync(cluster, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (snapshot.MemberList is null) throw EtcdException.Combine(snapshot.DiscoveryFailures);
        var clusterId = MemberId.Format(snapshot.MemberList.Header.ClusterId);
        var refusals = new List<string>();
        var warnings = new List<string>();

        var failed = EtcdClusterChecks.Evaluate(snapshot).Where(c => c.Status == EtcdCheckStatus.Fail).ToList();
        if (failed.Count > 0)
            refusals.Add("The cluster fails its health checks, and a load test would only make that worse: " +
                string.Join(" ", failed.Select(c => $"{c.Check} [{c.Member}]: {c.Message}")) + " Fix that first (Test-EtcdCluster -Detailed shows every check).");

        var targets = SelectTargets(cluster, snapshot, options.MemberIds, refusals);

        var range = KeyRange.ForPrefix(prefix);
        var existing = await cluster.InvokeAsync((client, ct) => client.RangeAsync(
            new RangeRequest { Key = range.Key, RangeEnd = range.RangeEnd, CountOnly = true }, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        if (existing.Count > 0)
            refusals.Add(string.Create(CultureInfo.InvariantCulture,
                $"The prefix '{prefix}' holds {existing.Count:N0} key(s) already. The test deletes everything under its prefix afterwards and would take them with it: choose another -Prefix, or delete them first if they are left from an earlier test."));

        var plan = new EtcdLoadTestPlan(options, prefix, clusterId, targets, warnings, null);
        CheckQuota(plan, snapshot, refusals, warnings);
        return refusals.Count == 0 ? plan : new EtcdLoadTestPlan(options, prefix, clusterId, targets, warnings, string.Join(" ", refusals));
    }

    private static List<EtcdLoadTestTarget> SelectTargets(EtcdCluster cluster, ClusterSnapshot snapshot, IReadOnlyList<string>? wanted, List<string> refusals)
    {
        var members = snapshot.Members.Select(m => m.Member).ToList();
        if (wanted is { Count: > 0 })
        {
            var selected = new List<Member>();
            foreach (var name in wanted)
            {
                var member = members.FirstOrDefault(m => m.Name == name || (MemberId.TryParse(name, out var id) && m.ID == id))
                    ?? throw new EtcdException(EtcdErrorKind.MemberNotFound, Protocol.GrpcStatusCode.NotFound,
                        $"No member is named or has the ID '{name}'. The members are: {string.Join(", ", members.Select(m => $"{m.Name} ({MemberId.Format(m.ID)})"))}.");
                if (member.IsLearner) refusals.Add($"Member {member.Name} is a learner: learners take no writes, so it cannot be loaded.");
                if (!selected.Contains(member)) selected.Add(member);
            }
            members = selected;
        }
        else
        {
            members = members.Where(m => !m.IsLearner).ToList();
        }
        var targets = new List<EtcdLoadTestTarget>();
        foreach (var member in members)
        {
            if (cluster.PreferredClientUrl(member) is { } url)
                targets.Add(new EtcdLoadTestTarget(member.Name, MemberId.Format(member.ID), url));
            else
                refusals.Add($"Member {MemberId.Format(member.ID)} has not started (it advertises no client URL).");
        }
        return targets;
    }

    private static void CheckQuota(EtcdLoadTestPlan plan, ClusterSnapshot snapshot, List<string> refusals, List<string> warnings)
    {
        var limit = plan.Options.MaxQuotaPercent;
        foreach (var member in snapshot.Members.Where(m => m.Status is not null))
        {
            var status = member.Status!;
            var quota = member.QuotaBytes ?? DefaultQuotaBytes;
            if (member.QuotaBytes is null)
                warnings.Add($"The quota of {member.DisplayName} could not be read (its /metrics did not answer): assuming etcd's default of 2 GiB.");
            // Pages freed by earlier compactions are reused before the file grows.
            var projected = Math.Max(status.DbSize, status.DbSizeInUse + plan.ExpectedBytes);
            var percent = 100.0 * projected / quota;
            if (percent >= limit)
                refusals.Add(string.Create(CultureInfo.InvariantCulture,
                    $"The test writes about {ByteSize.Format(plan.ExpectedBytes)} of history ({plan.PlannedRequests:N0} puts of {plan.BytesPerPut} bytes as etcd counts them), which stays until the cluster is compacted. " +
                    $"That would take {member.DisplayName}'s database from {ByteSize.Format(status.DbSize)} ({ByteSize.Format(status.DbSizeInUse)} in use) to about {ByteSize.Format(projected)}, " +
                    $"{percent:0.#}% of its {ByteSize.Format(quota)} quota, past the {limit:0.#}% at which the cluster is critical (etcd raises NOSPACE and refuses writes at 100%). " +
                    $"Lower -Rate or -Duration, or compact and defragment first."));
        }
    }
}
