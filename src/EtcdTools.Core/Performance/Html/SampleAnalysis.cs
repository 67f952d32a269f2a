namespace EtcdTools.Performance.Html;

/// <summary>One number of a member over its intervals: how many had it, typical and worst values, and how many crossed each limit.</summary>
internal sealed record SampleStatistic(int Count, double? Median, double? Mean, double? Max, DateTimeOffset? MaxAt, int OverHealthy, int OverCritical);

/// <summary>A member's samples in time order, and what they add up to.</summary>
internal sealed record MemberSamples(string Member, IReadOnlyList<EtcdPerformanceSample> Samples)
{
    public IEnumerable<EtcdPerformanceSample> Read => Samples.Where(s => s.Error.Length == 0);
    public IReadOnlyList<EtcdPerformanceSample> Failed => [.. Samples.Where(s => s.Error.Length > 0)];
    public int WarningIntervals => Read.Count(s => s.Status == EtcdPerformanceStatus.Warning);
    public int CriticalIntervals => Read.Count(s => s.Status == EtcdPerformanceStatus.Critical);
    public long LeaderChanges => Read.Sum(s => s.LeaderChanges);

    public SampleStatistic Statistic(Func<EtcdPerformanceSample, double?> value, double? healthy = null, double? critical = null)
    {
        var points = Read.Select(s => (s.Timestamp, Value: value(s))).Where(p => p.Value is { } v && !double.IsNaN(v)).Select(p => (p.Timestamp, Value: p.Value!.Value)).ToList();
        if (points.Count == 0) return new SampleStatistic(0, null, null, null, null, 0, 0);
        var sorted = points.Select(p => p.Value).Order().ToList();
        var middle = sorted.Count / 2;
        var median = sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        var worst = points.MaxBy(p => p.Value);
        return new SampleStatistic(points.Count, median, sorted.Average(), worst.Value, worst.Timestamp,
            healthy is { } h ? sorted.Count(v => v >= h) : 0, critical is { } c ? sorted.Count(v => v >= c) : 0);
    }
}

/// <summary>
/// What Watch-EtcdPerformance samples say without a measurement: findings over all intervals
/// (how often and how far each number crossed its limit, with the worst moment) and a cluster
/// summary with the verdict, by the same thresholds and advice as Measure-EtcdPerformance.
/// </summary>
internal static class SampleAnalysis
{
    private sealed record LatencyCheck(string Check, EtcdPerformanceArea Area, string What, Func<EtcdPerformanceSample, double?> Value, string Property,
        Func<EtcdPerformanceThresholds, double> Healthy, Func<EtcdPerformanceThresholds, double> Critical, string Advice);

    private static readonly LatencyCheck[] Latencies =
    [
        new("WalFsyncP99", EtcdPerformanceArea.Disk, "WAL fsync", s => s.WalFsyncP99Ms, nameof(EtcdPerformanceSample.WalFsyncP99Ms),
            t => t.WalFsyncP99WarningMs, t => t.WalFsyncP99CriticalMs, PerformanceRules.WalFsyncAdvice),
        new("BackendCommitP99", EtcdPerformanceArea.Disk, "Backend commit", s => s.BackendCommitP99Ms, nameof(EtcdPerformanceSample.BackendCommitP99Ms),
            t => t.BackendCommitP99WarningMs, t => t.BackendCommitP99CriticalMs, PerformanceRules.BackendCommitAdvice),
        new("PeerRttP99", EtcdPerformanceArea.Network, "Peer round trip", s => s.PeerRttP99Ms, nameof(EtcdPerformanceSample.PeerRttP99Ms),
            t => t.PeerRttP99WarningMs, t => t.PeerRttP99CriticalMs, PerformanceRules.PeerRttAdvice),
    ];

