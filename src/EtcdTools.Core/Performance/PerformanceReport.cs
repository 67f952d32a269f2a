namespace EtcdTools.Performance;

/// <summary>Turns measured windows into the member reports and the cluster summary with its verdict.</summary>
internal static class PerformanceReport
{
    /// <summary>Which area a verdict names when several share the worst severity: causes before their symptoms (a slow disk makes leaders change, not the other way round).</summary>
    private static readonly EtcdPerformanceArea[] CauseOrder =
    [
        EtcdPerformanceArea.Disk, EtcdPerformanceArea.Network, EtcdPerformanceArea.Cpu, EtcdPerformanceArea.Memory,
        EtcdPerformanceArea.Capacity, EtcdPerformanceArea.Workload, EtcdPerformanceArea.Leadership,
    ];

    public static EtcdMemberPerformance Member(MemberWindow window, PerformanceNumbers n, IReadOnlyList<EtcdPerformanceFinding> findings)
    {
        var target = window.Target;
        return new EtcdMemberPerformance
        {
            Member = target.Name,
            MemberId = target.Id,
            ClusterId = target.ClusterId,
            Endpoint = target.ClientUrl.GetLeftPart(UriPartial.Authority),
            MetricsUrl = window.MetricsPage,
            Version = n.Version,
            IsLeader = n.IsLeader == true,
            Status = PerformanceRules.StatusOf(findings),
            StartTime = window.FirstAt,
            EndTime = window.LastAt,
            DurationSeconds = Math.Round(n.Seconds, 3),
            Scrapes = window.Scrapes,
            FailedScrapes = window.FailedScrapes,
            WalFsyncP50Ms = MemberWindow.Round(n.WalFsync?.P50Ms),
            WalFsyncP95Ms = MemberWindow.Round(n.WalFsync?.P95Ms),
            WalFsyncP99Ms = MemberWindow.Round(n.WalFsync?.P99Ms),
            WalFsyncPeakP99Ms = MemberWindow.Round(window.WalFsyncPeakP99Ms),
            WalFsyncCount = n.WalFsync?.Count ?? 0,
            BackendCommitP50Ms = MemberWindow.Round(n.BackendCommit?.P50Ms),
            BackendCommitP95Ms = MemberWindow.Round(n.BackendCommit?.P95Ms),
            BackendCommitP99Ms = MemberWindow.Round(n.BackendCommit?.P99Ms),
            BackendCommitCount = n.BackendCommit?.Count ?? 0,
            PeerRttP99Ms = MemberWindow.Round(n.PeerRttP99Ms),
            ApplyP50Ms = MemberWindow.Round(n.Apply?.P50Ms),
            ApplyP95Ms = MemberWindow.Round(n.Apply?.P95Ms),
            ApplyP99Ms = MemberWindow.Round(n.Apply?.P99Ms),
            GrpcHandlingP50Ms = MemberWindow.Round(n.GrpcHandling?.P50Ms),
            GrpcHandlingP95Ms = MemberWindow.Round(n.GrpcHandling?.P95Ms),
            GrpcHandlingP99Ms = MemberWindow.Round(n.GrpcHandling?.P99Ms),
            ProposalsCommittedPerSec = MemberWindow.Round(n.CommittedPerSec),
            ProposalsAppliedPerSec = MemberWindow.Round(n.AppliedPerSec),
            ProposalsPending = n.Pending,
            ProposalsPendingMax = window.PendingMax,
            ProposalsFailed = (long)n.ProposalsFailed,
            ProposalsFailedPerSec = MemberWindow.Round(n.FailedPerSec),
            LeaderChanges = (long)n.LeaderChanges,
            NoLeaderScrapes = n.NoLeaderScrapes,
            SlowApplies = (long)n.SlowApplies,
            HeartbeatSendFailures = (long)n.HeartbeatFailures,
            PeerSendFailures = (long)n.PeerSendFailures,
            GrpcRequestsPerSec = MemberWindow.Round(n.GrpcPerSec),
            GrpcFailuresPerSec = MemberWindow.Round(n.GrpcFailedPerSec),
            GrpcFailurePercent = MemberWindow.Round(n.GrpcFailurePercent),
            DbSizeBytes = (long?)n.DbTotal,
            DbSizeInUseBytes = (long?)n.DbInUse,
            QuotaBytes = (long?)n.Quota,
            DbQuotaPercent = MemberWindow.Round(n.DbQuotaPercent),
            DbGrowthBytesPerHour = MemberWindow.Round(n.DbGrowthPerHour),
            HoursToQuota = MemberWindow.Round(n.HoursToQuota),
            CpuPercent = MemberWindow.Round(n.CpuPercent),
            CpuPeakPercent = MemberWindow.Round(window.CpuPeakPercent),
            ResidentMemoryBytes = (long?)n.Resident,
            ResidentMemoryPeakBytes = (long?)window.ResidentPeak,
            OpenFileDescriptors = (long?)n.OpenFds,
            MaxFileDescriptors = (long?)n.MaxFds,
            MissingMetrics = n.Missing,
            PeerRoundTrips = new(n.Peers.Select(p => new EtcdPeerRoundTrip
            {
                Member = target.Name,
                Peer = p.Peer,
                PeerId = p.PeerId,
                P50Ms = MemberWindow.Round(p.Latency.P50Ms),
                P95Ms = MemberWindow.Round(p.Latency.P95Ms),
                P99Ms = MemberWindow.Round(p.Latency.P99Ms),
                Count = p.Latency.Count,
            }).ToList()),
            GrpcCodes = new(n.Codes.Where(c => c.Value > 0)
                .OrderByDescending(c => MetricsReading.FailureCodes.Contains(c.Key)).ThenByDescending(c => c.Value)
                .Select(c => new EtcdGrpcCodeRate
                {
                    Member = target.Name,
                    Code = c.Key,
                    Count = (long)c.Value,
                    PerSecond = n.Seconds > 0 ? Math.Round(c.Value / n.Seconds, 3) : 0,
                    IsFailure = MetricsReading.FailureCodes.Contains(c.Key),
                }).ToList()),
            Findings = new([.. PerformanceRules.Ordered(findings)]),
            Samples = new([.. window.Samples]),
        };
    }

