namespace EtcdTools.Performance;

/// <summary>Where the cluster's bottleneck lies, according to the worst findings; Healthy without warnings.</summary>
public enum EtcdBottleneck
{
    Healthy,
    Disk,
    Network,
    Cpu,
    Memory,
    Workload,
    Capacity,
    Leadership,
}

/// <summary>
/// The cluster over a Measure-EtcdPerformance window: the verdict on its bottleneck with the reason,
/// the worst of the members' numbers, and every finding (the members' and the cluster's own),
/// most severe first.
/// </summary>
public sealed record EtcdPerformanceSummary
{
    public string ClusterId { get; init; } = "";

    public EtcdBottleneck Verdict { get; init; }

    /// <summary>Why: the worst finding, and how many more there are.</summary>
    public string VerdictReason { get; init; } = "";

    public EtcdPerformanceStatus Status { get; init; }

    public DateTimeOffset StartTime { get; init; }
    public DateTimeOffset EndTime { get; init; }
    public double DurationSeconds { get; init; }
    public double IntervalSeconds { get; init; }

    /// <summary>Members asked for, and those measured (the others wrote an error).</summary>
    public int Members { get; init; }
    public int MembersMeasured { get; init; }

    /// <summary>The leader at the end of the window; empty when none was seen.</summary>
    public string Leader { get; init; } = "";

    /// <summary>Leader changes in the window (the most any member saw).</summary>
    public long LeaderChanges { get; init; }

    public double? WalFsyncP99MaxMs { get; init; }
    public double? BackendCommitP99MaxMs { get; init; }
    public double? PeerRttP99MaxMs { get; init; }

    /// <summary>The leader's rate of committed proposals (the cluster's write rate).</summary>
    public double? ProposalsCommittedPerSec { get; init; }

    /// <summary>gRPC requests per second over all members, and the failed percentage.</summary>
    public double? GrpcRequestsPerSec { get; init; }
    public double? GrpcFailurePercent { get; init; }

    public long? DbSizeMaxBytes { get; init; }
    public long? QuotaBytes { get; init; }

    public int CriticalCount { get; init; }
    public int WarningCount { get; init; }
    public int InfoCount { get; init; }

    /// <summary>When the baseline compared against was measured; null without -Baseline.</summary>
    public DateTimeOffset? BaselineStartTime { get; init; }

    public EtcdList<EtcdPerformanceFinding> Findings { get; init; } = new([]);

    public override string ToString() => $"{Verdict}: {VerdictReason}";
}
