using System.Globalization;

namespace EtcdTools.Performance.Html;

/// <summary>Where the report's time series came from.</summary>
internal enum SampleSource
{
    None,
    Watch,
    Measure,
    Both,
}

/// <summary>
/// What a report shows, put together from whatever was given: member reports and the summary of
/// Measure-EtcdPerformance (the latest of each member and the latest summary when several runs are
/// mixed), samples of Watch-EtcdPerformance and the measurement's own intervals (one per member
/// and time), and, for what is missing, a summary and findings derived from the rest.
/// </summary>
internal sealed class ReportContent
{
    /// <summary>Colours of the members' lines: distinct on screen and in print, clear of the amber and red of thresholds.</summary>
    private static readonly string[] Palette = ["#2563eb", "#0d9488", "#9333ea", "#db2777", "#0891b2", "#65a30d", "#4f46e5", "#a16207", "#475569", "#be185d"];

    private ReportContent(EtcdPerformanceSummary summary, IReadOnlyList<EtcdMemberPerformance> members, IReadOnlyList<MemberSamples> series, IReadOnlyList<string> memberNames,
        SampleSource source, bool summaryGiven, IReadOnlyList<string> clusterIds, IReadOnlyList<string> notes, int inputReports, int inputSummaries, int inputSamples)
    {
        Summary = summary;
        Members = members;
        Series = series;
        MemberNames = memberNames;
        Source = source;
        SummaryGiven = summaryGiven;
        ClusterIds = clusterIds;
        Notes = notes;
        InputReports = inputReports;
        InputSummaries = inputSummaries;
        InputSamples = inputSamples;
        Offset = summary.StartTime != default ? summary.StartTime.Offset : series.SelectMany(s => s.Samples).Select(s => s.Timestamp.Offset).FirstOrDefault();
        var times = series.SelectMany(s => s.Samples).ToList();
        ChartStart = times.Count > 0 ? times.Min(s => s.Timestamp - TimeSpan.FromSeconds(s.IntervalSeconds)) : summary.StartTime;
        ChartEnd = times.Count > 0 ? times.Max(s => s.Timestamp) : summary.EndTime;
    }

    public EtcdPerformanceSummary Summary { get; }

    /// <summary>Member reports of a measurement by name; empty for samples alone.</summary>
    public IReadOnlyList<EtcdMemberPerformance> Members { get; }

    /// <summary>Each member's samples in time order.</summary>
    public IReadOnlyList<MemberSamples> Series { get; }

    /// <summary>Every member named anywhere, by name (etcd-2 before etcd-10): the order of tables, lines and colours.</summary>
    public IReadOnlyList<string> MemberNames { get; }

    public SampleSource Source { get; }

    /// <summary>Whether the summary is Measure-EtcdPerformance's own (else derived from the reports or the samples).</summary>
    public bool SummaryGiven { get; }

    public IReadOnlyList<string> ClusterIds { get; }

    /// <summary>Whether the input had findings whose details were not kept (read back from CSV).</summary>
    public bool FindingsLost { get; private init; }

    /// <summary>What was left out of the input, and why.</summary>
    public IReadOnlyList<string> Notes { get; }

    public int InputReports { get; }
    public int InputSummaries { get; }
    public int InputSamples { get; }

    /// <summary>The clock the report shows times in: the measurement's own.</summary>
    public TimeSpan Offset { get; }

    public DateTimeOffset ChartStart { get; }
    public DateTimeOffset ChartEnd { get; }

    public int SampleCount => Series.Sum(s => s.Samples.Count);

    public string ColourOf(string member)
    {
        var index = MemberNames.ToList().IndexOf(member);
        return Palette[(index < 0 ? 0 : index) % Palette.Length];
    }

