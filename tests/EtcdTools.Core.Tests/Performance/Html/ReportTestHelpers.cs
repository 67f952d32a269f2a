using System.Text.RegularExpressions;
using EtcdTools.Client;
using EtcdTools.Performance;
using EtcdTools.Performance.Html;
using static EtcdTools.Core.Tests.Performance.PerformanceTestHelpers;

namespace EtcdTools.Core.Tests.Performance.Html;

internal static partial class ReportTestHelpers
{
    /// <summary>
    /// A measurement (keeping its intervals) and a watch of the same cluster at once, for
    /// <paramref name="duration"/>, while small writes go on (or <paramref name="during"/> runs).
    /// </summary>
    public static async Task<(EtcdPerformanceResult Measure, List<EtcdPerformanceSample> Watch)> CollectAsync(EtcdConnectionSettings settings, TimeSpan duration,
        Func<CancellationToken, Task>? during = null)
    {
        using var cluster = new EtcdCluster(settings);
        using var measure = await EtcdPerformanceMonitor.StartAsync(cluster, new EtcdPerformanceOptions { Interval = TimeSpan.FromSeconds(1), KeepSamples = true });
        using var watch = await EtcdPerformanceMonitor.StartAsync(cluster, new EtcdPerformanceOptions
        {
            Interval = TimeSpan.FromSeconds(1),
            ScrapeTimeout = TimeSpan.FromSeconds(1),
        });
        var samples = new List<EtcdPerformanceSample>();
        using var stop = new CancellationTokenSource();
        var side = Task.Run(() => (during ?? (ct => WriteUntilCancelledAsync(settings, TimeSpan.FromMilliseconds(50), ct)))(stop.Token));
        try
        {
            await Task.WhenAll(
                measure.RunAsync(duration, _ => ValueTask.CompletedTask),
                watch.RunAsync(duration, tick =>
                {
                    if (tick.Sample is { } sample) lock (samples) samples.Add(sample);
                    return ValueTask.CompletedTask;
                }));
        }
        finally
        {
            await stop.CancelAsync();
            await side;
        }
        return (measure.GetResult(), samples);
    }

    public static EtcdPerformanceReport ReportOf(EtcdPerformanceResult? measure, IEnumerable<EtcdPerformanceSample>? samples, EtcdReportOptions? options = null)
    {
        var report = new EtcdPerformanceReport(options ?? new EtcdReportOptions());
        if (measure is not null)
        {
            foreach (var member in measure.Members) report.Add(member);
            report.Add(measure.Summary);
        }
        foreach (var sample in samples ?? []) report.Add(sample);
        return report;
    }

    /// <summary>Every address the page would load from: src, href, xlink:href, CSS url() and @import, other than its own CSV file beside it.</summary>
    public static IReadOnlyList<string> ExternalReferences(string html) =>
        [.. Reference().Matches(html).Select(m => m.Value).Where(r => !r.EndsWith(".csv\"", StringComparison.Ordinal))];

    [GeneratedRegex(@"(?:\b(?:src|href|xlink:href|action|poster|data)\s*=\s*""[^""]*""|url\s*\(|@import)", RegexOptions.IgnoreCase)]
    private static partial Regex Reference();

    /// <summary>The markup of the figure with this id, as the page (or Chromium's DOM) holds it.</summary>
    public static string Figure(string html, string id)
    {
        var start = html.IndexOf($"id=\"{id}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no figure {id}");
        var end = html.IndexOf("</figure>", start, StringComparison.Ordinal);
        return html[start..end];
    }

    /// <summary>A member's group in a figure: its line (class series) or its lane (class lane).</summary>
    public static string GroupOf(string figure, string group, string member)
    {
        var start = figure.IndexOf($"<g class=\"{group}\" data-member=\"{member}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {group} of {member}");
        return figure[start..figure.IndexOf("</g>", start, StringComparison.Ordinal)];
    }

    /// <summary>What each member's line in a figure draws: member name to its polyline points and dots.</summary>
    public static Dictionary<string, int> MarksPerMember(string figure)
    {
        var points = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Match series in SeriesGroup().Matches(figure))
        {
            var member = System.Net.WebUtility.HtmlDecode(series.Groups["member"].Value);
            var body = series.Groups["body"].Value;
            var count = Polyline().Matches(body).Sum(p => p.Groups["points"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length)
                + Circle().Count(body);
            points[member] = points.GetValueOrDefault(member) + count;
        }
        return points;
    }

    [GeneratedRegex(@"<g class=""series"" data-member=""(?<member>[^""]*)""[^>]*>(?<body>.*?)</g>", RegexOptions.Singleline)]
    private static partial Regex SeriesGroup();

    [GeneratedRegex(@"<polyline points=""(?<points>[^""]+)""")]
    private static partial Regex Polyline();

    [GeneratedRegex(@"<circle ")]
    private static partial Regex Circle();
}
