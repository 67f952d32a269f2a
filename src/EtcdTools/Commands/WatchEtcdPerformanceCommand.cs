using System.Collections;
using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Performance;

namespace EtcdTools.Commands;

/// <summary>
/// Watches every member's performance interval by interval: one flat sample per member per
/// interval (for Export-Csv and charts), until -Duration or Ctrl+C. -AlertLevel writes a warning
/// when a member crosses a threshold. At the end of an interactive pipeline (output neither piped,
/// assigned nor redirected) it draws a live table instead, and a session summary at the end.
/// </summary>
[Cmdlet(VerbsCommon.Watch, "EtcdPerformance")]
[OutputType(typeof(EtcdPerformanceSample))]
public sealed class WatchEtcdPerformanceCommand : EtcdCmdlet
{
    private EtcdPerformanceThresholds? _thresholds;
    private IReadOnlyDictionary<string, Uri>? _metricsUrls;
    private EtcdPerformanceMonitor? _monitor;
    private DateTimeOffset _started;

    /// <summary>Time between samples of each member (5 s by default).</summary>
    [Parameter(Position = 0)]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to watch; without it, until Ctrl+C.</summary>
    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan? Duration { get; set; }

    /// <summary>Write a warning when a member's interval reaches this severity (Critical, Warning or Info); none without it.</summary>
    // Text, not the enum: an exported cmdlet class may not hold a value type of EtcdTools.Core (see ModuleInitializer).
    [Parameter]
    [ValidateSet("Critical", "Warning", "Info")]
    public string? AlertLevel { get; set; }

    /// <summary>Only these members, by hex ID or name; binds from Get-EtcdMember's output.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string[]? MemberId { get; set; }