    public static IReadOnlyList<EtcdPerformanceFinding> Findings(IReadOnlyList<MemberSamples> members, TimeSpan offset, EtcdPerformanceThresholds t)
    {
        var findings = new List<EtcdPerformanceFinding>();
        foreach (var m in members)
        {
            var read = m.Read.ToList();
            var span = read.Count > 0 ? $"between {ReportText.Clock(read[0].Timestamp, offset)} and {ReportText.Clock(read[^1].Timestamp, offset)}" : "";
            foreach (var check in Latencies)
            {
                var healthy = check.Healthy(t);
                var critical = check.Critical(t);
                var stat = m.Statistic(check.Value, healthy, critical);
                if (stat.OverHealthy == 0) continue;
                var isCritical = stat.OverCritical > 0;
                findings.Add(new EtcdPerformanceFinding
                {
                    Severity = isCritical ? EtcdFindingSeverity.Critical : IsSpike(stat) ? EtcdFindingSeverity.Info : EtcdFindingSeverity.Warning,
                    Area = check.Area,
                    Member = m.Member,
                    Check = check.Check,
                    Title = $"{check.What} p99 reached {Format.Milliseconds(stat.Max)} ({(isCritical ? $"critical >= {Format.Milliseconds(critical)}, " : "")}healthy < {Format.Milliseconds(healthy)})",
                    Evidence = $"At or above {Format.Milliseconds(healthy)} in {stat.OverHealthy} of {ReportText.Count(stat.Count, "interval")} {span}" +
                        $"{(isCritical ? $" ({stat.OverCritical} at or above {Format.Milliseconds(critical)})" : "")}; worst {Format.Milliseconds(stat.Max)} at {ReportText.Clock(stat.MaxAt!.Value, offset)}, " +
                        $"median {Format.Milliseconds(stat.Median)} ({check.Property} of the samples).{(IsSpike(stat) ? SpikeNote : "")}",
                    Recommendation = check.Advice,
                    Value = stat.Max,
                    Threshold = isCritical ? critical : healthy,
                });
            }

            var cpu = m.Statistic(s => s.CpuPercent, t.CpuWarningPercent, t.CpuCriticalPercent);
            if (cpu.OverHealthy > 0)
            {
                var isCritical = cpu.OverCritical > 0;
                findings.Add(Finding(m, isCritical ? EtcdFindingSeverity.Critical : IsSpike(cpu) ? EtcdFindingSeverity.Info : EtcdFindingSeverity.Warning, EtcdPerformanceArea.Cpu, "Cpu",
                    $"etcd used up to {Format.Number(cpu.Max!.Value, "0")}% of a core ({(isCritical ? $"critical >= {Format.Number(t.CpuCriticalPercent)}%" : $"warning >= {Format.Number(t.CpuWarningPercent)}%")})",
                    $"At or above {Format.Number(t.CpuWarningPercent)}% in {cpu.OverHealthy} of {ReportText.Count(cpu.Count, "interval")} {span}; peak at {ReportText.Clock(cpu.MaxAt!.Value, offset)}, " +
                    $"mean {Format.Number(cpu.Mean!.Value, "0")}% (CpuPercent of the samples).{(IsSpike(cpu) ? SpikeNote : "")}",
                    PerformanceRules.CpuAdvice, cpu.Max.Value, isCritical ? t.CpuCriticalPercent : t.CpuWarningPercent));
            }
            var memory = m.Statistic(s => s.ResidentMemoryBytes, t.MemoryWarningBytes, t.MemoryCriticalBytes);
            if (memory.OverHealthy > 0)
            {
                var isCritical = memory.OverCritical > 0;
                var limit = isCritical ? t.MemoryCriticalBytes : t.MemoryWarningBytes;
                findings.Add(Finding(m, Severity(isCritical), EtcdPerformanceArea.Memory, "ResidentMemory",
                    $"Resident memory reached {Format.Bytes(memory.Max!.Value)} ({(isCritical ? "critical" : "warning")} >= {Format.Bytes(limit)})",
                    $"At or above {Format.Bytes(t.MemoryWarningBytes)} in {memory.OverHealthy} of {ReportText.Count(memory.Count, "interval")} {span}; highest at {ReportText.Clock(memory.MaxAt!.Value, offset)} (ResidentMemoryBytes of the samples).",
                    PerformanceRules.MemoryAdvice, memory.Max.Value, limit));
            }

            // Failure percentages of too few requests are not judged, as in a measurement.
            var judged = read.Where(s => s.GrpcFailurePercent is not null && (s.GrpcRequestsPerSec ?? 0) * s.IntervalSeconds >= t.GrpcFailureMinRequests).ToList();
            var failing = judged.Where(s => s.GrpcFailurePercent >= t.GrpcFailureWarningPercent).ToList();
            if (failing.Count > 0)
            {
                var worst = failing.MaxBy(s => s.GrpcFailurePercent!.Value)!;
                var isCritical = failing.Any(s => s.GrpcFailurePercent >= t.GrpcFailureCriticalPercent);
                findings.Add(Finding(m, Severity(isCritical), EtcdPerformanceArea.Workload, "GrpcFailures",
                    $"Up to {Format.Number(worst.GrpcFailurePercent!.Value, "0.##")}% of gRPC requests failed ({(isCritical ? $"critical >= {Format.Number(t.GrpcFailureCriticalPercent)}%" : $"healthy < {Format.Number(t.GrpcFailureWarningPercent)}%")})",
                    $"At or above {Format.Number(t.GrpcFailureWarningPercent)}% in {failing.Count} of {ReportText.Count(judged.Count, "interval")} with at least {t.GrpcFailureMinRequests} requests {span}; " +
                    $"worst at {ReportText.Clock(worst.Timestamp, offset)} (GrpcFailurePercent of the samples).",
                    PerformanceRules.GrpcFailuresAdvice, worst.GrpcFailurePercent.Value, isCritical ? t.GrpcFailureCriticalPercent : t.GrpcFailureWarningPercent));
            }

            var leaderless = read.Where(s => s.HasLeader == false).ToList();
            if (leaderless.Count > 0)
            {
                findings.Add(Finding(m, EtcdFindingSeverity.Critical, EtcdPerformanceArea.Leadership, "NoLeader",
                    $"No leader in {leaderless.Count} of {ReportText.Count(read.Count, "interval")}",
                    $"HasLeader was false at {Times(leaderless, offset)}.",
                    PerformanceRules.NoLeaderAdvice, leaderless.Count, 0));
            }
            var failedProposals = Math.Round(read.Sum(s => (s.ProposalsFailedPerSec ?? 0) * s.IntervalSeconds));
            if (failedProposals > 0)
            {
                var peak = read.Max(s => s.ProposalsFailedPerSec ?? 0);
                var isCritical = peak >= t.ProposalsFailedCriticalPerSec;
                findings.Add(Finding(m, Severity(isCritical), EtcdPerformanceArea.Leadership, "ProposalsFailed",
                    $"About {ReportText.Count((long)failedProposals, "proposal")} failed (up to {Format.Number(peak, "0.##")}/s)",
                    $"ProposalsFailedPerSec was above zero at {Times(read.Where(s => s.ProposalsFailedPerSec > 0).ToList(), offset)}.",
                    PerformanceRules.ProposalsFailedAdvice, failedProposals, isCritical ? t.ProposalsFailedCriticalPerSec : 0));
            }
            Counted(findings, m, read, s => s.SlowApplies, EtcdPerformanceArea.Workload, "SlowApplies", n => $"{ReportText.Count(n, "apply", "applies")} took longer than 100 ms",
                nameof(EtcdPerformanceSample.SlowApplies), PerformanceRules.SlowAppliesAdvice, offset);
            Counted(findings, m, read, s => s.HeartbeatSendFailures, EtcdPerformanceArea.Leadership, "HeartbeatSendFailures", n => $"The leader sent {ReportText.Count(n, "heartbeat")} late",
                nameof(EtcdPerformanceSample.HeartbeatSendFailures), PerformanceRules.HeartbeatAdvice, offset);

            if (m.Failed.Count > 0)
            {
                findings.Add(Finding(m, EtcdFindingSeverity.Warning, EtcdPerformanceArea.Network, "UnansweredScrapes",
                    $"{m.Member} could not be read in {m.Failed.Count} of {ReportText.Count(m.Samples.Count, "interval")}",
                    $"At {Times(m.Failed, offset)}: {m.Failed[^1].Error}",
                    PerformanceRules.UnansweredAdvice, m.Failed.Count, 0));
            }
        }

        // Every member sees each leader change: one finding for the cluster, with each member's count.
        var changes = members.Where(m => m.LeaderChanges > 0).ToList();
        var most = changes.Select(m => m.LeaderChanges).DefaultIfEmpty(0).Max();
        if (most > 0 && most >= t.LeaderChangesWarning)
        {
            var isCritical = most >= t.LeaderChangesCritical;
            var seconds = members.SelectMany(m => m.Samples).Select(s => s.Timestamp).DefaultIfEmpty().Max() - members.SelectMany(m => m.Samples).Select(s => s.Timestamp - TimeSpan.FromSeconds(s.IntervalSeconds)).DefaultIfEmpty().Min();
            findings.Add(new EtcdPerformanceFinding
            {
                Severity = isCritical ? EtcdFindingSeverity.Critical : EtcdFindingSeverity.Warning,
                Area = EtcdPerformanceArea.Leadership,
                Check = "LeaderChanges",
                Title = $"{ReportText.Count(most, "leader change")} in {Format.Seconds(seconds.TotalSeconds)} (the etcd mixin alerts at {t.LeaderChangesCritical} in 15 min)",
                Evidence = "LeaderChanges in the samples: " + string.Join("; ", changes.Select(m => $"{m.Member} {m.LeaderChanges} (at {Times(m.Read.Where(s => s.LeaderChanges > 0).ToList(), offset)})")) + ".",
                Recommendation = PerformanceRules.LeaderChangesAdvice,
                Value = most,
                Threshold = isCritical ? t.LeaderChangesCritical : t.LeaderChangesWarning,
            });
        }
        return [.. PerformanceRules.Ordered(findings)];
    }

