using System.Globalization;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Performance;
using EtcdTools.Performance.Html;
using Xunit.Abstractions;
using static EtcdTools.Core.Tests.Performance.Html.ReportTestHelpers;

namespace EtcdTools.Core.Tests.Performance.Html;

/// <summary>
/// Reports of real measurements and watches of the shared TLS cluster (reading metrics changes
/// nothing), written to files and opened in headless Chromium: drawn, self-contained, escaped.
/// </summary>
[Collection("tls-cluster")]
public sealed class ReportRenderingTests(TlsClusterFixture fixture, ITestOutputHelper output) : IDisposable
{
    private static readonly string[] LineCharts = ["wal-fsync", "backend-commit", "proposals", "grpc", "db-size", "cpu", "rss"];

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("etcdtools-report-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task AReportOfAMeasurementAndAWatchRendersInChromiumWithEveryMembersLineOnEveryChart()
    {
        var (measure, watch) = await CollectAsync(fixture.Sandbox.ConnectionSettings, TimeSpan.FromSeconds(4));
        var members = measure.Members.Select(m => m.Member).Order(NaturalOrder.Instance).ToList();
        Assert.Equal(3, members.Count);
        var report = ReportOf(measure, watch);
        var files = report.Save(Path.Combine(_directory.FullName, "report.html"), overwrite: false);
        Assert.Equal(Path.Combine(_directory.FullName, "report.csv"), files.CsvPath);
        // Nothing but the two files: the temporary files were renamed into place.
        Assert.Equal(["report.csv", "report.html"], _directory.GetFiles().Select(f => f.Name).Order());

        var html = await File.ReadAllTextAsync(files.HtmlPath);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Empty(ExternalReferences(html));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Content-Security-Policy", html, StringComparison.Ordinal);
        Assert.Contains(HtmlWriter.Escape(measure.Summary.VerdictReason), html, StringComparison.Ordinal);

        // The CSV: a header and one row per member and interval, the measurement's and the watch's.
        var rows = (await File.ReadAllLinesAsync(files.CsvPath)).ToList();
        Assert.StartsWith("\"Timestamp\",\"Member\",\"MemberId\",\"ClusterId\",\"IntervalSeconds\",\"Status\"", rows[0], StringComparison.Ordinal);
        Assert.Equal(watch.Count + measure.Members.Sum(m => m.Samples.Count), rows.Count - 1);

        // Chromium draws it: far from a blank page, with each member's colour in the legends.
        var blank = Path.Combine(_directory.FullName, "blank.html");
        await File.WriteAllTextAsync(blank, "<!DOCTYPE html><html><body></body></html>");
        var empty = PngImage.Decode(await Chromium.ScreenshotAsync(blank));
        var shot = PngImage.Decode(await Chromium.ScreenshotAsync(files.HtmlPath, 8000));
        output.WriteLine($"screenshot {shot.Width}x{shot.Height}: {shot.DistinctColours} colours, {shot.InkShare:P1} ink; blank page {empty.DistinctColours} colour(s)");
        Assert.Equal((1280, 8000), (shot.Width, shot.Height));
        Assert.True(empty.DistinctColours <= 2 && empty.InkShare < 0.01, $"the blank page has {empty.DistinctColours} colours");
        Assert.True(shot.DistinctColours > 200, $"{shot.DistinctColours} colours");
        Assert.True(shot.InkShare > 0.03, $"{shot.InkShare:P1} of the page is not white");
        var colours = shot.Pixels.ToHashSet();
        foreach (var colour in new uint[] { 0x2563EB, 0x0D9488, 0x9333EA })
            Assert.True(colours.Contains(colour), $"no pixel of the member colour #{colour:X6}");

        // The DOM Chromium built: every line chart has each member's line, the leadership chart a lane each.
        var dom = await Chromium.DumpDomAsync(files.HtmlPath);
        Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(ExternalReferences(dom));
        foreach (var chart in LineCharts)
        {
            var marks = MarksPerMember(Figure(dom, chart));
            output.WriteLine($"{chart}: {string.Join(", ", marks.Select(m => $"{m.Key} {m.Value}"))}");
            Assert.Equal(members, marks.Keys.Order(NaturalOrder.Instance));
            Assert.All(marks, m => Assert.True(m.Value >= 2, $"{chart}: {m.Key} has {m.Value} marks"));
        }
        var leadership = Figure(dom, "leadership");
        Assert.All(members, m => Assert.Contains($"data-member=\"{m}\"", leadership, StringComparison.Ordinal));
        Assert.Contains("class=\"span leader\"", leadership, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextFromTheInputIsEscapedEverywhereItAppears()
    {
        var (measure, watch) = await CollectAsync(fixture.Sandbox.ConnectionSettings, TimeSpan.FromSeconds(3));
        const string Hostile = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>&amp;";
        var first = measure.Members[0].Member;
        string Rename(string member) => member == first ? Hostile + member : member;
        var finding = new EtcdPerformanceFinding
        {
            Severity = EtcdFindingSeverity.Warning,
            Area = EtcdPerformanceArea.Disk,
            Member = Rename(first),
            Check = "WalFsyncP99",
            Title = "Title <b>bold</b>",
            Evidence = "Evidence </td></tr></table><script>alert(2)</script>",
            Recommendation = "Do <a href=\"http://example.com/\">this</a>",
            Value = 20,
            Threshold = 10,
        };
        var report = new EtcdPerformanceReport(new EtcdReportOptions { Title = "Report <style>body{display:none}</style>" });
        foreach (var member in measure.Members)
            report.Add(member with { Member = Rename(member.Member), Version = "3.4.23<br>", MissingMetrics = "apply duration (<i>x</i>)", Samples = new([.. member.Samples.Select(s => s with { Member = Rename(s.Member) })]) });
        report.Add(measure.Summary with { VerdictReason = "Reason <iframe src=\"http://example.com\">", Leader = Rename(measure.Summary.Leader), Findings = new([finding]) });
        foreach (var sample in watch) report.Add(sample with { Member = Rename(sample.Member), Error = sample.Member == first ? "<b>unreadable</b>" : "" });

        var files = report.Save(Path.Combine(_directory.FullName, "hostile.html"), overwrite: false);
        var html = await File.ReadAllTextAsync(files.HtmlPath);
        foreach (var tag in new[] { "<script", "<img", "<iframe", "<b>", "<i>", "3.4.23<br>", "<a href=\"http", "<style>body" })
            Assert.DoesNotContain(tag, html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("etcd 3.4.23&lt;br&gt;", html, StringComparison.Ordinal);
        Assert.Empty(ExternalReferences(html));
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp;", html, StringComparison.Ordinal);
        Assert.Contains("Evidence &lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<h1>Report &lt;style&gt;body{display:none}&lt;/style&gt;</h1>", html, StringComparison.Ordinal);
        // In attributes too: the chart's series, the leadership lane.
        Assert.Contains("data-member=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;", html, StringComparison.Ordinal);

        // As the browser parses it: the hostile text is text, in the tables and in the charts' attributes.
        var dom = await Chromium.DumpDomAsync(files.HtmlPath);
        foreach (var tag in new[] { "<script", "<img", "<iframe", "<b>", "<i>" })
            Assert.DoesNotContain(tag, dom, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Title &lt;b&gt;bold&lt;/b&gt;", dom, StringComparison.Ordinal);
        var shot = PngImage.Decode(await Chromium.ScreenshotAsync(files.HtmlPath));
        Assert.True(shot.InkShare > 0.03, "the page is blank: the style in the title hid it");
        // The CSV keeps the text as it was, quoted.
        Assert.Contains("\"" + Hostile.Replace("\"", "\"\"", StringComparison.Ordinal) + first + "\"", await File.ReadAllTextAsync(files.CsvPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMeasurementAloneIsChartedFromItsOwnIntervalsAndWithoutThemSaysThereIsNoTimeSeries()
    {
        var (measure, _) = await CollectAsync(fixture.Sandbox.ConnectionSettings, TimeSpan.FromSeconds(3));
        var html = ReportOf(measure, null).ToHtml("m.csv", DateTimeOffset.Now);
        Assert.Matches(@"\d+ intervals of the measurement, one per member about every 1 s", html);
        foreach (var chart in LineCharts)
            Assert.Equal(3, MarksPerMember(Figure(html, chart)).Count(m => m.Value > 0));
        // etcd 3.4 has no apply histogram: n/a, and why under the table.
        Assert.Contains("<td class=\"num first-of-group na\" title=\"apply duration (etcd_server_apply_duration_seconds: etcd 3.5 and later)\">n/a</td>", html, StringComparison.Ordinal);
        Assert.Contains("apply duration (etcd_server_apply_duration_seconds: etcd 3.5 and later) — every member.", html, StringComparison.Ordinal);

        // Kept without its intervals (as Import-Csv reads a report back): the tables, and a plain word instead of charts.
        var bare = new EtcdPerformanceReport(new EtcdReportOptions());
        foreach (var member in measure.Members) bare.Add(member with { Samples = new([]) });
        var withoutSamples = bare.ToHtml("m.csv", DateTimeOffset.Now);
        Assert.Contains("No time series: the input holds no samples.", withoutSamples, StringComparison.Ordinal);
        Assert.DoesNotContain("<svg", withoutSamples, StringComparison.Ordinal);
        Assert.Contains("No cluster summary was given: the verdict and findings were derived from the member reports.", withoutSamples, StringComparison.Ordinal);
        Assert.Contains("Latency percentiles per member", withoutSamples, StringComparison.Ordinal);
        Assert.Equal("\"Timestamp\"", bare.ToCsv().Split(',')[0]);
        Assert.Single(bare.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task WatchSamplesAloneGiveTheVerdictAndFindingsByTheThresholds()
    {
        var (_, watch) = await CollectAsync(fixture.Sandbox.ConnectionSettings, TimeSpan.FromSeconds(4));
        var healthy = ReportOf(null, watch).ToHtml("w.csv", DateTimeOffset.Now);
        Assert.Contains("Members over the samples", healthy, StringComparison.Ordinal);
        Assert.Contains("No Measure-EtcdPerformance result was given: the verdict and findings were derived from the samples.", healthy, StringComparison.Ordinal);

        // Limits every real fsync crosses: each member's WAL fsync is a Warning in most intervals, and the verdict is Disk.
        var strict = new EtcdReportOptions { Thresholds = EtcdPerformanceThresholds.FromDictionary(new Dictionary<string, object> { ["WalFsyncP99WarningMs"] = 0.001 }) };
        var report = ReportOf(null, watch, strict);
        var html = report.ToHtml("w.csv", DateTimeOffset.Now);
        Assert.Contains("<h2>Bottleneck: Disk</h2>", html, StringComparison.Ordinal);
        foreach (var member in watch.Select(s => s.Member).Distinct())
            Assert.Contains($"<span class=\"badge warning\">Warning</span></td><td>Disk</td><td class=\"member\">{member}</td><td class=\"finding-title\">WAL fsync p99 reached", html, StringComparison.Ordinal);
        Assert.Contains("(WalFsyncP99Ms of the samples)", html, StringComparison.Ordinal);
        Assert.Contains("class=\"limit healthy\"", Figure(html, "wal-fsync"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SavingRefusesToOverwriteWithoutLeaveAndNamesTheFile()
    {
        var (_, watch) = await CollectAsync(fixture.Sandbox.ConnectionSettings, TimeSpan.FromSeconds(2));
        var report = ReportOf(null, watch);
        var path = Path.Combine(_directory.FullName, "r.html");
        await File.WriteAllTextAsync(path, "earlier");
        var refused = Assert.Throws<IOException>(() => report.Save(path, overwrite: false));
        Assert.Contains(path, refused.Message, StringComparison.Ordinal);
        Assert.Equal("earlier", await File.ReadAllTextAsync(path));
        Assert.False(File.Exists(Path.ChangeExtension(path, ".csv")));

        report.Save(path, overwrite: true);
        Assert.StartsWith("<!DOCTYPE html>", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
        Assert.Equal(["r.csv", "r.html"], _directory.GetFiles().Select(f => f.Name).Order());

        Assert.Throws<ArgumentException>(() => report.Save(Path.Combine(_directory.FullName, "r.csv"), overwrite: true));
        Assert.Throws<DirectoryNotFoundException>(() => report.Save(Path.Combine(_directory.FullName, "missing", "r.html"), overwrite: true));
        var empty = new EtcdPerformanceReport(new EtcdReportOptions());
        Assert.True(empty.IsEmpty);
        Assert.Contains("Nothing to report", Assert.Throws<InvalidOperationException>(() => empty.Save(path, overwrite: true)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSameRunGivenTwiceIsReportedOnceAndSaysSo()
    {
        var (measure, watch) = await CollectAsync(fixture.Sandbox.ConnectionSettings, TimeSpan.FromSeconds(2));
        var report = ReportOf(measure, watch.Concat(watch));
        foreach (var member in measure.Members) report.Add(member);
        report.Add(measure.Summary);

        var csv = report.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + watch.Count + measure.Members.Sum(m => m.Samples.Count), csv.Length);
        Assert.Contains($"{watch.Count + measure.Members.Sum(m => m.Samples.Count)} samples given more than once were charted once.", report.Notes);
        Assert.Contains("2 cluster summaries were given: the latest", report.Notes[^2], StringComparison.Ordinal);
        Assert.All(measure.Members, m => Assert.Contains(report.Notes, n => n.StartsWith($"2 reports of {m.Member} were given: the latest", StringComparison.Ordinal)));
        // Each member once in the tables.
        var html = report.ToHtml("twice.csv", DateTimeOffset.Now);
        Assert.All(measure.Members, m => Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, $"<span class=\"member-name\">{m.Member}</span>")));
    }

    [Fact]
    public async Task SamplesWrittenAsCsvReadBackIntoTheSameSamples()
    {
        var (_, watch) = await CollectAsync(fixture.Sandbox.ConnectionSettings, TimeSpan.FromSeconds(2));
        var csv = ReportOf(null, watch).ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = Cells(csv[0]);
        var read = csv.Skip(1).Select(line => EtcdPerformanceRecords.Sample(
            header.Zip(Cells(line), (name, value) => (name, value)).ToDictionary(c => c.name, c => (object?)c.value), CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(watch.OrderBy(s => s.Timestamp).ThenBy(s => s.Member, NaturalOrder.Instance), read);
        Assert.Equal(EtcdPerformanceRecordKind.Sample, EtcdPerformanceRecords.KindOf([], header));
        Assert.Equal(EtcdPerformanceRecordKind.Summary, EtcdPerformanceRecords.KindOf(["Deserialized.EtcdTools.Performance.EtcdPerformanceSummary", "Deserialized.System.Object"], []));
        Assert.Equal(EtcdPerformanceRecordKind.None, EtcdPerformanceRecords.KindOf(["System.IO.FileInfo"], ["Name", "Length"]));
        var bad = Assert.Throws<FormatException>(() => EtcdPerformanceRecords.Sample(new Dictionary<string, object?> { ["Member"] = "m", ["WalFsyncP99Ms"] = "fast" }, CultureInfo.InvariantCulture));
        Assert.Equal("WalFsyncP99Ms 'fast' is not a number.", bad.Message);
    }

    /// <summary>The cells of one line as Export-Csv quotes them ("a","b",,"c""d").</summary>
    private static List<string> Cells(string line)
    {
        var cells = new List<string>();
        var i = 0;
        while (i <= line.Length)
        {
            if (i < line.Length && line[i] == '"')
            {
                var text = new System.Text.StringBuilder();
                for (i++; i < line.Length; i++)
                {
                    if (line[i] == '"' && i + 1 < line.Length && line[i + 1] == '"') { text.Append('"'); i++; }
                    else if (line[i] == '"') break;
                    else text.Append(line[i]);
                }
                cells.Add(text.ToString());
                i += 2;
            }
            else
            {
                var end = line.IndexOf(',', i);
                cells.Add(end < 0 ? line[i..] : line[i..end]);
                i = end < 0 ? line.Length + 1 : end + 1;
            }
        }
        return cells;
    }
}
