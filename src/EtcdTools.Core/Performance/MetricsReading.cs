using EtcdTools.Metrics;

namespace EtcdTools.Performance;

/// <summary>
/// What the performance analysis takes from one scrape of a member: the histograms, counters and
/// gauges it judges by, so a long window keeps two small readings per member rather than pages.
/// </summary>
internal sealed class MetricsReading
{
    public const string WalFsync = "etcd_disk_wal_fsync_duration_seconds";
    public const string BackendCommit = "etcd_disk_backend_commit_duration_seconds";
    public const string PeerRoundTrip = "etcd_network_peer_round_trip_time_seconds";
    public const string ApplyDuration = "etcd_server_apply_duration_seconds";
    public const string GrpcHandling = "grpc_server_handling_seconds";
    public const string GrpcHandled = "grpc_server_handled_total";
    public const string LeaderChanges = "etcd_server_leader_changes_seen_total";
    public const string SlowApplies = "etcd_server_slow_apply_total";
    public const string HeartbeatFailures = "etcd_server_heartbeat_send_failures_total";
    public const string ProposalsCommitted = "etcd_server_proposals_committed_total";
    public const string ProposalsApplied = "etcd_server_proposals_applied_total";
    public const string ProposalsFailed = "etcd_server_proposals_failed_total";
    public const string ProposalsPending = "etcd_server_proposals_pending";
    public const string PeerSendFailures = "etcd_network_peer_sent_failures_total";
    public const string CpuSeconds = "process_cpu_seconds_total";
    public const string HasLeader = "etcd_server_has_leader";
    public const string IsLeader = "etcd_server_is_leader";
    public const string DbTotal = "etcd_mvcc_db_total_size_in_bytes";
    public const string DbInUse = "etcd_mvcc_db_total_size_in_use_in_bytes";
    public const string Quota = "etcd_server_quota_backend_bytes";
    public const string ResidentMemory = "process_resident_memory_bytes";
    public const string OpenFds = "process_open_fds";
    public const string MaxFds = "process_max_fds";
    public const string ServerVersion = "etcd_server_version";

    /// <summary>Histogram keys: one per measured latency, and "rtt:" + the peer's hex ID per peer.</summary>
    public const string WalKey = "wal";
    public const string CommitKey = "commit";
    public const string ApplyKey = "apply";
    public const string GrpcKey = "grpc";
    public const string PeerKeyPrefix = "rtt:";

    /// <summary>Counters whose increase in a window matters.</summary>
    public static readonly string[] Counters =
        [LeaderChanges, SlowApplies, HeartbeatFailures, ProposalsCommitted, ProposalsApplied, ProposalsFailed, PeerSendFailures, CpuSeconds];

    /// <summary>gRPC codes the etcd mixin counts as failed requests.</summary>
    public static readonly HashSet<string> FailureCodes = new(StringComparer.Ordinal)
    {
        "Unknown", "FailedPrecondition", "ResourceExhausted", "Internal", "Unavailable", "DataLoss", "DeadlineExceeded",
    };

    private static readonly HashSet<string> Families = new(StringComparer.Ordinal)
    {
        WalFsync, BackendCommit, PeerRoundTrip, ApplyDuration, GrpcHandling, GrpcHandled, LeaderChanges, SlowApplies, HeartbeatFailures,
        ProposalsCommitted, ProposalsApplied, ProposalsFailed, ProposalsPending, PeerSendFailures, CpuSeconds, HasLeader, IsLeader,
        DbTotal, DbInUse, Quota, ResidentMemory, OpenFds, MaxFds, ServerVersion,
    };

    /// <summary>The parser's filter: the families read; the rest of the page (go_*, debugging, most of grpc_*) is skipped.</summary>
    public static bool Wanted(string family) => Families.Contains(family);

