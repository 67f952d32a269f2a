using System.Diagnostics;
using EtcdTools.Client;
using EtcdTools.Metrics;

namespace EtcdTools.Performance;

/// <summary>How to measure or watch: which members, how often, where their metrics are, and the limits.</summary>
public sealed record EtcdPerformanceOptions
{
    /// <summary>Time between scrapes of each member.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Members by hex ID or name; all when null or empty.</summary>
    public IReadOnlyList<string>? Members { get; init; }

    /// <summary>Metrics URLs by member name or hex ID (or <see cref="EtcdMetricsScraper.OnlyMember"/>), ahead of the connection's.</summary>
    public IReadOnlyDictionary<string, Uri>? MetricsUrls { get; init; }

    public EtcdPerformanceThresholds Thresholds { get; init; } = EtcdPerformanceThresholds.Default;

    /// <summary>Keep every interval's sample in the member reports (a measurement); a watch keeps running statistics only.</summary>
    public bool KeepSamples { get; init; }

    /// <summary>How long one scrape may take; the connection's command timeout by default.</summary>
    public TimeSpan? ScrapeTimeout { get; init; }
}

/// <summary>A member whose metrics could not be read at all, and why.</summary>
public sealed record EtcdMemberFailure(string Member, string MemberId, EtcdException Error);

/// <summary>What a measurement found: one report per member measured, the members that could not be, and the cluster summary.</summary>
public sealed record EtcdPerformanceResult(IReadOnlyList<EtcdMemberPerformance> Members, IReadOnlyList<EtcdMemberFailure> Failures, EtcdPerformanceSummary Summary);

/// <summary>
/// The engine of Measure-EtcdPerformance and Watch-EtcdPerformance: scrapes every member's metrics
/// at once at the start, then every interval (each member on its own schedule, so a hung member
/// delays only itself) and once more at the end, keeping per member only what a window needs.
/// Each interval of each member is handed to the caller as it completes.
/// </summary>
public sealed class EtcdPerformanceMonitor : IDisposable
{
    private readonly EtcdMetricsScraper _scraper;
    private readonly List<MemberWindow> _windows;
    private readonly EtcdPerformanceOptions _options;
    private readonly TimeSpan _timeout;
    private DateTimeOffset _start;
    private DateTimeOffset _end;

    private readonly List<EtcdMemberFailure> _unstarted;

    private EtcdPerformanceMonitor(EtcdMetricsScraper scraper, List<MemberWindow> windows, List<EtcdMemberFailure> unstarted, EtcdPerformanceOptions options,
        TimeSpan timeout, string clusterId)
    {
        _scraper = scraper;
        _windows = windows;
        _unstarted = unstarted;
        _options = options;
        _timeout = timeout;
        ClusterId = clusterId;
    }

    public string ClusterId { get; }

    /// <summary>The members measured, by name, in member-list order.</summary>
    public IReadOnlyList<string> Members => _windows.Select(w => w.Target.Name).ToList();

    /// <summary>Where each member's metrics are read, by member name.</summary>
    public IReadOnlyDictionary<string, Uri> MetricsUrls => _windows.ToDictionary(w => w.Target.Name, w => EtcdMetricsScraper.PageOf(w.Target.MetricsUrl));

    /// <summary>
    /// Finds the members (an unknown one is <see cref="EtcdErrorKind.MemberNotFound"/>) and where
    /// their metrics are. A metrics URL for no member measured, or one URL for several members,
    /// throws <see cref="ArgumentException"/> before anything is scraped.
    /// </summary>
    public static async Task<EtcdPerformanceMonitor> StartAsync(EtcdCluster cluster, EtcdPerformanceOptions options, CancellationToken cancellationToken = default)
    {
        if (options.Interval <= TimeSpan.Zero) throw new ArgumentException("The interval must be more than zero.", nameof(options));
        var (header, selected) = await cluster.SelectMembersAsync(options.Members, cancellationToken).ConfigureAwait(false);
        var all = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        var urls = EtcdMetricsScraper.ResolveMetricsUrls(options.MetricsUrls, selected);
        var scraper = new EtcdMetricsScraper(cluster.Settings, urls);
        var windows = new List<MemberWindow>();
        var unstarted = new List<EtcdMemberFailure>();
        foreach (var member in selected)
        {
            // A member added but never started has no client URL and no metrics until it starts.
            if (cluster.PreferredClientUrl(member) is not { } client)
            {
                unstarted.Add(new EtcdMemberFailure(MemberId.Format(member.ID), MemberId.Format(member.ID), new EtcdException(EtcdErrorKind.Unavailable,
                    Protocol.GrpcStatusCode.Unavailable, $"Member {MemberId.Format(member.ID)} has been added but has not started: it has no metrics yet.")));
                continue;
            }
            windows.Add(new MemberWindow(new MemberTarget(member, client, scraper.MetricsUrlOf(member, client), header.ClusterId, all.Members), options.KeepSamples));
        }
        if (windows.Count == 0)
        {
            scraper.Dispose();
            throw unstarted[0].Error;
        }
        return new EtcdPerformanceMonitor(scraper, windows, unstarted, options, options.ScrapeTimeout ?? cluster.Settings.CommandTimeout, MemberId.Format(header.ClusterId));
    }

