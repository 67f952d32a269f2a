namespace EtcdTools.Performance;

/// <summary>How bad a finding is; sorts from Info to Critical.</summary>
public enum EtcdFindingSeverity
{
    Info,
    Warning,
    Critical,
}

/// <summary>What a finding is about: where the bottleneck lies.</summary>
public enum EtcdPerformanceArea
{
    Disk,
    Network,
    Cpu,
    Memory,
    Workload,
    Capacity,
    Leadership,
}

/// <summary>The status of a member (or the cluster) in a window or an interval: its worst finding.</summary>
public enum EtcdPerformanceStatus
{
    Ok,
    Warning,
    Critical,
}

/// <summary>
/// One thing Measure-EtcdPerformance or Watch-EtcdPerformance found: how bad, where, the numbers
/// that show it, and what an operator can do about it.
/// </summary>
public sealed record EtcdPerformanceFinding
{
    public EtcdFindingSeverity Severity { get; init; }

    public EtcdPerformanceArea Area { get; init; }

    /// <summary>The member it concerns; empty for the whole cluster.</summary>
    public string Member { get; init; } = "";

    /// <summary>One line with the number and the limit, e.g. "WAL fsync p99 is 48 ms (healthy &lt; 10 ms)".</summary>
    public string Title { get; init; } = "";

    /// <summary>The measurements behind it: percentiles, counts, the window, the metric.</summary>
    public string Evidence { get; init; } = "";

    /// <summary>What to do about it.</summary>
    public string Recommendation { get; init; } = "";

    /// <summary>A stable name of the check (WalFsyncP99, LeaderChanges, Regression.WalFsyncP99Ms ...), for scripts and for telling changes apart in a watch.</summary>
    public string Check { get; init; } = "";

    /// <summary>The measured value the finding is about, in the unit of its threshold (ms, percent, count, hours); null when there is none.</summary>
    public double? Value { get; init; }

    /// <summary>The limit it was judged against, in the same unit; null when there is none.</summary>
    public double? Threshold { get; init; }

    public override string ToString() => $"{Severity} {Area}{(Member.Length > 0 ? " " + Member : "")}: {Title}";
}