    public required long Timestamp { get; init; }
    public required DateTimeOffset At { get; init; }
    public Dictionary<string, HistogramSeries> Histograms { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, double> CounterValues { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, double> GrpcByCode { get; } = new(StringComparer.Ordinal);
    public double? Pending { get; init; }
    public double? HasLeaderValue { get; init; }
    public double? IsLeaderValue { get; init; }
    public double? DbTotalBytes { get; init; }
    public double? DbInUseBytes { get; init; }
    public double? QuotaBytes { get; init; }
    public double? ResidentBytes { get; init; }
    public double? OpenFileDescriptors { get; init; }
    public double? MaxFileDescriptors { get; init; }
    public string Version { get; init; } = "";

    /// <summary>Latency families the page has at all (a missing one is reported, an empty one is just quiet).</summary>
    public bool HasApply { get; init; }
    public bool HasGrpcHandling { get; init; }
    public bool HasPeerRoundTrip { get; init; }

    public static MetricsReading From(MemberMetrics page)
    {
        var metrics = page.Metrics;
        var reading = new MetricsReading
        {
            Timestamp = page.Timestamp,
            At = page.ScrapedAt,
            Pending = metrics.Value(ProposalsPending),
            HasLeaderValue = metrics.Value(HasLeader),
            IsLeaderValue = metrics.Value(IsLeader),
            DbTotalBytes = metrics.Value(DbTotal),
            DbInUseBytes = metrics.Value(DbInUse),
            QuotaBytes = metrics.Value(Quota),
            ResidentBytes = metrics.Value(ResidentMemory),
            OpenFileDescriptors = metrics.Value(OpenFds),
            MaxFileDescriptors = metrics.Value(MaxFds),
            Version = metrics[ServerVersion]?.Samples is [var version, ..] ? version.Labels["server_version"] ?? "" : "",
            HasApply = metrics[ApplyDuration] is not null,
            HasGrpcHandling = metrics[GrpcHandling] is not null,
            HasPeerRoundTrip = metrics[PeerRoundTrip] is not null,
        };
        if (metrics.Histogram(WalFsync) is { } wal) reading.Histograms[WalKey] = wal;
        if (metrics.Histogram(BackendCommit) is { } commit) reading.Histograms[CommitKey] = commit;
        if (metrics[ApplyDuration] is { } apply && SumOf(apply.GetHistograms()) is { } applied) reading.Histograms[ApplyKey] = applied;
        // The mixin's gRPC latency: unary calls without Defragment (which blocks by design), all methods together.
        if (metrics[GrpcHandling] is { } handling
            && SumOf(handling.GetHistograms().Where(h => h.Labels["grpc_type"] == "unary" && h.Labels["grpc_method"] != "Defragment")) is { } grpc)
            reading.Histograms[GrpcKey] = grpc;
        if (metrics[PeerRoundTrip] is { } peers)
        {
            foreach (var series in peers.GetHistograms())
                if (series.Labels["To"] is { } to) reading.Histograms[PeerKeyPrefix + to] = series;
        }
        foreach (var counter in Counters)
            if (metrics[counter] is { Samples.Count: > 0 } family) reading.CounterValues[counter] = family.Sum();
        if (metrics[GrpcHandled] is { } handled)
        {
            foreach (var sample in handled.Samples)
            {
                var code = sample.Labels["grpc_code"] ?? "";
                reading.GrpcByCode[code] = reading.GrpcByCode.GetValueOrDefault(code) + sample.Value;
            }
        }
        return reading;
    }

    /// <summary>Several histograms with the same buckets added up (Prometheus's sum by (le)); those with other buckets are left out; null for none.</summary>
    internal static HistogramSeries? SumOf(IEnumerable<HistogramSeries> series)
    {
        HistogramSeries? first = null;
        double[]? counts = null;
        double sum = 0, count = 0;
        foreach (var item in series)
        {
            if (first is null)
            {
                first = item;
                counts = [.. item.CumulativeCounts];
            }
            else if (first.HasSameBuckets(item))
            {
                for (var i = 0; i < counts!.Length; i++) counts[i] += item.CumulativeCounts[i];
            }
            else continue;
            sum += item.Sum;
            count += item.Count;
        }
        return first is null ? null : new HistogramSeries(MetricLabels.Empty, [.. first.UpperBounds], counts!, sum, count);
    }
}

/// <summary>
/// What happened between readings: per histogram the observations made (bucket deltas), per counter
/// its increase, with resets handled as Prometheus does, and the seconds it took. Intervals add up to windows.
/// </summary>
internal sealed class Deltas
{
    public double Seconds { get; private set; }
    public Dictionary<string, HistogramSeries> Histograms { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, double> Counters { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, double> Codes { get; } = new(StringComparer.Ordinal);

    public static Deltas Between(MetricsReading earlier, MetricsReading later)
    {
        var deltas = new Deltas { Seconds = System.Diagnostics.Stopwatch.GetElapsedTime(earlier.Timestamp, later.Timestamp).TotalSeconds };
        foreach (var (key, series) in later.Histograms)
            // A series that appeared in between (a new peer) counted from zero then.
            deltas.Histograms[key] = earlier.Histograms.TryGetValue(key, out var before) ? series.Minus(before) : series;
        foreach (var (name, value) in later.CounterValues)
            deltas.Counters[name] = HistogramMath.Increase(earlier.CounterValues.GetValueOrDefault(name), value);
        foreach (var (code, value) in later.GrpcByCode)
            deltas.Codes[code] = HistogramMath.Increase(earlier.GrpcByCode.GetValueOrDefault(code), value);
        return deltas;
    }

    /// <summary>Adds an interval to this window.</summary>
    public void Add(Deltas interval)
    {
        Seconds += interval.Seconds;
        foreach (var (key, series) in interval.Histograms)
        {
            if (Histograms.TryGetValue(key, out var total) && total.HasSameBuckets(series))
            {
                var counts = new double[series.CumulativeCounts.Count];
                for (var i = 0; i < counts.Length; i++) counts[i] = total.CumulativeCounts[i] + series.CumulativeCounts[i];
                Histograms[key] = new HistogramSeries(series.Labels, [.. series.UpperBounds], counts, total.Sum + series.Sum, total.Count + series.Count);
            }
            else Histograms[key] = series;
        }
        foreach (var (name, value) in interval.Counters) Counters[name] = Counters.GetValueOrDefault(name) + value;
        foreach (var (code, value) in interval.Codes) Codes[code] = Codes.GetValueOrDefault(code) + value;
    }
}
