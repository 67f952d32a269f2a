namespace EtcdTools.Performance;

/// <summary>
/// The judgement: the numbers of a member over a window (Measure-EtcdPerformance) or one interval
/// (Watch-EtcdPerformance) against the thresholds, as findings with their evidence and what to do.
/// </summary>
internal static class PerformanceRules
{
    private const string DiskAdvice =
        "Move the data directory (or at least --wal-dir) to a dedicated SSD/NVMe, look for other I/O on the same device (noisy neighbours, backups, logs), and run Test-EtcdDisk on it: fdatasync p99 should stay under 10 ms.";

    // What to do, by check: shared with the report's findings from Watch-EtcdPerformance samples.
    internal const string WalFsyncAdvice =
        "The disk is too slow for etcd's write-ahead log, and every write waits for this fsync. " + DiskAdvice;

    internal const string BackendCommitAdvice =
        "Commits to the database file (bbolt) are slow: the disk is slow or busy, or the database is large. " + DiskAdvice + " Keep the database small with compaction and defragmentation.";

    internal const string PeerRttAdvice =
        "The network between these members is slow: keep members in one region and in low-latency zones, check the link for loss and saturation (mtr, iperf3) and that peer traffic (port 2380) is not throttled. " +
        "If the latency is inherent, set --heartbeat-interval to about the round trip and --election-timeout to at least 10 times it.";

    internal const string GrpcFailuresAdvice =
        "Clients get errors: Unavailable and DeadlineExceeded point at overload, elections or members down; ResourceExhausted at request limits or a full quota (NOSPACE); FailedPrecondition at requests the cluster refused. Compare with the other findings and the clients' logs.";

    internal const string NoLeaderAdvice =
        "Without a leader the cluster takes no writes: quorum is lost or an election is under way. Check that a majority of the members runs and that they reach each other (Get-EtcdHealth), and the disk and network findings.";

    internal const string LeaderChangesAdvice =
        "Each election stalls writes for about an election timeout. Elections come from slow disks (see WAL fsync), CPU starvation, network trouble between members, or heartbeat and election timeouts too tight for the network (--heartbeat-interval, --election-timeout); a leader moved on purpose (Move-EtcdLeader, a rolling restart) counts too.";

    internal const string ProposalsFailedAdvice =
        "Proposals fail when the cluster has no leader or loses quorum on the way: they come with elections and members down, and clients see them as errors to retry. See the leadership findings.";

    internal const string SlowAppliesAdvice =
        "Slow applies hold up every request behind them: expensive requests (large ranges, big transactions), a slow disk or a starved CPU. Find them in the log ('apply request took too long', Get-EtcdPodLog) and check the disk and CPU findings.";

    internal const string HeartbeatAdvice =
        "Late heartbeats make followers start elections. The leader was stalled: a slow disk holding up its raft loop, CPU starvation, or the process paused or swapping. Check the WAL fsync and CPU findings and the leader's log ('failed to send out heartbeat on time').";

    internal const string UnansweredAdvice =
        "The member was unreachable or hung for a while: check whether its process was stopped, swapping or starved of CPU, and the network to it (Get-EtcdHealth, its log).";

    internal const string CpuAdvice =
        "etcd is CPU-bound: give it dedicated cores (2 to 4 for most clusters, 8 or more for heavy ones), keep other workloads off its hosts, and reduce expensive requests (large ranges, many watchers, frequent full listings).";

    internal const string MemoryAdvice =
        "etcd's memory grows with the database, watchers and large requests: plan 8 GB for typical and 16 GB for heavy clusters, keep the database small (compaction, defragmentation), and look for clients that list the whole keyspace.";