    /// <summary>
    /// Scrapes every member now, then every interval, and a last time when <paramref name="duration"/>
    /// is over (never without one: until cancelled). <paramref name="onTick"/> gets every
    /// member's every interval and failure, from several threads at once.
    /// </summary>
    public async Task RunAsync(TimeSpan? duration, Func<EtcdPerformanceTick, ValueTask> onTick, CancellationToken cancellationToken = default)
    {
        _start = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        try
        {
            await Task.WhenAll(_windows.Select(w => RunMemberAsync(w, clock, duration, onTick, cancellationToken))).ConfigureAwait(false);
        }
        finally
        {
            _end = DateTimeOffset.Now;
        }
    }

    private async Task RunMemberAsync(MemberWindow window, Stopwatch clock, TimeSpan? duration, Func<EtcdPerformanceTick, ValueTask> onTick, CancellationToken cancellationToken)
    {
        var interval = _options.Interval;
        var last = false;
        while (true)
        {
            EtcdPerformanceTick tick;
            try
            {
                var page = await _scraper.ScrapeAsync(window.Target.MetricsUrl, _timeout, MetricsReading.Wanted, cancellationToken).ConfigureAwait(false);
                tick = window.Add(MetricsReading.From(page), page.Url, _options.Thresholds);
            }
            catch (EtcdException e)
            {
                tick = window.Fail(e, DateTimeOffset.Now);
            }
            await onTick(tick).ConfigureAwait(false);
            if (last) return;
            // The next multiple of the interval (a slow scrape skips the ones it overran), or the end, which is the last.
            var elapsed = clock.Elapsed;
            var next = TimeSpan.FromTicks(interval.Ticks * ((elapsed.Ticks / interval.Ticks) + 1));
            if (duration is { } end && next >= end)
            {
                next = end;
                last = true;
            }
            if (next > elapsed) await Task.Delay(next - elapsed, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The reports of the members read at least twice, the members that were not (with their last
    /// error), and the summary; with a <paramref name="baseline"/>, its regressions among the findings.
    /// </summary>
    public EtcdPerformanceResult GetResult(EtcdPerformanceBaseline? baseline = null)
    {
        var thresholds = _options.Thresholds;
        var reports = new List<EtcdMemberPerformance>();
        var failures = new List<EtcdMemberFailure>(_unstarted);
        foreach (var window in _windows)
        {
            if (!window.HasWindow)
            {
                failures.Add(new EtcdMemberFailure(window.Target.Name, window.Target.Id, window.LastError ?? new EtcdException(EtcdErrorKind.Timeout,
                    Protocol.GrpcStatusCode.DeadlineExceeded, $"{window.Target.Name}'s metrics were read {window.Scrapes} time(s): a window needs two readings. Measure for longer than one scrape takes.")));
                continue;
            }
            var numbers = window.WindowNumbers();
            reports.Add(PerformanceReport.Member(window, numbers, PerformanceRules.Evaluate(numbers, thresholds)));
        }
        var regressions = baseline?.Compare(reports, thresholds) ?? [];
        // A member's regressions are its findings too.
        reports = reports.Select(r => regressions.Any(f => f.Member == r.Member)
            ? r with
            {
                Findings = new([.. PerformanceRules.Ordered(r.Findings.Concat(regressions.Where(f => f.Member == r.Member)))]),
                Status = PerformanceRules.StatusOf(r.Findings.Concat(regressions.Where(f => f.Member == r.Member))),
            }
            : r).ToList();
        var summary = PerformanceReport.Summary(ClusterId, _windows.Count + _unstarted.Count, reports, failures, _start, _end, _options.Interval, baseline?.StartTime);
        return new EtcdPerformanceResult(reports, failures, summary);
    }

    /// <summary>Each member's numbers over the watch so far: intervals, bad ones, and the range of its main numbers.</summary>
    public IReadOnlyList<EtcdWatchSummary> GetWatchSummary() => _windows.Select(w => w.WatchSummary()).ToList();

    public void Dispose() => _scraper.Dispose();
}