    /// <summary>Puts a report together; at least one report, summary or sample is needed.</summary>
    public static ReportContent Build(IReadOnlyList<EtcdMemberPerformance> reports, IReadOnlyList<EtcdPerformanceSummary> summaries, IReadOnlyList<EtcdPerformanceSample> samples,
        EtcdPerformanceThresholds thresholds)
    {
        if (reports.Count == 0 && summaries.Count == 0 && samples.Count == 0)
            throw new InvalidOperationException("A report needs at least one member report, cluster summary or sample.");
        var notes = new List<string>();

        // Several runs mixed: the latest of each member, and the latest summary.
        var members = new List<EtcdMemberPerformance>();
        foreach (var group in reports.GroupBy(r => r.Member, StringComparer.Ordinal))
        {
            var latest = group.MaxBy(r => r.EndTime)!;
            members.Add(latest);
            if (group.Count() > 1)
                notes.Add($"{group.Count()} reports of {group.Key} were given: the latest (ended {latest.EndTime.ToString("u", CultureInfo.InvariantCulture)}) is shown; the samples of all are charted.");
        }
        var summary = summaries.MaxBy(s => s.EndTime);
        if (summaries.Count > 1)
            notes.Add($"{summaries.Count} cluster summaries were given: the latest (ended {summary!.EndTime.ToString("u", CultureInfo.InvariantCulture)}) is shown.");

        // The same sample given twice (a run piped in again) is charted once.
        var seen = new HashSet<EtcdPerformanceSample>();
        var kept = new List<EtcdPerformanceSample>();
        var duplicates = 0;
        foreach (var sample in samples.Concat(reports.SelectMany(r => r.Samples)))
        {
            if (seen.Add(sample)) kept.Add(sample);
            else duplicates++;
        }
        if (duplicates > 0) notes.Add($"{ReportText.Count(duplicates, "sample")} given more than once {(duplicates == 1 ? "was" : "were")} charted once.");
        var fromMeasure = reports.Sum(r => r.Samples.Count);
        var source = samples.Count > 0 ? fromMeasure > 0 ? SampleSource.Both : SampleSource.Watch : fromMeasure > 0 ? SampleSource.Measure : SampleSource.None;

        var names = members.Select(m => m.Member)
            .Concat(summary?.Findings.Select(f => f.Member).Where(n => n.Length > 0) ?? [])
            .Concat(kept.Select(s => s.Member))
            .Distinct(StringComparer.Ordinal).Order(NaturalOrder.Instance).ToList();
        members = [.. members.OrderBy(m => m.Member, NaturalOrder.Instance)];
        var series = names.Select(n => new MemberSamples(n, [.. kept.Where(s => s.Member == n).OrderBy(s => s.Timestamp)]))
            .Where(s => s.Samples.Count > 0).ToList();

        var summaryGiven = summary is not null;
        if (summary is null)
        {
            if (members.Count > 0)
            {
                var intervals = kept.Select(s => s.IntervalSeconds).Where(s => s > 0).Order().ToList();
                summary = PerformanceReport.Summary(members.Select(m => m.ClusterId).FirstOrDefault(c => c.Length > 0) ?? "", members.Count, members, [],
                    members.Min(m => m.StartTime), members.Max(m => m.EndTime), TimeSpan.FromSeconds(intervals.Count > 0 ? Math.Round(intervals[intervals.Count / 2], 1) : 0), null);
            }
            else
            {
                var offset = kept[0].Timestamp.Offset;
                summary = SampleAnalysis.Summary(series, SampleAnalysis.Findings(series, offset, thresholds));
            }
        }
        // A CSV file keeps a report's findings as one text cell: the counts and statuses survive, the findings do not.
        var findingsLost = summary.Findings.Count == 0 && (summary.CriticalCount + summary.WarningCount + summary.InfoCount > 0
            || members.Any(m => m.Status != EtcdPerformanceStatus.Ok && m.Findings.Count == 0));
        if (findingsLost && !summaryGiven) summary = summary with { Status = members.Max(m => m.Status) };
        var clusters = members.Select(m => m.ClusterId).Append(summary.ClusterId).Concat(kept.Select(s => s.ClusterId))
            .Where(c => c.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (clusters.Count > 1) notes.Add($"The input comes from {clusters.Count} clusters ({string.Join(", ", clusters)}): compare them with care.");

        return new ReportContent(summary, members, series, names, source, summaryGiven, clusters, notes, reports.Count, summaries.Count, samples.Count) { FindingsLost = findingsLost };
    }
}

/// <summary>Names in the order people read them: digit runs by their value, so etcd-2 comes before etcd-10.</summary>
internal sealed class NaturalOrder : IComparer<string>
{
    public static NaturalOrder Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null) return string.CompareOrdinal(x, y);
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                var startX = i;
                var startY = j;
                while (i < x.Length && char.IsAsciiDigit(x[i])) i++;
                while (j < y.Length && char.IsAsciiDigit(y[j])) j++;
                var digitsX = x[startX..i].TrimStart('0');
                var digitsY = y[startY..j].TrimStart('0');
                var byValue = digitsX.Length != digitsY.Length ? digitsX.Length.CompareTo(digitsY.Length) : string.CompareOrdinal(digitsX, digitsY);
                if (byValue != 0) return byValue;
                continue;
            }
            var byChar = char.ToLowerInvariant(x[i]).CompareTo(char.ToLowerInvariant(y[j]));
            if (byChar != 0) return byChar;
            i++;
            j++;
        }
        var byLength = (x.Length - i).CompareTo(y.Length - j);
        return byLength != 0 ? byLength : string.CompareOrdinal(x, y);
    }
}