    public static List<EtcdPerformanceFinding> Evaluate(PerformanceNumbers n, EtcdPerformanceThresholds t)
    {
        var findings = new List<EtcdPerformanceFinding>();
        var window = $"in {Format.Seconds(n.Seconds)}";

        Latency(findings, n, n.WalFsync, "WalFsyncP99", EtcdPerformanceArea.Disk, "WAL fsync", "fsyncs", MetricsReading.WalFsync,
            t.WalFsyncP99WarningMs, t.WalFsyncP99CriticalMs, WalFsyncAdvice);
        Latency(findings, n, n.BackendCommit, "BackendCommitP99", EtcdPerformanceArea.Disk, "Backend commit", "commits", MetricsReading.BackendCommit,
            t.BackendCommitP99WarningMs, t.BackendCommitP99CriticalMs, BackendCommitAdvice);
        foreach (var (peer, id, latency) in n.Peers)
        {
            Latency(findings, n, latency, "PeerRttP99", EtcdPerformanceArea.Network, $"Round trip to {peer}", "probes", $"{MetricsReading.PeerRoundTrip}{{To=\"{id}\"}}",
                t.PeerRttP99WarningMs, t.PeerRttP99CriticalMs, PeerRttAdvice);
        }
        Latency(findings, n, n.Apply, "ApplyP99", EtcdPerformanceArea.Workload, "Apply", "applies", MetricsReading.ApplyDuration,
            t.ApplyP99WarningMs, t.ApplyP99CriticalMs,
            "Applying requests is slow: expensive requests (large ranges or transactions, many keys under a prefix), a slow disk or a starved CPU. " +
            "Find them in the log ('apply request took too long', Get-EtcdPodLog), page large reads with limits, and check the disk and CPU findings.");
        Latency(findings, n, n.GrpcHandling, "GrpcHandlingP99", EtcdPerformanceArea.Workload, "gRPC unary handling", "requests", MetricsReading.GrpcHandling,
            t.GrpcHandlingP99WarningMs, t.GrpcHandlingP99CriticalMs,
            "Clients wait long for answers. With healthy disk and network numbers the load is too high or the requests too expensive: use serializable reads where slightly stale data is fine, page large ranges, reduce watchers, or give the members more CPU.");

        if (n.GrpcHandled >= t.GrpcFailureMinRequests && n.GrpcFailurePercent is { } failurePercent && failurePercent >= t.GrpcFailureWarningPercent)
        {
            var critical = failurePercent >= t.GrpcFailureCriticalPercent;
            var codes = string.Join(", ", n.Codes.Where(c => MetricsReading.FailureCodes.Contains(c.Key) && c.Value > 0)
                .OrderByDescending(c => c.Value).Select(c => $"{c.Key} {Format.Count((long)c.Value)}"));
            findings.Add(new EtcdPerformanceFinding
            {
                Severity = critical ? EtcdFindingSeverity.Critical : EtcdFindingSeverity.Warning,
                Area = EtcdPerformanceArea.Workload,
                Member = n.Member,
                Check = "GrpcFailures",
                Title = $"{Format.Number(failurePercent, "0.##")}% of gRPC requests failed ({(critical ? $"critical >= {Format.Number(t.GrpcFailureCriticalPercent)}%" : $"healthy < {Format.Number(t.GrpcFailureWarningPercent)}%")})",
                Evidence = $"{codes} of {Format.Count((long)n.GrpcHandled)} requests {window} ({MetricsReading.GrpcHandled}).",
                Recommendation = GrpcFailuresAdvice,
                Value = failurePercent,
                Threshold = critical ? t.GrpcFailureCriticalPercent : t.GrpcFailureWarningPercent,
            });
        }

        if (n.NoLeaderScrapes > 0)
        {
            findings.Add(new EtcdPerformanceFinding
            {
                Severity = EtcdFindingSeverity.Critical,
                Area = EtcdPerformanceArea.Leadership,
                Member = n.Member,
                Check = "NoLeader",
                Title = n.IsInterval ? "No leader" : $"No leader at {n.NoLeaderScrapes} of {n.Scrapes} scrapes",
                Evidence = $"{MetricsReading.HasLeader} was 0 {(n.IsInterval ? "at the end of the interval" : $"at {n.NoLeaderScrapes} scrape(s) {window}")}.",
                Recommendation = NoLeaderAdvice,
                Value = n.NoLeaderScrapes,
                Threshold = 0,
            });
        }

        if (n.LeaderChanges >= t.LeaderChangesWarning && n.LeaderChanges > 0)
        {
            var critical = n.LeaderChanges >= t.LeaderChangesCritical;
            findings.Add(new EtcdPerformanceFinding
            {
                Severity = critical ? EtcdFindingSeverity.Critical : EtcdFindingSeverity.Warning,
                Area = EtcdPerformanceArea.Leadership,
                Member = n.Member,
                Check = "LeaderChanges",
                Title = $"{Format.Count((long)n.LeaderChanges)} leader change{(n.LeaderChanges == 1 ? "" : "s")} {window} (the etcd mixin alerts at {t.LeaderChangesCritical} in 15 min)",
                Evidence = $"{MetricsReading.LeaderChanges} rose by {Format.Count((long)n.LeaderChanges)} {window}, as {n.Member} saw it.",
                Recommendation = LeaderChangesAdvice,
                Value = n.LeaderChanges,
                Threshold = critical ? t.LeaderChangesCritical : t.LeaderChangesWarning,
            });
        }

        if (n.ProposalsFailed > 0)
        {
            var critical = n.FailedPerSec >= t.ProposalsFailedCriticalPerSec;
            findings.Add(Counted(n, critical ? EtcdFindingSeverity.Critical : EtcdFindingSeverity.Warning, EtcdPerformanceArea.Leadership, "ProposalsFailed",
                $"{Format.Count((long)n.ProposalsFailed)} proposal{(n.ProposalsFailed == 1 ? "" : "s")} failed ({Format.Number(n.FailedPerSec ?? 0, "0.##")}/s)",
                $"{MetricsReading.ProposalsFailed} rose by {Format.Count((long)n.ProposalsFailed)} {window}.",
                ProposalsFailedAdvice,
                n.ProposalsFailed, critical ? t.ProposalsFailedCriticalPerSec : 0));
        }
        if (n.SlowApplies > 0)
        {
            findings.Add(Counted(n, EtcdFindingSeverity.Warning, EtcdPerformanceArea.Workload, "SlowApplies",
                $"{Format.Count((long)n.SlowApplies)} {(n.SlowApplies == 1 ? "apply" : "applies")} took longer than 100 ms",
                $"{MetricsReading.SlowApplies} rose by {Format.Count((long)n.SlowApplies)} {window}.",
                SlowAppliesAdvice,
                n.SlowApplies, 0));
        }
        if (n.HeartbeatFailures > 0)
        {
            findings.Add(Counted(n, EtcdFindingSeverity.Warning, EtcdPerformanceArea.Leadership, "HeartbeatSendFailures",
                $"The leader sent {Format.Count((long)n.HeartbeatFailures)} heartbeat{(n.HeartbeatFailures == 1 ? "" : "s")} late",
                $"{MetricsReading.HeartbeatFailures} rose by {Format.Count((long)n.HeartbeatFailures)} {window}.",
                HeartbeatAdvice,
                n.HeartbeatFailures, 0));
        }
        if (n.PeerSendFailures > 0)
        {
            findings.Add(Counted(n, EtcdFindingSeverity.Warning, EtcdPerformanceArea.Network, "PeerSendFailures",
                $"{Format.Count((long)n.PeerSendFailures)} message{(n.PeerSendFailures == 1 ? "" : "s")} to peers could not be sent",
                $"{MetricsReading.PeerSendFailures} rose by {Format.Count((long)n.PeerSendFailures)} {window}.",
                "A peer was unreachable or too slow to take messages: check that every member runs and answers (Get-EtcdHealth), the network between the members, and that the peer port (2380) is open between them.",
                n.PeerSendFailures, 0));
        }
        if (n.FailedScrapes > 0 && !n.IsInterval)
        {
            findings.Add(Counted(n, EtcdFindingSeverity.Warning, EtcdPerformanceArea.Network, "UnansweredScrapes",
                $"{n.Member} did not answer {n.FailedScrapes} of {n.Scrapes + n.FailedScrapes} scrapes",
                $"Its metrics could not be read {n.FailedScrapes} time(s) {window}: {n.LastScrapeError}",
                UnansweredAdvice,
                n.FailedScrapes, 0));
        }

        if (n.CpuPercent is { } cpu && cpu >= t.CpuWarningPercent)
        {
            var critical = cpu >= t.CpuCriticalPercent;
            findings.Add(Measured(n, critical, EtcdPerformanceArea.Cpu, "Cpu",
                $"etcd used {Format.Number(cpu, "0")}% of a core ({(critical ? $"critical >= {Format.Number(t.CpuCriticalPercent)}%" : $"warning >= {Format.Number(t.CpuWarningPercent)}%")})",
                $"{MetricsReading.CpuSeconds} rose by {Format.Number(cpu * n.Seconds / 100, "0.##")} s {window}.",
                CpuAdvice,
                cpu, critical ? t.CpuCriticalPercent : t.CpuWarningPercent));
        }
        if (n.Resident is { } resident && resident >= t.MemoryWarningBytes)
        {
            var critical = resident >= t.MemoryCriticalBytes;
            findings.Add(Measured(n, critical, EtcdPerformanceArea.Memory, "ResidentMemory",
                $"Resident memory is {Format.Bytes(resident)} ({(critical ? "critical" : "warning")} >= {Format.Bytes(critical ? t.MemoryCriticalBytes : t.MemoryWarningBytes)})",
                $"{MetricsReading.ResidentMemory} was {Format.Count((long)resident)} bytes at the end.",
                MemoryAdvice,
                resident, critical ? t.MemoryCriticalBytes : t.MemoryWarningBytes));
        }

        if (n.DbQuotaPercent is { } used && used >= t.DbQuotaInfoPercent)
        {
            var severity = used >= t.DbQuotaFailPercent ? EtcdFindingSeverity.Critical : used >= t.DbQuotaWarnPercent ? EtcdFindingSeverity.Warning : EtcdFindingSeverity.Info;
            findings.Add(new EtcdPerformanceFinding
            {
                Severity = severity,
                Area = EtcdPerformanceArea.Capacity,
                Member = n.Member,
                Check = "DbQuota",
                Title = $"The database is at {Format.Number(used, "0")}% of its quota ({Format.Bytes(n.DbTotal!.Value)} of {Format.Bytes(n.Quota!.Value)})",
                Evidence = $"{MetricsReading.DbTotal} {Format.Count((long)n.DbTotal.Value)}, {MetricsReading.Quota} {Format.Count((long)n.Quota.Value)}.",
                Recommendation = "At 100% etcd raises NOSPACE and refuses writes. Compact old revisions and defragment the members one at a time to reclaim space, keep less history (--auto-compaction-retention), or raise --quota-backend-bytes (8 GiB at most).",
                Value = used,
                Threshold = severity switch { EtcdFindingSeverity.Critical => t.DbQuotaFailPercent, EtcdFindingSeverity.Warning => t.DbQuotaWarnPercent, _ => t.DbQuotaInfoPercent },
            });
        }
        // Growth and fragmentation need a window: one interval's growth is a burst, not a trend.
        if (!n.IsInterval && n.HoursToQuota is { } hours && hours < t.QuotaExhaustionWarningHours)
        {
            var evidence = $"Data in use grew by {Format.Bytes(n.DbGrowthPerHour!.Value)}/h {window}; {Format.Bytes(n.DbTotal ?? 0)} of {Format.Bytes(n.Quota ?? 0)} used ({MetricsReading.DbInUse}).";
            const string advice = "Find what writes so much (Measure-EtcdKeyspace: keys and bytes per prefix, the keys with the most versions), make sure compaction runs, and reduce the data or raise the quota before NOSPACE stops all writes.";
            if (n.Seconds < t.QuotaExhaustionMinWindowMinutes * 60)
            {
                // A short window sees the writes but not the compaction that frees their history
                // (Kubernetes compacts every 5 min): its projection is a hint, not an alarm.
                findings.Add(Counted(n, EtcdFindingSeverity.Info, EtcdPerformanceArea.Capacity, "QuotaExhaustion",
                    $"At the rate of this {Format.Seconds(n.Seconds)} window the database would reach its quota in {Format.Hours(hours)}; growth is judged over {Format.Number(t.QuotaExhaustionMinWindowMinutes)} min or more",
                    evidence,
                    $"Measure for {Format.Number(t.QuotaExhaustionMinWindowMinutes)} minutes or more (longer than the compaction interval) to judge the growth. If it holds: {advice}",
                    hours, t.QuotaExhaustionWarningHours));
            }
            else
            {
                var critical = hours < t.QuotaExhaustionCriticalHours;
                findings.Add(Measured(n, critical, EtcdPerformanceArea.Capacity, "QuotaExhaustion",
                    $"At this rate the database reaches its quota in {Format.Hours(hours)} (warning within {Format.Hours(t.QuotaExhaustionWarningHours)})",
                    evidence, advice, hours, critical ? t.QuotaExhaustionCriticalHours : t.QuotaExhaustionWarningHours));
            }
        }
        if (!n.IsInterval && n.DbTotal is > 0 && n.DbInUse is { } inUse && inUse / n.DbTotal.Value < t.FragmentationMaxInUseRatio && inUse > t.FragmentationMinInUseBytes)
        {
            var free = n.DbTotal.Value - inUse;
            findings.Add(new EtcdPerformanceFinding
            {
                Severity = EtcdFindingSeverity.Info,
                Area = EtcdPerformanceArea.Capacity,
                Member = n.Member,
                Check = "Fragmentation",
                Title = $"{Format.Number(100 * free / n.DbTotal.Value, "0")}% of the database file is free space ({Format.Bytes(free)})",
                Evidence = $"{Format.Bytes(inUse)} in use of {Format.Bytes(n.DbTotal.Value)} ({MetricsReading.DbInUse}, {MetricsReading.DbTotal}).",
                Recommendation = "Defragment the members one at a time, the leader last, to return the space to the file system and shorten commits; Get-EtcdMember shows how much each would shrink.",
                Value = 100 * free / n.DbTotal.Value,
                Threshold = 100 * (1 - t.FragmentationMaxInUseRatio),
            });
        }
        if (n.OpenFds is { } open && n.MaxFds is > 0 && 100 * open / n.MaxFds.Value >= t.OpenFileDescriptorsWarningPercent)
        {
            var percent = 100 * open / n.MaxFds.Value;
            findings.Add(Measured(n, false, EtcdPerformanceArea.Capacity, "OpenFileDescriptors",
                $"File descriptors at {Format.Number(percent, "0")}% of the limit ({Format.Count((long)open)} of {Format.Count((long)n.MaxFds.Value)})",
                $"{MetricsReading.OpenFds} {Format.Count((long)open)}, {MetricsReading.MaxFds} {Format.Count((long)n.MaxFds.Value)}.",
                "When the limit is reached etcd cannot accept connections or open files: raise it (LimitNOFILE) or find the clients holding many connections.",
                percent, t.OpenFileDescriptorsWarningPercent));
        }
        return findings;
    }

