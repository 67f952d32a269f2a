using EtcdTools.Metrics;

namespace EtcdTools.Performance;

/// <summary>Percentiles of one latency over a window, in milliseconds (null: nothing observed), with how many observations they rest on.</summary>
internal sealed record Latency(double? P50Ms, double? P95Ms, double? P99Ms, long Count)
{
    public static Latency? Of(HistogramSeries? window) => window is null ? null : new Latency(
        Ms(window.Quantile(0.5)), Ms(window.Quantile(0.95)), Ms(window.Quantile(0.99)), (long)Math.Round(window.Count));

    private static double? Ms(double seconds) => double.IsNaN(seconds) || double.IsInfinity(seconds) ? null : seconds * 1000;
}

/// <summary>
/// The numbers of one member over a window or one interval, worked out from its deltas and its
/// readings; what the rules judge and the reports and samples show.
/// </summary>
internal sealed class PerformanceNumbers
{
    public required string Member { get; init; }
    public required double Seconds { get; init; }
    public required bool IsInterval { get; init; }

    /// <summary>Scrapes read and scrapes failed in the window (1 and 0 for an interval), and the last failure's message.</summary>
    public int Scrapes { get; init; } = 1;
    public int FailedScrapes { get; init; }
    public string LastScrapeError { get; init; } = "";
    public Latency? WalFsync { get; init; }
    public Latency? BackendCommit { get; init; }
    public Latency? Apply { get; init; }
    public Latency? GrpcHandling { get; init; }

    /// <summary>Per peer: name, hex ID, round trips.</summary>
    public IReadOnlyList<(string Peer, string PeerId, Latency Latency)> Peers { get; init; } = [];

    public double? CommittedPerSec { get; init; }
    public double? AppliedPerSec { get; init; }
    public double ProposalsFailed { get; init; }
    public double? FailedPerSec { get; init; }
    public double? Pending { get; init; }
    public double LeaderChanges { get; init; }
    public double SlowApplies { get; init; }
    public double HeartbeatFailures { get; init; }
    public double PeerSendFailures { get; init; }
    public IReadOnlyDictionary<string, double> Codes { get; init; } = new Dictionary<string, double>();
    public double GrpcHandled { get; init; }
    public double GrpcFailed { get; init; }
    public bool? HasLeader { get; init; }
    public bool? IsLeader { get; init; }
    public int NoLeaderScrapes { get; init; }
    public double? DbTotal { get; init; }
    public double? DbInUse { get; init; }
    public double? Quota { get; init; }
    public double? DbGrowthPerHour { get; init; }
    public double? CpuPercent { get; init; }
    public double? Resident { get; init; }
    public double? OpenFds { get; init; }
    public double? MaxFds { get; init; }
    public string Version { get; init; } = "";

    /// <summary>What the member's metrics lack, as text; empty when nothing is missing.</summary>
    public string Missing { get; init; } = "";

    public double? PeerRttP99Ms => Peers.Select(p => p.Latency.P99Ms).Where(v => v is not null).DefaultIfEmpty(null).Max();

    public double? GrpcPerSec => Rate(GrpcHandled);
    public double? GrpcFailedPerSec => Rate(GrpcFailed);
    public double? GrpcFailurePercent => GrpcHandled > 0 ? 100 * GrpcFailed / GrpcHandled : null;
    public double? DbQuotaPercent => DbTotal is { } total && Quota is > 0 ? 100 * total / Quota.Value : null;

    /// <summary>Hours to the quota at the window's growth of data in use, from the file size now; null when not growing.</summary>
    public double? HoursToQuota => DbGrowthPerHour is > 0 && Quota is > 0 && DbTotal is { } total
        ? Math.Max(0, (Quota.Value - total) / DbGrowthPerHour.Value) : null;

    private double? Rate(double increase) => Seconds > 0 ? increase / Seconds : null;

