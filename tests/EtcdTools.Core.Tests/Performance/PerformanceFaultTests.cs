using System.Diagnostics;
using System.Globalization;
using EtcdTools.Client;
using EtcdTools.Maintenance;
using EtcdTools.Metrics;
using EtcdTools.Performance;
using EtcdTools.Sandbox;
using Xunit.Abstractions;
using static EtcdTools.Core.Tests.Performance.PerformanceTestHelpers;

namespace EtcdTools.Core.Tests.Performance;

/// <summary>Real faults on real members, each test on a sandbox of its own: each must show up in the findings where it belongs.</summary>
public sealed class PerformanceFaultTests(ITestOutputHelper output)
{
    private static readonly EtcdPerformanceOptions FastScrapes = new()
    {
        Interval = TimeSpan.FromSeconds(1),
        ScrapeTimeout = TimeSpan.FromSeconds(1),
        KeepSamples = true,
    };

    [Fact]
    public async Task ASlowDiskShowsAsADiskFindingOnThatMember()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        var slow = sandbox.Members[(await LeaderIndexAsync(sandbox) + 1) % 3];
        // Every fdatasync of one follower waits 150 ms first: a disk far slower than etcd wants, not slow enough to lose the member.
        using var tracer = StartStrace(slow.ProcessId, delayMicroseconds: 150_000);
        try
        {
            await Task.Delay(1000);
            var (result, _) = await MeasureAsync(sandbox.ConnectionSettings, TimeSpan.FromSeconds(6),
                ct => WriteUntilCancelledAsync(sandbox.ConnectionSettings, TimeSpan.FromMilliseconds(50), ct), FastScrapes);
            output.WriteLine(Describe(result));

            var report = result.Members.Single(m => m.Member == slow.Name);
            Assert.True(report.WalFsyncP99Ms >= 100, $"WAL fsync p99 {report.WalFsyncP99Ms} ms");
            var finding = Assert.Single(report.Findings, f => f.Check == "WalFsyncP99");
            Assert.Equal(EtcdPerformanceArea.Disk, finding.Area);
            Assert.True(finding.Severity >= EtcdFindingSeverity.Warning);
            Assert.Equal(slow.Name, finding.Member);
            Assert.StartsWith("WAL fsync p99 is ", finding.Title, StringComparison.Ordinal);
            Assert.Contains("(healthy < 10 ms)", finding.Title, StringComparison.Ordinal);
            Assert.Contains("etcd_disk_wal_fsync_duration_seconds", finding.Evidence, StringComparison.Ordinal);
            Assert.Contains("Test-EtcdDisk", finding.Recommendation, StringComparison.Ordinal);
            Assert.Equal(10, finding.Threshold);
            Assert.Equal(EtcdBottleneck.Disk, result.Summary.Verdict);
            Assert.Contains(result.Summary.Findings, f => f.Check == "WalFsyncP99" && f.Member == slow.Name);
            // The slow member stands out from the others.
            Assert.All(result.Members.Where(m => m.Member != slow.Name), m => Assert.True(m.WalFsyncP99Ms < report.WalFsyncP99Ms));
            Assert.True(report.WalFsyncPeakP99Ms >= report.WalFsyncP99Ms * 0.9);
        }
        finally
        {
            tracer.Kill();
            await tracer.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task ASuspendedLeaderShowsAsLeaderChangesAndUnansweredScrapes()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        var leader = sandbox.Members[await LeaderIndexAsync(sandbox)];
        var (result, ticks) = await MeasureAsync(sandbox.ConnectionSettings, TimeSpan.FromSeconds(9), async ct =>
        {
            var writes = WriteUntilCancelledAsync(sandbox.ConnectionSettings, TimeSpan.FromMilliseconds(100), ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            sandbox.SuspendMember(leader.Index);
            try { await Task.Delay(TimeSpan.FromSeconds(3), CancellationToken.None); }
            finally { sandbox.ResumeMember(leader.Index); }
            await writes;
        }, FastScrapes);
        output.WriteLine(Describe(result));

        Assert.Empty(result.Failures);
        var stalled = result.Members.Single(m => m.Member == leader.Name);
        Assert.True(stalled.FailedScrapes >= 1, "the suspended member answered every scrape");
        Assert.Contains(stalled.Findings, f => f.Check == "UnansweredScrapes" && f.Area == EtcdPerformanceArea.Network);
        Assert.Contains(stalled.Samples, s => s.Error.Length > 0 && s.Status == EtcdPerformanceStatus.Critical);
        Assert.Contains(ticks, t => t.Member == leader.Name && t.Error is { Kind: EtcdErrorKind.Timeout });
        // The followers elected a new leader while it was stopped.
        Assert.True(result.Summary.LeaderChanges >= 1, "no leader change seen");
        var changes = Assert.Single(result.Summary.Findings, f => f.Check == "LeaderChanges");
        Assert.Equal(EtcdPerformanceArea.Leadership, changes.Area);
        Assert.Equal("", changes.Member);
        Assert.NotEqual(EtcdBottleneck.Healthy, result.Summary.Verdict);
        Assert.NotEqual(leader.Name, result.Summary.Leader);
    }

    [Fact]
    public async Task AMovedLeaderShowsAsALeadershipFinding()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var target = sandbox.Members[(await LeaderIndexAsync(sandbox) + 1) % 3];
        var (result, _) = await MeasureAsync(sandbox.ConnectionSettings, TimeSpan.FromSeconds(4), async ct =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5), ct);
            await LeaderTransfer.MoveAsync(cluster, await LeaderTransfer.PlanAsync(cluster, target.Name, ct), cancellationToken: ct);
        }, FastScrapes);
        output.WriteLine(Describe(result));

        Assert.Equal(target.Name, result.Summary.Leader);
        Assert.All(result.Members, m => Assert.Equal(1, m.LeaderChanges));
        var finding = Assert.Single(result.Summary.Findings, f => f.Check == "LeaderChanges");
        Assert.Equal(EtcdPerformanceArea.Leadership, finding.Area);
        Assert.Equal(EtcdFindingSeverity.Warning, finding.Severity);
        Assert.StartsWith("1 leader change in ", finding.Title, StringComparison.Ordinal);
        Assert.Contains("Move-EtcdLeader", finding.Recommendation, StringComparison.Ordinal);
        Assert.Equal(1, result.Summary.LeaderChanges);
        // Every member saw it: one finding in the summary, one in each member's report.
        Assert.All(result.Members, m => Assert.Contains(m.Findings, f => f.Check == "LeaderChanges" && f.Member == m.Member));
        if (!result.Summary.Findings.Any(f => f.Severity >= EtcdFindingSeverity.Warning && f.Area != EtcdPerformanceArea.Leadership))
            Assert.Equal(EtcdBottleneck.Leadership, result.Summary.Verdict);
    }

    [Fact]
    public async Task AStoppedMemberIsAFailureWithItsReasonWhileTheOthersReport()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        var stopped = sandbox.Members[(await LeaderIndexAsync(sandbox) + 1) % 3];
        await sandbox.StopMemberAsync(stopped.Index);
        var (result, ticks) = await MeasureAsync(sandbox.ConnectionSettings, TimeSpan.FromSeconds(2), options: FastScrapes);
        output.WriteLine(Describe(result));

        Assert.Equal(2, result.Members.Count);
        Assert.DoesNotContain(result.Members, m => m.Member == stopped.Name);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(stopped.Name, failure.Member);
        Assert.Equal(EtcdErrorKind.Unavailable, failure.Error.Kind);
        Assert.Contains("Connection refused", failure.Error.Message, StringComparison.Ordinal);
        Assert.Contains(stopped.ClientUrl.Replace("http://", "", StringComparison.Ordinal), failure.Error.Message, StringComparison.Ordinal);
        var notMeasured = Assert.Single(result.Summary.Findings, f => f.Check == "NotMeasured");
        Assert.Equal(EtcdFindingSeverity.Warning, notMeasured.Severity);
        Assert.Equal(stopped.Name, notMeasured.Member);
        Assert.Equal(2, result.Summary.MembersMeasured);
        Assert.Equal(3, result.Summary.Members);
        // A watch hears of the failure at every interval, counted.
        Assert.Contains(ticks, t => t.Member == stopped.Name && t.ConsecutiveFailures >= 2);
    }

    [Fact]
    public async Task TheScraperNamesThePageAndTheReasonWhenAMemberIsHungOrTheUrlIsWrong()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        using var scraper = new EtcdMetricsScraper(sandbox.ConnectionSettings);
        var url = new Uri(sandbox.Members[0].MetricsUrl);
        var page = await scraper.ScrapeAsync(url, TimeSpan.FromSeconds(5));
        Assert.Equal(new Uri(url, "/metrics"), page.Url);
        Assert.True(page.Bytes > 100_000);
        Assert.Empty(page.Metrics.Problems);
        Assert.Equal(2147483648, page.Metrics.Value(EtcdMetricsScraper.QuotaMetric));

        var wrong = await Assert.ThrowsAsync<EtcdException>(() => scraper.ScrapeAsync(new Uri(url, "/no-such-page"), TimeSpan.FromSeconds(5)));
        Assert.Contains("/no-such-page answered 404", wrong.Message, StringComparison.Ordinal);

        sandbox.SuspendMember(0);
        try
        {
            var watch = Stopwatch.StartNew();
            var hung = await Assert.ThrowsAsync<EtcdException>(() => scraper.ScrapeAsync(url, TimeSpan.FromSeconds(1)));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
            Assert.Equal(EtcdErrorKind.Timeout, hung.Kind);
            Assert.Contains($"{url}metrics did not arrive within 1s", hung.Message, StringComparison.Ordinal);
        }
        finally
        {
            sandbox.ResumeMember(0);
        }
    }

    private static Process StartStrace(int processId, int delayMicroseconds)
    {
        var strace = new ProcessStartInfo("strace") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync", "-e", $"inject=fdatasync:delay_enter={delayMicroseconds}",
                     "-p", processId.ToString(CultureInfo.InvariantCulture) })
            strace.ArgumentList.Add(argument);
        var tracer = Process.Start(strace)!;
        tracer.ErrorDataReceived += (_, _) => { };
        tracer.BeginErrorReadLine();
        return tracer;
    }
}
