using System.Collections;
using EtcdTools.Performance;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Core.Tests.Performance;

/// <summary>Thresholds, rules, the verdict and baselines on numbers worked out by hand (no cluster needed: the real faults are in PerformanceFaultTests).</summary>
public sealed class JudgementTests
{
    private static readonly MemberTarget Target = new(new Member { ID = 0xa1, Name = "etcd-0" }, new Uri("http://127.0.0.1:2379"), new Uri("http://127.0.0.1:2381"), 0xc1,
        [new Member { ID = 0xa1, Name = "etcd-0" }, new Member { ID = 0xb2, Name = "etcd-1" }]);

    private static PerformanceNumbers Numbers(Latency? wal = null, double leaderChanges = 0, double? cpu = null, bool interval = false,
        double? dbTotal = null, double? dbInUse = null, double? quota = null, double? growth = null, double seconds = 60) => new()
    {
        Member = Target.Name,
        Seconds = seconds,
        IsInterval = interval,
        WalFsync = wal,
        LeaderChanges = leaderChanges,
        CpuPercent = cpu,
        DbTotal = dbTotal,
        DbInUse = dbInUse,
        Quota = quota,
        DbGrowthPerHour = growth,
    };

    /// <summary>A reading <paramref name="seconds"/> into a window, with the counters and WAL fsync buckets given.</summary>
    private static MetricsReading Reading(double seconds, double committed, double cpu, double[] walBuckets)
    {
        var reading = new MetricsReading { Timestamp = (long)(seconds * System.Diagnostics.Stopwatch.Frequency), At = DateTimeOffset.UnixEpoch.AddSeconds(seconds) };
        reading.CounterValues[MetricsReading.ProposalsCommitted] = committed;
        reading.CounterValues[MetricsReading.CpuSeconds] = cpu;
        reading.Histograms[MetricsReading.WalKey] = new EtcdTools.Metrics.HistogramSeries(EtcdTools.Metrics.MetricLabels.Empty,
            [0.001, 0.01, 0.1, double.PositiveInfinity], walBuckets, 0, walBuckets[^1]);
        return reading;
    }

    [Fact]
    public void AWindowAddsItsIntervalsSoACounterOrHistogramThatRestartedIsCountedFromZero()
    {
        // Committed proposals 10 -> 15 (+5), the member restarts -> 3 (+3), -> 8 (+5): 13 in 10 s.
        // WAL fsync buckets gain [1,1,1,1], restart with [0,2,2,2], gain [0,0,1,1]: [1,3,4,4] in the window.
        MetricsReading[] readings =
        [
            Reading(0, 10, 100, [5, 5, 5, 5]),
            Reading(4, 15, 101, [6, 6, 6, 6]),
            Reading(7, 3, 0.2, [0, 2, 2, 2]),
            Reading(10, 8, 0.4, [0, 2, 3, 3]),
        ];
        var window = new Deltas();
        for (var i = 1; i < readings.Length; i++) window.Add(Deltas.Between(readings[i - 1], readings[i]));
        Assert.Equal(10, window.Seconds, 6);
        Assert.Equal(13, window.Counters[MetricsReading.ProposalsCommitted]);
        Assert.Equal([1.0, 3.0, 4.0, 4.0], window.Histograms[MetricsReading.WalKey].CumulativeCounts);

        var numbers = PerformanceNumbers.From(Target, window, readings[0], readings[^1], isInterval: false, noLeaderScrapes: 0);
        Assert.Equal(1.3, numbers.CommittedPerSec!.Value, 6);
        // CPU seconds 100 -> 101 (+1), restart -> 0.2 (+0.2), -> 0.4 (+0.2): 1.4 s in 10 s is 14% of a core.
        Assert.Equal(14, numbers.CpuPercent!.Value, 6);
        // rank 3.96 of 4 falls in (0.01, 0.1] holding observation 4: 10 ms + 90 ms * 0.96/1.
        Assert.Equal(10 + 90 * 0.96, numbers.WalFsync!.P99Ms!.Value, 6);
        Assert.Equal(4, numbers.WalFsync.Count);
    }

