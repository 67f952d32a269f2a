namespace EtcdTools.Performance;

/// <summary>The round trip from a member to one peer over the window (etcd_network_peer_round_trip_time_seconds, label To).</summary>
public sealed record EtcdPeerRoundTrip
{
    /// <summary>The member that measured it.</summary>
    public string Member { get; init; } = "";

    /// <summary>The peer's name (its hex ID when it is not a member any more).</summary>
    public string Peer { get; init; } = "";

    public string PeerId { get; init; } = "";

    public double? P50Ms { get; init; }
    public double? P95Ms { get; init; }
    public double? P99Ms { get; init; }

    /// <summary>Round trips measured in the window (etcd probes each peer every few seconds).</summary>
    public long Count { get; init; }

    public override string ToString() => $"{Peer} p99 {Format.Milliseconds(P99Ms)}";
}

/// <summary>gRPC requests a member finished with one status code in the window (grpc_server_handled_total).</summary>
public sealed record EtcdGrpcCodeRate
{
    public string Member { get; init; } = "";

    /// <summary>The gRPC status code: OK, Unavailable, DeadlineExceeded ...</summary>
    public string Code { get; init; } = "";

    public long Count { get; init; }

    public double PerSecond { get; init; }

    /// <summary>One of the codes the etcd mixin counts as failures (Unknown, FailedPrecondition, ResourceExhausted, Internal, Unavailable, DataLoss, DeadlineExceeded).</summary>
    public bool IsFailure { get; init; }

    public override string ToString() => $"{Code} {Count}";
}

/// <summary>
/// One member's performance over a Measure-EtcdPerformance window: latency percentiles from etcd's
/// own histograms (bucket deltas between the first and last scrape, as Prometheus's
/// histogram_quantile over the window), rates of proposals and gRPC requests, events counted in the
/// window, sizes and resources, and the findings they lead to. Percentiles are null when nothing was
/// observed in the window or the member lacks the metric (see MissingMetrics).
/// </summary>
public sealed record EtcdMemberPerformance
{
    public string Member { get; init; } = "";
    public string MemberId { get; init; } = "";
    public string ClusterId { get; init; } = "";

    /// <summary>The member's client URL.</summary>
    public string Endpoint { get; init; } = "";

    /// <summary>The page the metrics were read from.</summary>
    public string MetricsUrl { get; init; } = "";

    /// <summary>etcd's version (etcd_server_version); empty when the member does not say.</summary>
    public string Version { get; init; } = "";

    /// <summary>Whether the member led at the end of the window.</summary>
    public bool IsLeader { get; init; }

    /// <summary>The worst finding's severity (Ok without warnings or critical findings).</summary>
    public EtcdPerformanceStatus Status { get; init; }

    public DateTimeOffset StartTime { get; init; }
    public DateTimeOffset EndTime { get; init; }

    /// <summary>Seconds between the first and the last scrape read.</summary>
    public double DurationSeconds { get; init; }

    /// <summary>Scrapes read, and those that failed (a hung or unreachable member).</summary>
    public int Scrapes { get; init; }
    public int FailedScrapes { get; init; }

    public double? WalFsyncP50Ms { get; init; }
    public double? WalFsyncP95Ms { get; init; }
    public double? WalFsyncP99Ms { get; init; }

    /// <summary>The highest p99 of a single interval: a short stall the window's p99 averages away.</summary>
    public double? WalFsyncPeakP99Ms { get; init; }
    public long WalFsyncCount { get; init; }

    public double? BackendCommitP50Ms { get; init; }
    public double? BackendCommitP95Ms { get; init; }
    public double? BackendCommitP99Ms { get; init; }
    public long BackendCommitCount { get; init; }

    /// <summary>The p99 round trip to the slowest peer; per peer in PeerRoundTrips.</summary>
    public double? PeerRttP99Ms { get; init; }

    /// <summary>Apply duration (etcd_server_apply_duration_seconds, etcd 3.5 and later).</summary>
    public double? ApplyP50Ms { get; init; }
    public double? ApplyP95Ms { get; init; }
    public double? ApplyP99Ms { get; init; }

    /// <summary>Unary gRPC handling time without Defragment (grpc_server_handling_seconds, etcd --metrics=extensive).</summary>
    public double? GrpcHandlingP50Ms { get; init; }
    public double? GrpcHandlingP95Ms { get; init; }
    public double? GrpcHandlingP99Ms { get; init; }

    public double? ProposalsCommittedPerSec { get; init; }
    public double? ProposalsAppliedPerSec { get; init; }

    /// <summary>Proposals pending at the end, and the most seen at one scrape.</summary>
    public double? ProposalsPending { get; init; }
    public double? ProposalsPendingMax { get; init; }
    public long ProposalsFailed { get; init; }
    public double? ProposalsFailedPerSec { get; init; }

    /// <summary>Leader changes this member saw in the window.</summary>
    public long LeaderChanges { get; init; }

    /// <summary>Scrapes at which the member had no leader.</summary>
    public int NoLeaderScrapes { get; init; }

    /// <summary>Applies slower than 100 ms (etcd_server_slow_apply_total).</summary>
    public long SlowApplies { get; init; }

    /// <summary>Heartbeats the leader sent late (etcd_server_heartbeat_send_failures_total).</summary>
    public long HeartbeatSendFailures { get; init; }

    /// <summary>Messages to peers that could not be sent (etcd_network_peer_sent_failures_total).</summary>
    public long PeerSendFailures { get; init; }

    public double? GrpcRequestsPerSec { get; init; }
    public double? GrpcFailuresPerSec { get; init; }

    /// <summary>Failed requests (the mixin's codes) as a percentage of all handled.</summary>
    public double? GrpcFailurePercent { get; init; }

    public long? DbSizeBytes { get; init; }
    public long? DbSizeInUseBytes { get; init; }
    public long? QuotaBytes { get; init; }
    public double? DbQuotaPercent { get; init; }

    /// <summary>Growth of the data in use, per hour at the window's rate (negative when it shrank).</summary>
    public double? DbGrowthBytesPerHour { get; init; }

    /// <summary>Hours until the database reaches the quota at that rate; null when it does not grow.</summary>
    public double? HoursToQuota { get; init; }

    /// <summary>Process CPU over the window, as a percentage of one core, and the highest of one interval.</summary>
    public double? CpuPercent { get; init; }
    public double? CpuPeakPercent { get; init; }

    public long? ResidentMemoryBytes { get; init; }
    public long? ResidentMemoryPeakBytes { get; init; }

    public long? OpenFileDescriptors { get; init; }
    public long? MaxFileDescriptors { get; init; }

    /// <summary>What the member's metrics lack, and why (an older etcd, no --metrics=extensive, no peers).</summary>
    public string MissingMetrics { get; init; } = "";

    public EtcdList<EtcdPeerRoundTrip> PeerRoundTrips { get; init; } = new([]);

    /// <summary>gRPC requests by status code, failures first.</summary>
    public EtcdList<EtcdGrpcCodeRate> GrpcCodes { get; init; } = new([]);

    public EtcdList<EtcdPerformanceFinding> Findings { get; init; } = new([]);

    /// <summary>The window interval by interval, as Watch-EtcdPerformance writes them (for charts).</summary>
    public EtcdList<EtcdPerformanceSample> Samples { get; init; } = new([]);

    public override string ToString() => $"{Member}: {Status}, WAL fsync p99 {Format.Milliseconds(WalFsyncP99Ms)}, backend commit p99 {Format.Milliseconds(BackendCommitP99Ms)}";
}
