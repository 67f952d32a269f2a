namespace EtcdTools.Performance;

/// <summary>
/// What a load test measured, judged by etcdctl check perf's four rules (no errors, throughput
/// above 90% of the target, slowest request at most 500 ms, standard deviation at most 100 ms),
/// and how it cleaned up after itself.
/// </summary>
public sealed class EtcdLoadTestResult
{
    public string ClusterId { get; init; } = "";

    /// <summary>s, m, l or xl for check perf's presets; custom otherwise.</summary>
    public string Load { get; init; } = "";

    /// <summary>The members loaded, by name.</summary>
    public string Members { get; init; } = "";

    public string Prefix { get; init; } = "";
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Puts per second asked for.</summary>
    public int TargetRate { get; init; }

    public int Clients { get; init; }
    public double DurationSeconds { get; init; }
    public int KeySizeBytes { get; init; }
    public int ValueSizeBytes { get; init; }

    /// <summary>Puts sent: Succeeded plus Errors.</summary>
    public long Requests { get; init; }

    public long Succeeded { get; init; }
    public long Errors { get; init; }

    /// <summary>The errors by message, most frequent first ("etcdserver: ... x12; ...").</summary>
    public string ErrorSummary { get; init; } = "";

    /// <summary>From the first put to the last answer.</summary>
    public double ElapsedMs { get; init; }

    /// <summary>Successful puts per second over ElapsedMs, as check perf computes it.</summary>
    public double Throughput { get; init; }

    public double LatencyP50Ms { get; init; }
    public double LatencyP90Ms { get; init; }
    public double LatencyP99Ms { get; init; }
    public double LatencyMaxMs { get; init; }
    public double LatencyMeanMs { get; init; }
    public double LatencyStddevMs { get; init; }

    public bool ErrorsPassed { get; init; }
    public bool ThroughputPassed { get; init; }
    public bool SlowestPassed { get; init; }
    public bool StddevPassed { get; init; }

    /// <summary>True when all four rules pass.</summary>
    public bool Passed { get; init; }

    /// <summary>PASS or FAIL with the numbers, in one sentence.</summary>
    public string Verdict { get; init; } = "";

    /// <summary>Why each failed rule failed, separated by "; "; empty on a pass.</summary>
    public string FailureReasons { get; init; } = "";

    /// <summary>True when the test ended before its duration (the cluster ran out of space).</summary>
    public bool Stopped { get; init; }

    public string StopReason { get; init; } = "";

    /// <summary>The cluster's revision before the first put.</summary>
    public long StartRevision { get; init; }

    /// <summary>The cluster's revision once the test's keys were deleted.</summary>
    public long EndRevision { get; init; }

    public long KeysDeleted { get; init; }

    /// <summary>Revisions the test added (its puts and the deletion).</summary>
    public long HistoryRevisions { get; init; }

    /// <summary>History the test's puts left until the cluster is compacted, as etcd's quota counts it.</summary>
    public long HistoryBytes { get; init; }

    /// <summary>Revisions other clients added while the test ran.</summary>
    public long OtherRevisions { get; init; }

    public bool Compacted { get; init; }

    /// <summary>The revision the history was compacted to; 0 when it was not.</summary>
    public long CompactRevision { get; init; }

    /// <summary>What became of the history: compacted, or why not and when it goes.</summary>
    public string CleanupNote { get; init; } = "";

    /// <summary>Why the cleanup failed and what is left; empty when it succeeded.</summary>
    public string CleanupError { get; init; } = "";

    public override string ToString() => Verdict;
}
