using System.Management.Automation;
using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Pipelines;

/// <summary>
/// Get-EtcdMetric, Measure-EtcdPerformance and Watch-EtcdPerformance in hosted PowerShell on the
/// shared TLS sandbox (reading metrics changes nothing): output, streams, errors and exports.
/// The faults and the live console view are in Pester (tests/Pester/Performance.Tests.ps1).
/// </summary>
[Collection(SandboxGroup.Name)]
public sealed class PerformanceCmdletTests(SandboxFixture fixture)
{
    [Fact]
    public void GetEtcdMetricFiltersByFamilyOrSampleNameWithWildcardsAndReadsLabels()
    {
        using var session = fixture.NewSession();
        var leaders = session.Invoke("Get-EtcdMetric -Name 'etcd_server_*leader*'").ThrowOnError().Output;
        Assert.Equal(3, leaders.Select(s => s.Get<string>("Member")).Distinct().Count());
        Assert.Equal(["etcd_server_has_leader", "etcd_server_is_leader", "etcd_server_leader_changes_seen_total"],
            leaders.Select(s => s.Get<string>("Name")).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(1, leaders.Where(s => s.Get<string>("Name") == "etcd_server_is_leader").Sum(s => s.Get<double>("Value")));
        Assert.All(leaders, s => Assert.Equal("EtcdTools.Metrics.EtcdMetricSample", s.TypeNames[0]));

        var versions = session.Invoke("Get-EtcdMetric -Name etcd_server_version | ForEach-Object { $_.GetLabel('server_version') }").ThrowOnError().Output;
        Assert.Equal(["3.4.23", "3.4.23", "3.4.23"], versions.Select(v => v.ToString()));
        // A histogram by its family name gives its buckets, sum and count; the labels read as text.
        var fsync = session.Invoke("Get-EtcdMetric -Name etcd_disk_wal_fsync_duration_seconds -MemberId $sandbox.Members[0].Name").ThrowOnError().Output;
        Assert.Equal(17, fsync.Count);
        Assert.Contains(fsync, s => s.Get<string>("Labels") == "le=+Inf" && s.Get<string>("Name") == "etcd_disk_wal_fsync_duration_seconds_bucket");
        Assert.All(fsync, s => Assert.Equal("Histogram", s.Get("Type")!.ToString()));
        Assert.All(fsync, s => Assert.Equal("etcd_disk_wal_fsync_duration_seconds", s.Get<string>("Family")));
    }

    [Fact]
    public void AMetricNoMemberHasIsAnErrorWhileTheOthersAreWritten()
    {
        using var session = fixture.NewSession();
        var result = session.Invoke("Get-EtcdMetric -Name etcd_server_has_leader, etcd_no_such_metric, 'etcd_nothing_*'");
        var errors = string.Join(" | ", result.Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e.Exception.Message}"));
        Assert.True(result.Output.Count == 3, $"{result.Output.Count} sample(s); errors: {errors}");
        Assert.True(result.Errors.Count == 1, errors);
        var error = result.Errors[0];
        Assert.Equal("EtcdMetricNotFound,EtcdTools.Commands.GetEtcdMetricCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("etcd_no_such_metric", error.TargetObject);
    }

    [Fact]
    public void BadMetricsUrlsAreRefusedWithTheReason()
    {
        using var session = fixture.NewSession();
        var notUrl = session.Invoke("Get-EtcdMetric -MetricsUrl @{ x = 'not a url' }");
        Assert.Equal("InvalidArgument,EtcdTools.Commands.GetEtcdMetricCommand", Assert.Single(notUrl.Errors).FullyQualifiedErrorId);
        Assert.Contains("not a URL", notUrl.Errors[0].Exception.Message, StringComparison.Ordinal);
        var oneForThree = session.Invoke("Get-EtcdMetric -Name etcd_server_id -MetricsUrl http://127.0.0.1:2381");
        Assert.Empty(oneForThree.Output);
        Assert.Contains("One metrics URL (http://127.0.0.1:2381/) fits one member, but 3 are asked for", Assert.Single(oneForThree.Errors).Exception.Message, StringComparison.Ordinal);
        var unknown = session.Invoke("Get-EtcdMetric -MetricsUrl @{ 'no-such-member' = 'http://127.0.0.1:2381' }");
        Assert.Contains("'no-such-member', which is not a member asked for", Assert.Single(unknown.Errors).Exception.Message, StringComparison.Ordinal);
        // A member's own metrics URL by name: the sandbox's plain-HTTP --listen-metrics-urls.
        var own = session.Invoke("Get-EtcdMetric -Name etcd_server_id -MemberId $sandbox.Members[1].Name -MetricsUrl $sandbox.Members[1].MetricsUrl").ThrowOnError();
        Assert.StartsWith("http://127.0.0.1:", Assert.Single(own.Output).Get<string>("MetricsUrl"), StringComparison.Ordinal);
    }

    [Fact]
    public void MeasureWritesEveryMembersReportThenTheSummaryAndShowsTheTimeLeft()
    {
        using var session = fixture.NewSession();
        var result = session.Invoke("Measure-EtcdPerformance -Duration 3 -Interval 1").ThrowOnError();
        Assert.Equal(4, result.Output.Count);
        Assert.All(result.Output.Take(3), o => Assert.Equal("EtcdTools.Performance.EtcdMemberPerformance", o.TypeNames[0]));
        var summary = result.Output[^1];
        Assert.Equal("EtcdTools.Performance.EtcdPerformanceSummary", summary.TypeNames[0]);
        Assert.Equal(3, summary.Get<int>("MembersMeasured"));
        Assert.NotEqual("Critical", summary.Get("Status")!.ToString());
        Assert.Contains(result.Progress, p => p.StatusDescription.EndsWith(" left", StringComparison.Ordinal) && p.SecondsRemaining > 0);
        Assert.Equal(ProgressRecordType.Completed, result.Progress[^1].RecordType);
        // Views: members as a table, the summary as a list with the verdict.
        var shown = session.InvokeWith("$reports | Out-String -Width 200; $summary | Out-String -Width 200",
            new Dictionary<string, object?> { ["reports"] = result.Output.Take(3).ToArray(), ["summary"] = summary }).ThrowOnError().Text;
        Assert.Contains("WAL p99", shown, StringComparison.Ordinal);
        Assert.Contains("Verdict", shown, StringComparison.Ordinal);
        Assert.Contains("Findings", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void BadThresholdsIntervalsAndBaselinesEndTheCommandBeforeItMeasures()
    {
        using var session = fixture.NewSession();
        var unknown = session.Invoke("Measure-EtcdPerformance -Duration 10 -Interval 1 -Thresholds @{ FsyncP99 = 5 }");
        var error = Assert.Single(unknown.Errors);
        Assert.Equal("InvalidArgument,EtcdTools.Commands.MeasureEtcdPerformanceCommand", error.FullyQualifiedErrorId);
        Assert.Contains("'FsyncP99' is not a threshold. The valid keys are: WalFsyncP99WarningMs", error.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(unknown.Progress);

        var order = session.Invoke("Watch-EtcdPerformance -Duration 2 -Thresholds @{ WalFsyncP99WarningMs = 900 }");
        Assert.Contains("must not exceed WalFsyncP99CriticalMs", Assert.Single(order.Errors).Exception.Message, StringComparison.Ordinal);
        var interval = session.Invoke("Measure-EtcdPerformance -Duration 2 -Interval 5");
        Assert.Contains("-Interval (5s) is longer than -Duration (2s)", Assert.Single(interval.Errors).Exception.Message, StringComparison.Ordinal);
        var baseline = session.Invoke("Measure-EtcdPerformance -Duration 2 -Interval 1 -Baseline ([pscustomobject]@{ Verdict = 'Healthy' })");
        Assert.Contains("no member report of Measure-EtcdPerformance", Assert.Single(baseline.Errors).Exception.Message, StringComparison.Ordinal);
        var level = session.Invoke("Watch-EtcdPerformance -AlertLevel Loud");
        Assert.StartsWith("ParameterArgumentValidationError,", Assert.Single(level.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    [Fact]
    public void AWindowShorterThanTheDefaultIntervalIsScrapedOnceAtItsEnd()
    {
        using var session = fixture.NewSession();
        var result = session.Invoke("Measure-EtcdPerformance -Duration 2").ThrowOnError();
        Assert.Equal(4, result.Output.Count);
        Assert.Equal(2, result.Output[^1].Get<double>("IntervalSeconds"));
        Assert.All(result.Output.Take(3), report => Assert.Single((System.Collections.IEnumerable)report.Get("Samples")!));
    }

    [Fact]
    public void WatchWritesOneSampleAMemberAnIntervalThatExportCsvTakesAsTheyCome()
    {
        using var session = fixture.NewSession();
        var path = Path.Combine(Path.GetTempPath(), $"etcd-samples-{Guid.NewGuid():N}.csv");
        try
        {
            session.Invoke("Watch-EtcdPerformance -Interval 1 -Duration 3 | Export-Csv -Path $args[0]", path).ThrowOnError();
            var rows = session.Invoke("Import-Csv -Path $args[0]", path).ThrowOnError().Output;
            Assert.InRange(rows.Count, 9, 12);
            Assert.Equal(3, rows.Select(r => r.Get<string>("Member")).Distinct().Count());
            Assert.All(rows, r =>
            {
                Assert.True(DateTimeOffset.TryParse(r.Get<string>("Timestamp"), System.Globalization.CultureInfo.InvariantCulture, out _));
                Assert.Equal("", r.Get<string>("Error"));
                Assert.True(double.TryParse(r.Get<string>("CpuPercent"), System.Globalization.CultureInfo.InvariantCulture, out _));
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AlertsAreWarningsWhenAThresholdIsCrossedNotAtEveryInterval()
    {
        using var session = fixture.NewSession();
        // Any CPU at all crosses a warning level of 0: each member warns once, although every interval stays above it.
        var result = session.Invoke("Watch-EtcdPerformance -Interval 1 -Duration 3 -AlertLevel Warning -Thresholds @{ CpuWarningPercent = 0 }").ThrowOnError();
        Assert.True(result.Output.Count >= 6);
        // At least Warning: on a loaded machine another check may be over its critical level in some interval.
        Assert.All(result.Output, s => Assert.True(s.Get("Status")!.ToString() is "Warning" or "Critical", s.Get("Status")!.ToString()));
        Assert.All(result.Output, s => Assert.Contains("% of a core (warning >= 0%)", s.Get<string>("Alerts"), StringComparison.Ordinal));
        // Other checks may warn too on a busy machine (a slow fsync): the CPU warnings are one a member.
        var cpu = result.Warnings.Where(w => w.Contains(": Warning Cpu: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, cpu.Count);
        Assert.All(cpu, w => Assert.Matches(@"^\[\d\d:\d\d:\d\d\] \S+: Warning Cpu: etcd used \d+% of a core", w));
        Assert.Equal(3, cpu.Select(w => w.Split(' ')[1]).Distinct().Count());
        // Without -AlertLevel the samples say it, the warning stream does not.
        Assert.DoesNotContain(session.Invoke("Watch-EtcdPerformance -Interval 1 -Duration 1 -Thresholds @{ CpuWarningPercent = 0 }").ThrowOnError().Warnings,
            w => w.Contains(" Cpu: ", StringComparison.Ordinal));
    }
}
