using System.Reflection;
using System.Text;

namespace EtcdTools.Performance.Html;

/// <summary>How a report is titled and judged.</summary>
public sealed record EtcdReportOptions
{
    public string Title { get; init; } = "etcd performance report";

    /// <summary>The limits of the threshold lines, the colours of the tables, and the findings derived from samples alone.</summary>
    public EtcdPerformanceThresholds Thresholds { get; init; } = EtcdPerformanceThresholds.Default;

    /// <summary>What made the report, for its footer.</summary>
    public string Generator { get; init; } = "EtcdTools";
}

/// <summary>The files a report was written to.</summary>
public sealed record EtcdReportFiles(string HtmlPath, string CsvPath);

/// <summary>
/// A performance report to hand on: one self-contained HTML page from Measure-EtcdPerformance's
/// reports and summary and/or Watch-EtcdPerformance's samples, and the samples as CSV beside it.
/// Add the input, then <see cref="Save"/>.
/// </summary>
public sealed class EtcdPerformanceReport(EtcdReportOptions options)
{
    private readonly List<EtcdMemberPerformance> _reports = [];
    private readonly List<EtcdPerformanceSummary> _summaries = [];
    private readonly List<EtcdPerformanceSample> _samples = [];
    private ReportContent? _content;

    public EtcdReportOptions Options { get; } = options;

    public bool IsEmpty => _reports.Count == 0 && _summaries.Count == 0 && _samples.Count == 0;

    public void Add(EtcdMemberPerformance report) => Added(_reports, report);

    public void Add(EtcdPerformanceSummary summary) => Added(_summaries, summary);

    public void Add(EtcdPerformanceSample sample) => Added(_samples, sample);

    private void Added<T>(List<T> list, T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        list.Add(item);
        _content = null;
    }

    /// <summary>What was left out of the input (older runs of a member, repeated samples, several clusters), as sentences.</summary>
    public IReadOnlyList<string> Notes => Content.Notes;

    /// <summary>Refuses a report path that would be its own CSV file.</summary>
    public static void CheckPath(string htmlPath)
    {
        if (string.Equals(Path.GetExtension(htmlPath), ".csv", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"'{htmlPath}' ends in .csv, the name of the samples' file beside the report: give the report a name ending in .html.", nameof(htmlPath));
    }

    /// <summary>The CSV file beside an HTML file: the same name ending in .csv.</summary>
    public static string CsvPathOf(string htmlPath) => Path.ChangeExtension(htmlPath, ".csv");

    private ReportContent Content => _content ??= IsEmpty
        ? throw new InvalidOperationException("Nothing to report: add Measure-EtcdPerformance's reports or summary, or Watch-EtcdPerformance's samples.")
        : ReportContent.Build(_reports, _summaries, _samples, Options.Thresholds);

    /// <summary>The page, linking to its CSV file by <paramref name="csvFileName"/>.</summary>
    public string ToHtml(string csvFileName, DateTimeOffset generatedAt) => new PerformanceHtml(Content, Options, csvFileName, generatedAt, Version).Render();

    /// <summary>Every sample of the report, in time order, members in the report's order.</summary>
    public string ToCsv()
    {
        var content = Content;
        return SampleCsv.Write(content.Series.SelectMany(s => s.Samples).OrderBy(s => s.Timestamp).ThenBy(s => content.MemberNames.ToList().IndexOf(s.Member)));
    }

    /// <summary>
    /// Writes the page to <paramref name="htmlPath"/> and the samples beside it, each to a
    /// temporary file in the same directory renamed over the target, so a reader never sees half a
    /// report. Without <paramref name="overwrite"/>, an existing file is an <see cref="IOException"/>.
    /// </summary>
    public EtcdReportFiles Save(string htmlPath, bool overwrite)
    {
        CheckPath(htmlPath);
        var full = Path.GetFullPath(htmlPath);
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"The directory '{directory}' does not exist: create it or give another path.");
        var csv = CsvPathOf(full);
        if (!overwrite)
        {
            foreach (var path in new[] { full, csv })
                if (File.Exists(path)) throw new IOException($"'{path}' exists: give -Force to overwrite it, or another path.");
        }
        var html = ToHtml(Path.GetFileName(csv), DateTimeOffset.Now);
        WriteAtomically(csv, ToCsv(), overwrite);
        WriteAtomically(full, html, overwrite);
        return new EtcdReportFiles(full, csv);
    }

    private static void WriteAtomically(string path, string text, bool overwrite)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    private static string Version { get; } = typeof(EtcdPerformanceReport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(EtcdPerformanceReport).Assembly.GetName().Version?.ToString() ?? "";
}