    /// <summary>
    /// The cluster: every finding (the members' own; leader changes, which every member sees, once
    /// for the cluster; members that could not be measured; regressions, which the reports carry),
    /// the worst numbers, and the verdict.
    /// </summary>
    public static EtcdPerformanceSummary Summary(string clusterId, int selected, IReadOnlyList<EtcdMemberPerformance> reports,
        IReadOnlyList<EtcdMemberFailure> failures, DateTimeOffset start, DateTimeOffset end, TimeSpan interval, DateTimeOffset? baselineStart)
    {
        var findings = reports.SelectMany(r => r.Findings).Where(f => f.Check != "LeaderChanges").ToList();
        var changes = reports.SelectMany(r => r.Findings).Where(f => f.Check == "LeaderChanges").ToList();
        if (changes.Count > 0)
        {
            var worst = changes.OrderByDescending(f => f.Value).First();
            var seen = string.Join(", ", reports.Where(r => r.LeaderChanges > 0).Select(r => $"{r.Member} {r.LeaderChanges}"));
            findings.Add(worst with { Member = "", Evidence = $"{MetricsReading.LeaderChanges} rose in the window on: {seen}." });
        }
        var quorum = selected / 2 + 1;
        foreach (var (name, _, error) in failures)
        {
            var critical = reports.Count < quorum;
            findings.Add(new EtcdPerformanceFinding
            {
                Severity = critical ? EtcdFindingSeverity.Critical : EtcdFindingSeverity.Warning,
                Area = EtcdPerformanceArea.Network,
                Member = name,
                Check = "NotMeasured",
                Title = $"{name} could not be measured{(critical ? $": only {reports.Count} of {selected} members were" : "")}",
                Evidence = error.Message,
                Recommendation = "Its metrics could not be read: check that the member runs and answers (Get-EtcdHealth), and that its metrics URL is right (-MetricsUrl for a member with its own --listen-metrics-urls).",
                Value = reports.Count,
                Threshold = quorum,
            });
        }
        var ordered = PerformanceRules.Ordered(findings).ToList();
        var (verdict, reason) = Verdict(ordered, reports, end - start);
        double? Max(Func<EtcdMemberPerformance, double?> value) => reports.Select(value).Where(v => v is not null).DefaultIfEmpty(null).Max();
        var handled = reports.Sum(r => (r.GrpcRequestsPerSec ?? 0) * r.DurationSeconds);
        var failed = reports.Sum(r => (r.GrpcFailuresPerSec ?? 0) * r.DurationSeconds);
        var leader = reports.FirstOrDefault(r => r.IsLeader);
        return new EtcdPerformanceSummary
        {
            ClusterId = clusterId,
            Verdict = verdict,
            VerdictReason = reason,
            Status = PerformanceRules.StatusOf(ordered),
            StartTime = start,
            EndTime = end,
            DurationSeconds = Math.Round((end - start).TotalSeconds, 3),
            IntervalSeconds = interval.TotalSeconds,
            Members = selected,
            MembersMeasured = reports.Count,
            Leader = leader?.Member ?? "",
            LeaderChanges = reports.Select(r => r.LeaderChanges).DefaultIfEmpty(0).Max(),
            WalFsyncP99MaxMs = Max(r => r.WalFsyncP99Ms),
            BackendCommitP99MaxMs = Max(r => r.BackendCommitP99Ms),
            PeerRttP99MaxMs = Max(r => r.PeerRttP99Ms),
            ProposalsCommittedPerSec = leader?.ProposalsCommittedPerSec ?? Max(r => r.ProposalsCommittedPerSec),
            GrpcRequestsPerSec = reports.Count == 0 ? null : MemberWindow.Round(reports.Sum(r => r.GrpcRequestsPerSec ?? 0)),
            GrpcFailurePercent = handled > 0 ? MemberWindow.Round(100 * failed / handled) : null,
            DbSizeMaxBytes = reports.Select(r => r.DbSizeBytes).Where(v => v is not null).DefaultIfEmpty(null).Max(),
            QuotaBytes = reports.Select(r => r.QuotaBytes).FirstOrDefault(v => v is not null),
            CriticalCount = ordered.Count(f => f.Severity == EtcdFindingSeverity.Critical),
            WarningCount = ordered.Count(f => f.Severity == EtcdFindingSeverity.Warning),
            InfoCount = ordered.Count(f => f.Severity == EtcdFindingSeverity.Info),
            BaselineStartTime = baselineStart,
            Findings = new(ordered),
        };
    }