    /// <summary>
    /// A short interval's p99 rests on few observations, so one interval over the healthy limit in
    /// many is a spike worth knowing (Info), not yet a slow disk or network: that takes
    /// <see cref="SpikeIntervals"/> or more intervals and at least <see cref="SpikeShare"/> of them.
    /// </summary>
    internal static bool IsSpike(SampleStatistic stat) => stat.OverCritical == 0 && (stat.OverHealthy < SpikeIntervals || stat.OverHealthy < SpikeShare * stat.Count);

    private const string SpikeNote = " So few intervals make a spike, not yet a trend: watch longer to tell.";

    internal const int SpikeIntervals = 2;
    internal const double SpikeShare = 0.05;

    /// <summary>The cluster as the samples show it, with the verdict of <paramref name="findings"/>.</summary>
    public static EtcdPerformanceSummary Summary(IReadOnlyList<MemberSamples> members, IReadOnlyList<EtcdPerformanceFinding> findings)
    {
        var all = members.SelectMany(m => m.Samples).ToList();
        var read = all.Where(s => s.Error.Length == 0).ToList();
        var start = all.Min(s => s.Timestamp - TimeSpan.FromSeconds(s.IntervalSeconds));
        var end = all.Max(s => s.Timestamp);
        var intervals = read.Select(s => s.IntervalSeconds).Where(s => s > 0).Order().ToList();
        double? Max(Func<EtcdPerformanceSample, double?> value) => read.Select(value).Where(v => v is not null).DefaultIfEmpty(null).Max();
        var leader = read.Where(s => s.IsLeader == true).MaxBy(s => s.Timestamp)?.Member ?? "";
        var leaderSamples = read.Where(s => s.Member == leader && s.ProposalsCommittedPerSec is not null).ToList();
        var handled = read.Sum(s => (s.GrpcRequestsPerSec ?? 0) * s.IntervalSeconds);
        var failed = read.Sum(s => (s.GrpcRequestsPerSec ?? 0) * s.IntervalSeconds * (s.GrpcFailurePercent ?? 0) / 100);
        var seconds = end - start;
        var (verdict, reason) = PerformanceReport.Verdict(findings,
            () => PerformanceReport.HealthyReason(members.Count, read.Select(s => s.WalFsyncP99Ms), read.Select(s => s.PeerRttP99Ms), seconds).Replace("p99 at most", "interval p99 at most", StringComparison.Ordinal));
        return new EtcdPerformanceSummary
        {
            ClusterId = all.Select(s => s.ClusterId).Where(c => c.Length > 0).GroupBy(c => c).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault() ?? "",
            Verdict = verdict,
            VerdictReason = reason,
            Status = PerformanceRules.StatusOf(findings),
            StartTime = start,
            EndTime = end,
            DurationSeconds = Math.Round(seconds.TotalSeconds, 3),
            IntervalSeconds = intervals.Count > 0 ? Math.Round(intervals[intervals.Count / 2], 1) : 0,
            Members = members.Count,
            MembersMeasured = members.Count(m => m.Read.Any()),
            Leader = leader,
            LeaderChanges = members.Select(m => m.LeaderChanges).DefaultIfEmpty(0).Max(),
            WalFsyncP99MaxMs = Max(s => s.WalFsyncP99Ms),
            BackendCommitP99MaxMs = Max(s => s.BackendCommitP99Ms),
            PeerRttP99MaxMs = Max(s => s.PeerRttP99Ms),
            ProposalsCommittedPerSec = leaderSamples.Count > 0 ? MemberWindow.Round(leaderSamples.Average(s => s.ProposalsCommittedPerSec!.Value)) : null,
            GrpcRequestsPerSec = seconds.TotalSeconds > 0 && read.Any(s => s.GrpcRequestsPerSec is not null) ? MemberWindow.Round(handled / seconds.TotalSeconds) : null,
            GrpcFailurePercent = handled > 0 ? MemberWindow.Round(100 * failed / handled) : null,
            DbSizeMaxBytes = read.Select(s => s.DbSizeBytes).Where(v => v is not null).DefaultIfEmpty(null).Max(),
            CriticalCount = findings.Count(f => f.Severity == EtcdFindingSeverity.Critical),
            WarningCount = findings.Count(f => f.Severity == EtcdFindingSeverity.Warning),
            InfoCount = findings.Count(f => f.Severity == EtcdFindingSeverity.Info),
            Findings = new([.. findings]),
        };
    }

