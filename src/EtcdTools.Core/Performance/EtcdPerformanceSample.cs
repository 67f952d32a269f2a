namespace EtcdTools.Performance;

/// <summary>
/// One member over one interval (Watch-EtcdPerformance's stream, and the series inside a
/// Measure-EtcdPerformance report): flat numbers with a timestamp, for Export-Csv and charts.
/// Latencies are the p99 of the interval's observations; null when none were made or the member
/// could not be read (Error says why).
/// </summary>
public sealed record EtcdPerformanceSample
{
    /// <summary>When the interval ended (the scrape arrived).</summary>
    public DateTimeOffset Timestamp { get; init; }

    public string Member { get; init; } = "";
    public string MemberId { get; init; } = "";
    public string ClusterId { get; init; } = "";

    public double IntervalSeconds { get; init; }

    public EtcdPerformanceStatus Status { get; init; }

    public double? WalFsyncP99Ms { get; init; }
    public double? BackendCommitP99Ms { get; init; }

    /// <summary>The p99 round trip to the slowest peer in the interval.</summary>
    public double? PeerRttP99Ms { get; init; }

    public double? ProposalsCommittedPerSec { get; init; }
    public double? ProposalsAppliedPerSec { get; init; }
    public double? ProposalsPending { get; init; }
    public double? ProposalsFailedPerSec { get; init; }

    public bool? IsLeader { get; init; }
    public bool? HasLeader { get; init; }
    public long LeaderChanges { get; init; }
    public long SlowApplies { get; init; }
    public long HeartbeatSendFailures { get; init; }

    public double? GrpcRequestsPerSec { get; init; }
    public double? GrpcFailurePercent { get; init; }

    public long? DbSizeBytes { get; init; }
    public long? DbSizeInUseBytes { get; init; }

    /// <summary>Process CPU in the interval, as a percentage of one core.</summary>
    public double? CpuPercent { get; init; }
    public long? ResidentMemoryBytes { get; init; }

    /// <summary>The findings of the interval at Warning or worse, as one line each ("; " between).</summary>
    public string Alerts { get; init; } = "";

    /// <summary>Why the member could not be read in this interval; empty when it was.</summary>
    public string Error { get; init; } = "";

    public override string ToString() => $"{Timestamp:HH:mm:ss} {Member} {Status}";
}