    /// <summary>
    /// The bottleneck: the area of the most severe findings (Warning or Critical), causes before
    /// symptoms when several areas share it; Healthy without any, with the numbers that say so.
    /// </summary>
    internal static (EtcdBottleneck Verdict, string Reason) Verdict(IReadOnlyList<EtcdPerformanceFinding> findings, IReadOnlyList<EtcdMemberPerformance> reports, TimeSpan window)
    {
        var serious = findings.Where(f => f.Severity >= EtcdFindingSeverity.Warning).ToList();
        if (serious.Count == 0)
        {
            var fsync = reports.Select(r => r.WalFsyncP99Ms).Where(v => v is not null).DefaultIfEmpty(null).Max();
            var rtt = reports.Select(r => r.PeerRttP99Ms).Where(v => v is not null).DefaultIfEmpty(null).Max();
            var numbers = new List<string>();
            if (fsync is not null) numbers.Add($"WAL fsync p99 at most {Format.Milliseconds(fsync)}");
            if (rtt is not null) numbers.Add($"peer round trip p99 at most {Format.Milliseconds(rtt)}");
            return (EtcdBottleneck.Healthy,
                $"No warning or critical finding on {reports.Count} member(s) in {Format.Seconds(window.TotalSeconds)}{(numbers.Count > 0 ? ": " + string.Join(", ", numbers) : "")}.");
        }
        var severity = serious.Max(f => f.Severity);
        var worst = serious.Where(f => f.Severity == severity).ToList();
        var area = CauseOrder.First(a => worst.Any(f => f.Area == a));
        // The finding furthest past its limit stands for its area.
        var top = worst.Where(f => f.Area == area)
            .OrderByDescending(f => f.Value is { } v && f.Threshold is > 0 ? v / f.Threshold.Value : 0).First();
        var more = serious.Count - 1;
        var where = top.Member.Length > 0 && !top.Title.Contains(top.Member, StringComparison.Ordinal) ? $" on {top.Member}" : "";
        var reason = $"{top.Title}{where}{(more > 0 ? $"; {more} more warning or critical finding{(more == 1 ? "" : "s")}" : "")}.";
        return (area switch
        {
            EtcdPerformanceArea.Disk => EtcdBottleneck.Disk,
            EtcdPerformanceArea.Network => EtcdBottleneck.Network,
            EtcdPerformanceArea.Cpu => EtcdBottleneck.Cpu,
            EtcdPerformanceArea.Memory => EtcdBottleneck.Memory,
            EtcdPerformanceArea.Capacity => EtcdBottleneck.Capacity,
            EtcdPerformanceArea.Workload => EtcdBottleneck.Workload,
            _ => EtcdBottleneck.Leadership,
        }, reason);
    }
}
