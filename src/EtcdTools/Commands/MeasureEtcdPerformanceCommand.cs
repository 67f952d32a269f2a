using System.Collections;
using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Performance;

namespace EtcdTools.Commands;

/// <summary>
/// Measures every member's performance over a window from etcd's own metrics (scraped at the start,
/// every -Interval and at the end): latency percentiles, rates, events, sizes and resources, judged
/// against the thresholds. Writes one report per member, then the cluster summary with the verdict
/// on the bottleneck. A member whose metrics cannot be read is a non-terminating error.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "EtcdPerformance")]
[OutputType(typeof(EtcdMemberPerformance), typeof(EtcdPerformanceSummary))]
public sealed class MeasureEtcdPerformanceCommand : EtcdCmdlet
{
    private const int ProgressId = 0x6574;

    private EtcdPerformanceThresholds? _thresholds;
    private IReadOnlyDictionary<string, Uri>? _metricsUrls;
    private EtcdPerformanceBaseline? _baseline;

    /// <summary>How long to measure (60 s by default: etcd records peer round trips every 30 s).</summary>
    [Parameter(Position = 0)]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time between scrapes within the window (5 s by default, or the whole window when shorter), for peaks and series.</summary>
    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Only these members, by hex ID or name; binds from Get-EtcdMember's output.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string[]? MemberId { get; set; }

    /// <summary>Overrides of the default thresholds, by name (see the help for the keys).</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? Thresholds { get; set; }

    /// <summary>An earlier result of Measure-EtcdPerformance (live, or from Import-Clixml, ConvertFrom-Json or Import-Csv) to compare with.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public PSObject[]? Baseline { get; set; }

    /// <summary>Where members serve /metrics when not on their client URL: a hashtable of member name (or hex ID) to URL, or one URL for one member.</summary>
    [Parameter]
    [ValidateNotNull]
    [MetricsUrlTransformation]
    public Hashtable? MetricsUrl { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        try
        {
            // The default interval shrinks to a short window; an interval the user chose does not.
            if (Interval > Duration && !MyInvocation.BoundParameters.ContainsKey(nameof(Interval))) Interval = Duration;
            if (Interval > Duration)
                throw new ArgumentException($"-Interval ({EtcdTools.Duration.Format(Interval)}) is longer than -Duration ({EtcdTools.Duration.Format(Duration)}): give an interval no longer than the window.");
            _thresholds = EtcdPerformanceThresholds.FromDictionary(HashtableParameters.Plain(Thresholds));
            if (Thresholds is not null) WriteVerbose($"Thresholds: {_thresholds}.");
            _metricsUrls = HashtableParameters.MetricsUrls(MetricsUrl);
            _baseline = Baseline is null ? null : BaselineReader.Read(Baseline);
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(EtcdErrorRecords.Create(e, "InvalidArgument", ErrorCategory.InvalidArgument, null));
        }
    }

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        var options = new EtcdPerformanceOptions
        {
            Interval = Interval,
            Members = MemberId,
            MetricsUrls = _metricsUrls,
            Thresholds = _thresholds!,
            KeepSamples = true,
        };
        var duration = Duration;
        var baseline = _baseline;
        Run(async (output, ct) =>
        {
            using var monitor = await EtcdPerformanceMonitor.StartAsync(cluster, options, ct).ConfigureAwait(false);
            foreach (var (member, url) in monitor.MetricsUrls)
                await output.WriteVerboseAsync($"{member}: metrics from {url}.");
            var activity = $"Measuring etcd performance on {monitor.Members.Count} member(s) for {EtcdTools.Duration.Format(duration)}";
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var progress = ReportProgressAsync(output, activity, clock, duration, done.Token);
            try
            {
                await monitor.RunAsync(duration, tick => tick.Error is { } error && tick.ConsecutiveFailures == 1
                    ? output.WriteVerboseAsync($"{tick.Member}: its metrics could not be read ({error.Message}); trying again at the next interval.")
                    : ValueTask.CompletedTask, ct).ConfigureAwait(false);
            }
            finally
            {
                await done.CancelAsync().ConfigureAwait(false);
                await progress.ConfigureAwait(false);
            }
            await output.WriteProgressAsync(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });

            var result = monitor.GetResult(baseline);
            foreach (var failure in result.Failures)
                await output.WriteErrorAsync(failure.Error, failure.Member);
            foreach (var report in result.Members)
                await output.WriteObjectAsync(report);
            if (baseline is not null)
                await output.WriteVerboseAsync($"Compared with the baseline of {string.Join(", ", baseline.Members)}{(baseline.StartTime is { } at ? $" measured {at:u}" : "")}.");
            await output.WriteObjectAsync(result.Summary);
        }, string.Join(",", cluster.Settings.Endpoints));
    }

    /// <summary>The time left in the window, once a second until the window ends.</summary>
    private static async Task ReportProgressAsync(PipelineWriter output, string activity, System.Diagnostics.Stopwatch clock, TimeSpan duration, CancellationToken done)
    {
        try
        {
            while (!done.IsCancellationRequested)
            {
                var elapsed = clock.Elapsed < duration ? clock.Elapsed : duration;
                var left = duration - elapsed;
                await output.WriteProgressAsync(new ProgressRecord(ProgressId, activity,
                    left > TimeSpan.Zero ? $"{EtcdTools.Duration.Format(TimeSpan.FromSeconds(Math.Ceiling(left.TotalSeconds)))} left" : "Reading the last scrape")
                {
                    PercentComplete = (int)(100 * elapsed.Ticks / duration.Ticks),
                    SecondsRemaining = (int)Math.Ceiling(left.TotalSeconds),
                }).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromSeconds(1), done).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (done.IsCancellationRequested)
        {
            // The window is over.
        }
    }
}