    /// <summary>A latency finding when the p99 reaches the healthy limit (Warning) or the alert level (Critical).</summary>
    private static void Latency(List<EtcdPerformanceFinding> findings, PerformanceNumbers n, Latency? latency, string check, EtcdPerformanceArea area,
        string what, string unit, string metric, double warningMs, double criticalMs, string recommendation)
    {
        if (latency?.P99Ms is not { } p99 || p99 < warningMs) return;
        var critical = p99 >= criticalMs;
        findings.Add(new EtcdPerformanceFinding
        {
            Severity = critical ? EtcdFindingSeverity.Critical : EtcdFindingSeverity.Warning,
            Area = area,
            Member = n.Member,
            Check = check,
            Title = $"{what} p99 is {Format.Milliseconds(p99)} ({(critical ? $"critical >= {Format.Milliseconds(criticalMs)}, " : "")}healthy < {Format.Milliseconds(warningMs)})",
            Evidence = $"p50 {Format.Milliseconds(latency.P50Ms)}, p95 {Format.Milliseconds(latency.P95Ms)}, p99 {Format.Milliseconds(p99)} over {Format.Count(latency.Count)} {unit} in {Format.Seconds(n.Seconds)} ({metric}).",
            Recommendation = recommendation,
            Value = p99,
            Threshold = critical ? criticalMs : warningMs,
        });
    }