    /// <summary>Overrides of the default thresholds, by name (see Measure-EtcdPerformance's help for the keys).</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? Thresholds { get; set; }

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
            _thresholds = EtcdPerformanceThresholds.FromDictionary(HashtableParameters.Plain(Thresholds));
            if (Thresholds is not null) WriteVerbose($"Thresholds: {_thresholds}.");
            _metricsUrls = HashtableParameters.MetricsUrls(MetricsUrl);
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(EtcdErrorRecords.Create(e, "InvalidArgument", ErrorCategory.InvalidArgument, null));
        }
    }

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        var options = new EtcdPerformanceOptions { Interval = Interval, Members = MemberId, MetricsUrls = _metricsUrls, Thresholds = _thresholds! };
        var duration = Duration;
        EtcdFindingSeverity? alertLevel = AlertLevel is null ? null : Enum.Parse<EtcdFindingSeverity>(AlertLevel, ignoreCase: true);
        var live = ConsoleOutput.IsInteractiveConsole(this);
        var colour = PSStyle.Instance.OutputRendering != OutputRendering.PlainText;
        try
        {
            Run(async (output, ct) =>
            {
                var monitor = await EtcdPerformanceMonitor.StartAsync(cluster, options, ct).ConfigureAwait(false);
                _monitor = monitor;
                _started = DateTimeOffset.Now;
                foreach (var (member, url) in monitor.MetricsUrls)
                    await output.WriteVerboseAsync($"{member}: metrics from {url}.");
                var view = live ? new PerformanceConsoleView(monitor.Members, options.Interval, colour) : null;
                var alerts = new AlertTracker(alertLevel);
                // One writer at a time, so a warning and the table it displaces are drawn in order.
                using var console = new SemaphoreSlim(1, 1);
                using var stopDrawing = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var drawing = view is null ? Task.CompletedTask : DrawAsync(output, view, console, stopDrawing.Token);
                try
                {
                    await monitor.RunAsync(duration, async tick =>
                    {
                        var messages = alerts.Messages(tick);
                        await console.WaitAsync(ct).ConfigureAwait(false);
                        try
                        {
                            if (view is not null && (messages.Count > 0 || tick.Error is not null && tick.ConsecutiveFailures == 1))
                                await output.InvokeAsync(c => view.Erase(c.Host.UI)).ConfigureAwait(false);
                            foreach (var (warning, text) in messages)
                            {
                                if (warning) await output.WriteWarningAsync(text).ConfigureAwait(false);
                                else await output.WriteVerboseAsync(text).ConfigureAwait(false);
                            }
                            // The first failure of a run is an error; the rest of the run is in the samples.
                            if (tick.Error is { } error && tick.ConsecutiveFailures == 1)
                                await output.WriteErrorAsync(error, tick.Member).ConfigureAwait(false);
                            if (tick.Sample is { } sample)
                            {
                                if (view is not null) view.Update(sample);
                                else await output.WriteObjectAsync(sample).ConfigureAwait(false);
                            }
                        }
                        finally
                        {
                            console.Release();
                        }
                    }, ct).ConfigureAwait(false);
                }
                finally
                {
                    await stopDrawing.CancelAsync().ConfigureAwait(false);
                    await drawing.ConfigureAwait(false);
                }
                if (view is not null)
                {
                    var summary = PerformanceConsoleView.Summary(monitor.GetWatchSummary(), _started, DateTimeOffset.Now);
                    await output.InvokeAsync(c =>
                    {
                        view.Draw(c.Host.UI);
                        c.Host.UI.Write("\n" + summary);
                    }).ConfigureAwait(false);
                }
            }, string.Join(",", cluster.Settings.Endpoints));
        }
        catch (PipelineStoppedException) when (live && _monitor is not null)
        {
            // Ctrl+C is how a watch without -Duration ends: the summary still belongs on the screen.
            Host.UI.Write("\n" + PerformanceConsoleView.Summary(_monitor.GetWatchSummary(), _started, DateTimeOffset.Now));
            throw;
        }
        finally
        {
            _monitor?.Dispose();
            _monitor = null;
        }
    }

    /// <summary>Redraws the live table whenever something changed, at most four times a second.</summary>
    private static async Task DrawAsync(PipelineWriter output, PerformanceConsoleView view, SemaphoreSlim console, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                if (view.TakeDirty())
                {
                    await console.WaitAsync(stop).ConfigureAwait(false);
                    try
                    {
                        await output.InvokeAsync(c => view.Draw(c.Host.UI)).ConfigureAwait(false);
                    }
                    finally
                    {
                        console.Release();
                    }
                }
                await Task.Delay(250, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The watch is over.
        }
    }

    /// <summary>
    /// Turns each member's findings into warnings when they cross -AlertLevel (a new finding, or
    /// one that got worse), and into verbose messages when they fall back below it.
    /// </summary>
    private sealed class AlertTracker(EtcdFindingSeverity? level)
    {
        private readonly Dictionary<(string Member, string Check), EtcdFindingSeverity> _raised = [];
        private readonly Lock _gate = new();

        public List<(bool Warning, string Text)> Messages(EtcdPerformanceTick tick)
        {
            var messages = new List<(bool, string)>();
            if (level is not { } threshold || tick.Sample is null) return messages;
            var at = tick.Sample.Timestamp.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
            lock (_gate)
            {
                if (tick.Error is { } error)
                {
                    if (tick.ConsecutiveFailures == 1 && threshold <= EtcdFindingSeverity.Critical && _raised.TryAdd((tick.Member, "Unreachable"), EtcdFindingSeverity.Critical))
                        messages.Add((true, $"[{at}] {tick.Member}: Critical: its metrics could not be read: {error.Message}"));
                    return messages;
                }
                if (_raised.Remove((tick.Member, "Unreachable")))
                    messages.Add((true, $"[{at}] {tick.Member}: answers again."));
                var now = tick.Findings.Where(f => f.Severity >= threshold)
                    .GroupBy(f => f.Check).ToDictionary(g => g.Key, g => g.OrderByDescending(f => f.Severity).First());
                foreach (var (check, finding) in now)
                {
                    var key = (tick.Member, check);
                    if (_raised.TryGetValue(key, out var before) && before >= finding.Severity) continue;
                    _raised[key] = finding.Severity;
                    messages.Add((true, $"[{at}] {tick.Member}: {finding.Severity} {finding.Area}: {finding.Title}"));
                }
                foreach (var key in _raised.Keys.Where(k => k.Member == tick.Member && k.Check != "Unreachable" && !now.ContainsKey(k.Check)).ToList())
                {
                    _raised.Remove(key);
                    messages.Add((false, $"[{at}] {tick.Member}: {key.Check} is back below {threshold}."));
                }
            }
            return messages;
        }
    }
}