    [Fact]
    public void DefaultThresholdsAreTheReferenceLevels()
    {
        var t = EtcdPerformanceThresholds.Default;
        Assert.Equal((10, 500), (t.WalFsyncP99WarningMs, t.WalFsyncP99CriticalMs));
        Assert.Equal((25, 250), (t.BackendCommitP99WarningMs, t.BackendCommitP99CriticalMs));
        Assert.Equal((50, 150), (t.PeerRttP99WarningMs, t.PeerRttP99CriticalMs));
        Assert.Equal((1, 5), (t.GrpcFailureWarningPercent, t.GrpcFailureCriticalPercent));
        Assert.Equal(4, t.LeaderChangesCritical);
        Assert.Equal((65, 75, 85), (t.DbQuotaInfoPercent, t.DbQuotaWarnPercent, t.DbQuotaFailPercent));
        Assert.Equal(4, t.QuotaExhaustionWarningHours);
    }

    [Fact]
    public void ThresholdsAreOverriddenByNameAndBadOnesAreRefusedWithTheReason()
    {
        var t = EtcdPerformanceThresholds.FromDictionary(new Hashtable { ["walfsyncp99warningms"] = "20", ["PeerRttP99CriticalMs"] = TimeSpan.FromMilliseconds(300), ["CpuCriticalPercent"] = 250 });
        Assert.Equal(20, t.WalFsyncP99WarningMs);
        Assert.Equal(300, t.PeerRttP99CriticalMs);
        Assert.Equal(250, t.CpuCriticalPercent);
        Assert.Equal(500, t.WalFsyncP99CriticalMs);

        var unknown = Assert.Throws<ArgumentException>(() => EtcdPerformanceThresholds.FromDictionary(new Hashtable { ["FsyncP99"] = 5 }));
        Assert.Contains("'FsyncP99' is not a threshold", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("WalFsyncP99WarningMs", unknown.Message, StringComparison.Ordinal);
        var order = Assert.Throws<ArgumentException>(() => EtcdPerformanceThresholds.FromDictionary(new Hashtable { ["WalFsyncP99WarningMs"] = 600 }));
        Assert.Contains("WalFsyncP99WarningMs (600) must not exceed WalFsyncP99CriticalMs (500)", order.Message, StringComparison.Ordinal);
        var hours = Assert.Throws<ArgumentException>(() => EtcdPerformanceThresholds.FromDictionary(new Hashtable { ["QuotaExhaustionCriticalHours"] = 8 }));
        Assert.Contains("QuotaExhaustionCriticalHours (8) must not exceed QuotaExhaustionWarningHours (4)", hours.Message, StringComparison.Ordinal);
        Assert.Contains("at most 100", Assert.Throws<ArgumentException>(() => EtcdPerformanceThresholds.FromDictionary(new Hashtable { ["GrpcFailureCriticalPercent"] = 150 })).Message, StringComparison.Ordinal);
        Assert.Contains("must be a number", Assert.Throws<ArgumentException>(() => EtcdPerformanceThresholds.FromDictionary(new Hashtable { ["CpuWarningPercent"] = "lots" })).Message, StringComparison.Ordinal);
        Assert.Contains("above 1", Assert.Throws<ArgumentException>(() => EtcdPerformanceThresholds.FromDictionary(new Hashtable { ["RegressionFactor"] = 1 })).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(9.9, null)]
    [InlineData(10, EtcdFindingSeverity.Warning)]
    [InlineData(48, EtcdFindingSeverity.Warning)]
    [InlineData(500, EtcdFindingSeverity.Critical)]
    public void AWalFsyncP99AtTheHealthyLimitWarnsAndAtTheAlertLevelIsCritical(double p99, EtcdFindingSeverity? expected)
    {
        var findings = PerformanceRules.Evaluate(Numbers(new Latency(1.2, 20, p99, 1234)), EtcdPerformanceThresholds.Default);
        var finding = findings.SingleOrDefault(f => f.Check == "WalFsyncP99");
        Assert.Equal(expected, finding?.Severity);
        if (p99 == 48)
        {
            Assert.Equal("WAL fsync p99 is 48 ms (healthy < 10 ms)", finding!.Title);
            Assert.Equal("p50 1.2 ms, p95 20 ms, p99 48 ms over 1,234 fsyncs in 60 s (etcd_disk_wal_fsync_duration_seconds).", finding.Evidence);
            Assert.Equal(EtcdPerformanceArea.Disk, finding.Area);
            Assert.Equal("etcd-0", finding.Member);
            Assert.Equal((48.0, 10.0), (finding.Value, finding.Threshold));
        }
    }

    [Fact]
    public void CapacityGrowthIsJudgedOverAWindowOfTenMinutesButNotOverOneInterval()
    {
        // 1.5 GiB of 2 GiB (75%), growing 200 MiB/h: (2 GiB - 1.5 GiB) / 200 MiB/h = 2.56 h.
        var numbers = Numbers(dbTotal: 1.5 * (1L << 30), dbInUse: 1.4 * (1L << 30), quota: 2L << 30, growth: 200 * (1 << 20), seconds: 600);
        var findings = PerformanceRules.Evaluate(numbers, EtcdPerformanceThresholds.Default);
        var growth = Assert.Single(findings, f => f.Check == "QuotaExhaustion");
        Assert.Equal(EtcdFindingSeverity.Warning, growth.Severity);
        Assert.Equal(2.56, growth.Value!.Value, 6);
        Assert.Equal("At this rate the database reaches its quota in 2.6 h (warning within 4 h)", growth.Title);
        Assert.Equal("Data in use grew by 200 MiB/h in 10 min; 1.5 GiB of 2 GiB used (etcd_mvcc_db_total_size_in_use_in_bytes).", growth.Evidence);
        Assert.Equal(EtcdFindingSeverity.Warning, Assert.Single(findings, f => f.Check == "DbQuota").Severity);
        var interval = PerformanceRules.Evaluate(Numbers(dbTotal: 1.5 * (1L << 30), quota: 2L << 30, growth: 200 * (1 << 20), interval: true, seconds: 600), EtcdPerformanceThresholds.Default);
        Assert.DoesNotContain(interval, f => f.Check == "QuotaExhaustion");
    }

    [Fact]
    public void GrowthSeenInAWindowShorterThanTheCompactionCycleIsOnlyAHint()
    {
        // 40 min to the quota at the rate of one minute: critical from a long window, Info from this one.
        var numbers = Numbers(dbTotal: 1.5 * (1L << 30), dbInUse: 1.4 * (1L << 30), quota: 2L << 30, growth: 768 * (1 << 20), seconds: 60);
        var growth = Assert.Single(PerformanceRules.Evaluate(numbers, EtcdPerformanceThresholds.Default), f => f.Check == "QuotaExhaustion");
        Assert.Equal(EtcdFindingSeverity.Info, growth.Severity);
        Assert.Equal("At the rate of this 60 s window the database would reach its quota in 40 min; growth is judged over 10 min or more", growth.Title);
        Assert.StartsWith("Measure for 10 minutes or more (longer than the compaction interval) to judge the growth.", growth.Recommendation, StringComparison.Ordinal);
        Assert.Equal(EtcdPerformanceStatus.Warning, PerformanceRules.StatusOf(PerformanceRules.Evaluate(numbers, EtcdPerformanceThresholds.Default)));

        var shorter = EtcdPerformanceThresholds.FromDictionary(new Hashtable { ["QuotaExhaustionMinWindowMinutes"] = 1 });
        Assert.Equal(EtcdFindingSeverity.Critical, Assert.Single(PerformanceRules.Evaluate(numbers, shorter), f => f.Check == "QuotaExhaustion").Severity);
    }

    [Fact]
    public void TheVerdictNamesTheAreaOfTheWorstFindingsCausesBeforeSymptoms()
    {
        EtcdPerformanceFinding Finding(EtcdFindingSeverity severity, EtcdPerformanceArea area, string title) =>
            new() { Severity = severity, Area = area, Member = "etcd-0", Title = title, Value = 2, Threshold = 1 };

        Assert.Equal(EtcdBottleneck.Healthy, PerformanceReport.Verdict([Finding(EtcdFindingSeverity.Info, EtcdPerformanceArea.Capacity, "65% of quota")], [], TimeSpan.FromMinutes(1)).Verdict);
        var (verdict, reason) = PerformanceReport.Verdict(
            [Finding(EtcdFindingSeverity.Warning, EtcdPerformanceArea.Leadership, "2 leader changes"), Finding(EtcdFindingSeverity.Warning, EtcdPerformanceArea.Disk, "WAL fsync p99 is 48 ms")],
            [], TimeSpan.FromMinutes(1));
        Assert.Equal(EtcdBottleneck.Disk, verdict);
        Assert.Equal("WAL fsync p99 is 48 ms on etcd-0; 1 more warning or critical finding.", reason);
        Assert.Equal(EtcdBottleneck.Leadership, PerformanceReport.Verdict(
            [Finding(EtcdFindingSeverity.Critical, EtcdPerformanceArea.Leadership, "No leader"), Finding(EtcdFindingSeverity.Warning, EtcdPerformanceArea.Disk, "slow")],
            [], TimeSpan.FromMinutes(1)).Verdict);
    }

    [Fact]
    public void ABaselineKeptAsTextAddsWhatGotWorseAndByHowMuch()
    {
        // As Import-Csv or ConvertFrom-Json give them back: numbers as text, times as text.
        var baseline = EtcdPerformanceBaseline.FromReports(
        [
            new Dictionary<string, object?> { ["Member"] = "etcd-0", ["StartTime"] = "2026-12-01T10:00:00+00:00", ["WalFsyncP99Ms"] = "23", ["BackendCommitP99Ms"] = 20.0, ["CpuPercent"] = 10, ["ProposalsCommittedPerSec"] = "100" },
            new Dictionary<string, object?> { ["Verdict"] = "Disk", ["VerdictReason"] = "a summary is passed over" },
        ]);
        Assert.Equal(["etcd-0"], baseline.Members);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero), baseline.StartTime);

        var now = new EtcdMemberPerformance
        {
            Member = "etcd-0", StartTime = new DateTimeOffset(2026, 12, 4, 10, 0, 0, TimeSpan.Zero), DurationSeconds = 60,
            WalFsyncP99Ms = 48, BackendCommitP99Ms = 21, CpuPercent = 12, ProposalsCommittedPerSec = 350,
        };
        var findings = baseline.Compare([now, now with { Member = "etcd-9" }], EtcdPerformanceThresholds.Default);
        var fsync = Assert.Single(findings, f => f.Check == "Regression.WalFsyncP99Ms");
        Assert.Equal("WAL fsync p99 2.1x the baseline (48 ms vs 23 ms)", fsync.Title);
        Assert.Equal(EtcdFindingSeverity.Warning, fsync.Severity);
        Assert.Equal(EtcdPerformanceArea.Disk, fsync.Area);
        Assert.Contains("measured 2026-12-01 10:00", fsync.Evidence, StringComparison.Ordinal);
        // More writes than then: context, not a fault.
        var workload = Assert.Single(findings, f => f.Check == "Regression.ProposalsCommittedPerSec");
        Assert.Equal(EtcdFindingSeverity.Info, workload.Severity);
        Assert.Equal("Committed proposals 3.5x the baseline (350/s vs 100/s)", workload.Title);
        // 21 vs 20 ms and 12% vs 10% are noise; etcd-9 has no baseline.
        Assert.Equal(2, findings.Count);

        var none = Assert.Throws<ArgumentException>(() => EtcdPerformanceBaseline.FromReports([new Dictionary<string, object?> { ["Verdict"] = "Healthy" }]));
        Assert.Contains("no member report of Measure-EtcdPerformance", none.Message, StringComparison.Ordinal);
    }
}