    /// <summary>The numbers of <paramref name="deltas"/>, read between <paramref name="first"/> and <paramref name="last"/>.</summary>
    public static PerformanceNumbers From(MemberTarget target, Deltas deltas, MetricsReading first, MetricsReading last, bool isInterval,
        int noLeaderScrapes, int scrapes = 1, int failedScrapes = 0, string lastScrapeError = "")
    {
        double? PerSecond(string counter) => deltas.Seconds > 0 && deltas.Counters.TryGetValue(counter, out var increase) ? increase / deltas.Seconds : null;
        double Count(string counter) => deltas.Counters.GetValueOrDefault(counter);
        Latency? LatencyOf(string key, bool present) => present ? Latency.Of(deltas.Histograms.GetValueOrDefault(key)) ?? new Latency(null, null, null, 0) : null;

        var peers = deltas.Histograms
            .Where(h => h.Key.StartsWith(MetricsReading.PeerKeyPrefix, StringComparison.Ordinal))
            .Select(h =>
            {
                var id = h.Key[MetricsReading.PeerKeyPrefix.Length..];
                return (target.PeerName(id), id, Latency.Of(h.Value)!);
            })
            .OrderBy(p => p.Item1, StringComparer.Ordinal)
            .ToList();
        var failed = deltas.Codes.Where(c => MetricsReading.FailureCodes.Contains(c.Key)).Sum(c => c.Value);
        var cpu = PerSecond(MetricsReading.CpuSeconds);
        var growth = deltas.Seconds > 0 && first.DbInUseBytes is { } before && last.DbInUseBytes is { } after
            ? (after - before) / deltas.Seconds * 3600 : (double?)null;
        return new PerformanceNumbers
        {
            Member = target.Name,
            Seconds = deltas.Seconds,
            IsInterval = isInterval,
            Scrapes = scrapes,
            FailedScrapes = failedScrapes,
            LastScrapeError = lastScrapeError,
            WalFsync = LatencyOf(MetricsReading.WalKey, last.Histograms.ContainsKey(MetricsReading.WalKey)),
            BackendCommit = LatencyOf(MetricsReading.CommitKey, last.Histograms.ContainsKey(MetricsReading.CommitKey)),
            Apply = LatencyOf(MetricsReading.ApplyKey, last.HasApply),
            GrpcHandling = LatencyOf(MetricsReading.GrpcKey, last.HasGrpcHandling),
            Peers = peers,
            CommittedPerSec = PerSecond(MetricsReading.ProposalsCommitted),
            AppliedPerSec = PerSecond(MetricsReading.ProposalsApplied),
            ProposalsFailed = Count(MetricsReading.ProposalsFailed),
            FailedPerSec = PerSecond(MetricsReading.ProposalsFailed),
            Pending = last.Pending,
            LeaderChanges = Count(MetricsReading.LeaderChanges),
            SlowApplies = Count(MetricsReading.SlowApplies),
            HeartbeatFailures = Count(MetricsReading.HeartbeatFailures),
            PeerSendFailures = Count(MetricsReading.PeerSendFailures),
            Codes = deltas.Codes,
            GrpcHandled = deltas.Codes.Values.Sum(),
            GrpcFailed = failed,
            HasLeader = last.HasLeaderValue is { } has ? has > 0 : null,
            IsLeader = last.IsLeaderValue is { } leads ? leads > 0 : null,
            NoLeaderScrapes = noLeaderScrapes,
            DbTotal = last.DbTotalBytes,
            DbInUse = last.DbInUseBytes,
            Quota = last.QuotaBytes,
            DbGrowthPerHour = growth,
            CpuPercent = cpu * 100,
            Resident = last.ResidentBytes,
            OpenFds = last.OpenFileDescriptors,
            MaxFds = last.MaxFileDescriptors,
            Version = last.Version,
            Missing = MissingText(target, last, peers.Count > 0 && peers.All(p => p.Item3.Count == 0)),
        };
    }

    private static string MissingText(MemberTarget target, MetricsReading last, bool noRoundTripInWindow)
    {
        var missing = new List<string>();
        if (!last.Histograms.ContainsKey(MetricsReading.WalKey)) missing.Add($"WAL fsync ({MetricsReading.WalFsync})");
        if (!last.Histograms.ContainsKey(MetricsReading.CommitKey)) missing.Add($"backend commit ({MetricsReading.BackendCommit})");
        if (!last.Histograms.Keys.Any(k => k.StartsWith(MetricsReading.PeerKeyPrefix, StringComparison.Ordinal)))
            missing.Add(target.PeerCount == 0 ? "peer round trips (a one-member cluster has no peers)"
                : last.HasPeerRoundTrip ? "peer round trips (no peer measured yet: etcd probes its peers every few seconds)"
                : $"peer round trips ({MetricsReading.PeerRoundTrip})");
        else if (noRoundTripInWindow) missing.Add("peer round trips (none in this window: etcd records one per peer every 30 s)");
        if (!last.HasApply) missing.Add($"apply duration ({MetricsReading.ApplyDuration}: etcd 3.5 and later)");
        if (!last.HasGrpcHandling) missing.Add($"gRPC handling time ({MetricsReading.GrpcHandling}: etcd --metrics=extensive)");
        return string.Join("; ", missing);
    }
}