    private static void Counted(List<EtcdPerformanceFinding> findings, MemberSamples m, IReadOnlyList<EtcdPerformanceSample> read, Func<EtcdPerformanceSample, long> value,
        EtcdPerformanceArea area, string check, Func<long, string> title, string property, string advice, TimeSpan offset)
    {
        var total = read.Sum(value);
        if (total <= 0) return;
        findings.Add(Finding(m, EtcdFindingSeverity.Warning, area, check, title(total),
            $"{property} rose at {Times(read.Where(s => value(s) > 0).ToList(), offset)}.", advice, total, 0));
    }

    private static EtcdPerformanceFinding Finding(MemberSamples m, EtcdFindingSeverity severity, EtcdPerformanceArea area, string check, string title, string evidence, string advice,
        double value, double threshold) => new()
    {
        Severity = severity,
        Area = area,
        Member = m.Member,
        Check = check,
        Title = title,
        Evidence = evidence,
        Recommendation = advice,
        Value = value,
        Threshold = threshold,
    };

    private static EtcdFindingSeverity Severity(bool critical) => critical ? EtcdFindingSeverity.Critical : EtcdFindingSeverity.Warning;

    /// <summary>"10:00:01, 10:00:02 and 10:00:05", or the first and last of many.</summary>
    private static string Times(IReadOnlyList<EtcdPerformanceSample> samples, TimeSpan offset)
    {
        var times = samples.Select(s => ReportText.Clock(s.Timestamp, offset)).ToList();
        return times.Count <= 4
            ? ReportText.List(times)
            : $"{times.Count} intervals from {times[0]} to {times[^1]}";
    }
}