    private static EtcdPerformanceFinding Counted(PerformanceNumbers n, EtcdFindingSeverity severity, EtcdPerformanceArea area, string check,
        string title, string evidence, string recommendation, double value, double threshold) => new()
    {
        Severity = severity,
        Area = area,
        Member = n.Member,
        Check = check,
        Title = title,
        Evidence = evidence,
        Recommendation = recommendation,
        Value = value,
        Threshold = threshold,
    };

    private static EtcdPerformanceFinding Measured(PerformanceNumbers n, bool critical, EtcdPerformanceArea area, string check,
        string title, string evidence, string recommendation, double value, double threshold) =>
        Counted(n, critical ? EtcdFindingSeverity.Critical : EtcdFindingSeverity.Warning, area, check, title, evidence, recommendation, value, threshold);

    /// <summary>The status a set of findings gives: the worst of them, Info counting as Ok.</summary>
    public static EtcdPerformanceStatus StatusOf(IEnumerable<EtcdPerformanceFinding> findings) =>
        findings.Select(f => f.Severity).DefaultIfEmpty(EtcdFindingSeverity.Info).Max() switch
        {
            EtcdFindingSeverity.Critical => EtcdPerformanceStatus.Critical,
            EtcdFindingSeverity.Warning => EtcdPerformanceStatus.Warning,
            _ => EtcdPerformanceStatus.Ok,
        };

    /// <summary>Most severe first, then by area and member, so reports read the same every time.</summary>
    public static IEnumerable<EtcdPerformanceFinding> Ordered(IEnumerable<EtcdPerformanceFinding> findings) =>
        findings.OrderByDescending(f => f.Severity).ThenBy(f => f.Area).ThenBy(f => f.Member, StringComparer.Ordinal).ThenBy(f => f.Title, StringComparer.Ordinal);
}
