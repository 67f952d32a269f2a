namespace EtcdTools.Performance.Html;

/// <summary>
/// The report as one HTML page: the executive summary (verdict, the facts of the window, the top
/// findings with evidence and advice), per-member tables, every finding, the time-series charts as
/// inline SVG, and a footer saying how it was made. Self-contained: inline CSS, no script, no
/// external resource (a Content-Security-Policy says so to the browser too).
/// </summary>
internal sealed class PerformanceHtml(ReportContent content, EtcdReportOptions options, string csvFileName, DateTimeOffset generatedAt, string version)
{
    /// <summary>Findings shown in the executive summary; the rest are in the findings table.</summary>
    public const int TopFindings = 5;

    private const string NotAvailable = "n/a";

    private const string LostFindings =
        "The findings were not kept in this input: a CSV file keeps them as one text cell. The statuses and numbers are shown; keep Measure-EtcdPerformance's output with Export-Clixml to see the findings, their evidence and what to do.";

    private readonly EtcdPerformanceThresholds _t = options.Thresholds;
    private readonly TimeSpan _offset = content.Offset;
    private EtcdPerformanceSummary Summary => content.Summary;

    private sealed record ChartSpec(string Id, string Title, string Note, ChartUnit Unit, Func<EtcdPerformanceSample, double?> Value, bool IncludeZero,
        IReadOnlyList<ChartLine> Lines, string Empty);

    public string Render()
    {
        var html = new HtmlWriter();
        html.Trusted("<!DOCTYPE html>\n");
        html.Open("html", ("lang", "en"));
        html.Open("head");
        html.Empty("meta", ("charset", "utf-8"));
        // Nothing to fetch, nothing to run: the browser is told so, whatever the text holds.
        html.Empty("meta", ("http-equiv", "Content-Security-Policy"), ("content", "default-src 'none'; style-src 'unsafe-inline'; img-src data:"));
        html.Empty("meta", ("name", "viewport"), ("content", "width=device-width, initial-scale=1"));
        html.Empty("meta", ("name", "generator"), ("content", "EtcdTools " + version));
        html.Element("title", options.Title + (content.ClusterIds.Count > 0 ? " — cluster " + string.Join(", ", content.ClusterIds) : ""));
        html.Open("style").Trusted(Css).Close();
        html.Close().Line();
        html.Open("body").Open("main");
        Header(html);
        Verdict(html);
        TopFindingsSection(html);
        if (content.Members.Count > 0)
        {
            LatencyTable(html);
            PeerTable(html);
            DetailTable(html);
        }
        else if (content.Series.Count > 0)
        {
            SampleTable(html);
        }
        FindingsTable(html);
        Charts(html);
        Footer(html);
        html.Close().Close().Close().Line();
        return html.ToString();
    }

    private void Header(HtmlWriter html)
    {
        html.Open("header", ("class", "report-header"));
        html.Element("p", "etcd performance report", ("class", "eyebrow"));
        html.Element("h1", options.Title);
        html.Open("p", ("class", "subtitle"));
        if (content.ClusterIds.Count > 0)
        {
            html.Text(content.ClusterIds.Count == 1 ? "Cluster " : "Clusters ");
            html.Element("code", string.Join(", ", content.ClusterIds));
            html.Text(" · ");
        }
        html.Text(ReportText.Window(Summary.StartTime, Summary.EndTime, _offset) + " · " + ReportText.Count(content.MemberNames.Count, "member"));
        html.Close();
        html.Close().Line();
    }

    private void Verdict(HtmlWriter html)
    {
        var status = Summary.Status.ToString().ToLowerInvariant();
        html.Open("section", ("class", "verdict " + status), ("aria-label", "Verdict"));
        html.Open("div", ("class", "verdict-head"));
        html.Element("span", "Verdict", ("class", "label"));
        html.Element("span", Summary.Status.ToString(), ("class", "badge " + status));
        html.Close();
        if (content.FindingsLost && !content.SummaryGiven)
        {
            html.Element("h2", "Bottleneck not known");
            html.Element("p", $"The input does not hold the members' findings (a CSV file keeps them as one text cell), so the bottleneck cannot be named; the members' worst status is {Summary.Status}. " +
                "Keep Measure-EtcdPerformance's output with Export-Clixml to report it in full.", ("class", "reason"));
        }
        else
        {
            html.Element("h2", Summary.Verdict == EtcdBottleneck.Healthy ? "Healthy" : $"Bottleneck: {Headline(Summary.Verdict)}");
            html.Element("p", Summary.VerdictReason, ("class", "reason"));
        }

        html.Open("dl", ("class", "facts"));
        Fact(html, "Time window", ReportText.Window(Summary.StartTime, Summary.EndTime, _offset),
            Format.Seconds(Summary.DurationSeconds) + (Summary.IntervalSeconds > 0 ? $", every {Format.Seconds(Summary.IntervalSeconds)}" : ""));
        var leader = Summary.Leader;
        var members = content.MemberNames.Select(n => n == leader ? n + " (leader)" : n).ToList();
        Fact(html, "Members", ReportText.List(members),
            Summary.Members > 0 ? $"{Summary.MembersMeasured} of {Summary.Members} {(content.SummaryGiven || content.Members.Count > 0 ? "measured" : "read")}" : null);
        Fact(html, "Leader changes", Format.Count(Summary.LeaderChanges), leader.Length > 0 ? $"leader at the end: {leader}" : "no leader seen");
        if (Summary.ProposalsCommittedPerSec is { } writes) Fact(html, "Write rate", Format.Number(writes, "0.#") + " proposals/s", "committed, by the leader");
        if (Summary.GrpcRequestsPerSec is { } requests)
            Fact(html, "gRPC requests", Format.Number(requests, "0.#") + "/s", Summary.GrpcFailurePercent is { } failed ? $"{Format.Number(failed, "0.##")}% failed" : "all members");
        var quota = Summary.QuotaBytes ?? content.Members.Select(m => m.QuotaBytes).FirstOrDefault(q => q is not null);
        if (Summary.DbSizeMaxBytes is { } db)
            Fact(html, "Database", Format.Bytes(db), quota is { } q and > 0 ? $"{Format.Number(100.0 * db / q, "0.#")}% of the {Format.Bytes(q)} quota" : "largest member");
        Fact(html, "Findings", Summary.CriticalCount + Summary.WarningCount + Summary.InfoCount == 0 ? "none"
            : string.Join(", ", new[] { (Summary.CriticalCount, "critical", "critical"), (Summary.WarningCount, "warning", "warnings"), (Summary.InfoCount, "info", "info") }
                .Where(c => c.Item1 > 0).Select(c => ReportText.Count(c.Item1, c.Item2, c.Item3))), null);
        Fact(html, "Source", SourceText(), Summary.BaselineStartTime is { } baseline ? $"compared with a baseline of {ReportText.DateTime(baseline, _offset)}" : null);
        html.Close();
        html.Close().Line();
    }

    private static string Headline(EtcdBottleneck verdict) => verdict switch
    {
        EtcdBottleneck.Cpu => "CPU",
        _ => verdict.ToString(),
    };

    private string SourceText()
    {
        var parts = new List<string>();
        if (content.InputReports > 0 || content.InputSummaries > 0) parts.Add("Measure-EtcdPerformance");
        if (content.InputSamples > 0) parts.Add("Watch-EtcdPerformance samples");
        return string.Join(" and ", parts);
    }

    private static void Fact(HtmlWriter html, string name, string value, string? detail)
    {
        html.Open("div");
        html.Element("dt", name);
        html.Open("dd").Text(value);
        if (detail is not null) html.Empty("br").Element("small", detail, ("class", "muted"));
        html.Close();
        html.Close();
    }

    private void TopFindingsSection(HtmlWriter html)
    {
        html.Open("section", ("class", "top-findings"));
        html.Element("h2", "Top findings");
        var findings = Summary.Findings;
        if (content.FindingsLost)
        {
            html.Element("p", LostFindings, ("class", "empty"));
            html.Close().Line();
            return;
        }
        if (findings.Count == 0)
        {
            html.Element("p", content.SummaryGiven || content.Members.Count > 0
                ? "No findings: every number was within its healthy limit."
                : "No findings: no interval of any member crossed a threshold.", ("class", "empty"));
            html.Close().Line();
            return;
        }
        // The same check on several members reads as one finding: the worst first, each member's evidence.
        var groups = findings.GroupBy(f => (f.Severity, f.Area, f.Check)).ToList();
        html.Open("ol", ("class", "top"));
        foreach (var group in groups.Take(TopFindings))
        {
            var worst = group.MaxBy(f => (f.Value is { } v && f.Threshold is > 0 ? v / f.Threshold.Value : 0, f.Value ?? 0))!;
            var severity = worst.Severity.ToString().ToLowerInvariant();
            html.Open("li", ("class", severity));
            FindingHead(html, worst, [.. group.Select(f => f.Member)]);
            html.Element("p", worst.Title, ("class", "finding-title"));
            if (group.Count() == 1)
            {
                html.Open("p", ("class", "evidence")).Element("span", "Evidence", ("class", "tag")).Text(worst.Evidence).Close();
            }
            else
            {
                html.Open("div", ("class", "evidence")).Element("span", "Evidence", ("class", "tag"));
                html.Open("ul");
                foreach (var f in group.OrderByDescending(f => ReferenceEquals(f, worst)).ThenBy(f => f.Member, NaturalOrder.Instance))
                    html.Open("li").Element("strong", f.Member.Length > 0 ? f.Member : "cluster").Text(": " + (f.Title == worst.Title ? "" : f.Title + ". ") + f.Evidence).Close();
                html.Close().Close();
            }
            html.Open("p", ("class", "advice")).Element("span", "What to do", ("class", "tag")).Text(worst.Recommendation).Close();
            html.Close();
        }
        html.Close();
        var rest = groups.Skip(TopFindings).Sum(g => g.Count());
        if (rest > 0)
            html.Element("p", $"{ReportText.Count(rest, "more finding")} in the table of all findings below.", ("class", "muted"));
        html.Close().Line();
    }

    private static void FindingHead(HtmlWriter html, EtcdPerformanceFinding finding, IReadOnlyList<string> members)
    {
        html.Open("div", ("class", "finding-head"));
        html.Element("span", finding.Severity.ToString(), ("class", "badge " + finding.Severity.ToString().ToLowerInvariant()));
        html.Element("span", finding.Area.ToString(), ("class", "area"));
        html.Element("span", ReportText.List([.. members.Select(m => m.Length > 0 ? m : "cluster")]), ("class", "member"));
        html.Close();
    }

    /// <summary>The latency percentiles of a measurement, p99 judged against its limits.</summary>
    private void LatencyTable(HtmlWriter html)
    {
        html.Open("section");
        html.Element("h2", "Latency percentiles per member");
        html.Element("p", $"From etcd's own histograms over each member's window; the p99 is judged against the thresholds (warning at the healthy limit, critical at the etcd mixin's alert level).",
            ("class", "muted"));
        var groups = new (string Title, double? Healthy, double? Critical)[]
        {
            ("WAL fsync", _t.WalFsyncP99WarningMs, _t.WalFsyncP99CriticalMs),
            ("Backend commit", _t.BackendCommitP99WarningMs, _t.BackendCommitP99CriticalMs),
            ("Peer round trip (slowest peer)", _t.PeerRttP99WarningMs, _t.PeerRttP99CriticalMs),
            ("Apply", _t.ApplyP99WarningMs, _t.ApplyP99CriticalMs),
        };
        html.Open("div", ("class", "table-wrap")).Open("table", ("class", "latency"));
        html.Open("thead").Open("tr");
        html.Element("th", "Member", ("rowspan", "2"));
        html.Element("th", "Status", ("rowspan", "2"));
        foreach (var (title, healthy, critical) in groups)
        {
            html.Open("th", ("colspan", "3"), ("class", "group"));
            html.Text(title);
            html.Element("span", $"healthy < {Format.Milliseconds(healthy)} · critical ≥ {Format.Milliseconds(critical)}", ("class", "limits"));
            html.Close();
        }
        html.Close().Open("tr");
        foreach (var _ in groups)
        {
            html.Element("th", "p50", ("class", "num first-of-group"));
            html.Element("th", "p95", ("class", "num"));
            html.Element("th", "p99", ("class", "num"));
        }
        html.Close().Close();
        html.Open("tbody");
        foreach (var m in content.Members)
        {
            html.Open("tr");
            MemberCell(html, m.Member, m.IsLeader, m.Version);
            html.Open("td").Element("span", m.Status.ToString(), ("class", "badge " + m.Status.ToString().ToLowerInvariant())).Close();
            var slowest = m.PeerRoundTrips.Where(p => p.P99Ms is not null).MaxBy(p => p.P99Ms);
            var peerWhy = m.PeerRoundTrips.Count > 0 ? "no round trip to a peer in the window (etcd probes each peer about every 30 s)" : Missing(m, "peer round trips");
            LatencyCells(html, m.WalFsyncP50Ms, m.WalFsyncP95Ms, m.WalFsyncP99Ms, groups[0], Missing(m, "WAL fsync") ?? "no fsync in the window", null);
            LatencyCells(html, m.BackendCommitP50Ms, m.BackendCommitP95Ms, m.BackendCommitP99Ms, groups[1], Missing(m, "backend commit") ?? "no commit in the window", null);
            LatencyCells(html, slowest?.P50Ms, slowest?.P95Ms, slowest?.P99Ms ?? m.PeerRttP99Ms, groups[2], peerWhy ?? "no round trip in the window",
                slowest is null ? null : $"to {slowest.Peer}, {ReportText.Count(slowest.Count, "probe")}");
            LatencyCells(html, m.ApplyP50Ms, m.ApplyP95Ms, m.ApplyP99Ms, groups[3], Missing(m, "apply duration") ?? "no apply in the window", null);
            html.Close();
        }
        html.Close().Close().Close();

        var missing = content.Members.SelectMany(m => m.MissingMetrics.Split("; ", StringSplitOptions.RemoveEmptyEntries).Select(item => (m.Member, item)))
            .GroupBy(x => x.item, StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            html.Open("ul", ("class", "notes"));
            foreach (var group in missing)
            {
                var who = group.Count() == content.Members.Count ? "every member" : ReportText.List([.. group.Select(x => x.Member)]);
                html.Open("li").Element("strong", NotAvailable).Text($": {group.Key} — {who}.").Close();
            }
            html.Close();
        }
        html.Close().Line();
    }

    /// <summary>Why a member lacks a metric, from its MissingMetrics ("apply duration (...)"); null when it does not say.</summary>
    private static string? Missing(EtcdMemberPerformance m, string what) =>
        m.MissingMetrics.Split("; ", StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(item => item.StartsWith(what, StringComparison.OrdinalIgnoreCase));

    private static void MemberCell(HtmlWriter html, string member, bool isLeader, string version)
    {
        html.Open("td", ("class", "member-cell"));
        html.Element("span", member, ("class", "member-name"));
        if (isLeader) html.Element("span", "leader", ("class", "pill"));
        if (version.Length > 0) html.Empty("br").Element("small", "etcd " + version, ("class", "muted"));
        html.Close();
    }

    private static void LatencyCells(HtmlWriter html, double? p50, double? p95, double? p99, (string Title, double? Healthy, double? Critical) limits, string why, string? about)
    {
        Cell(html, p50, null, null, why, "num first-of-group");
        Cell(html, p95, null, null, why, "num");
        Cell(html, p99, limits.Healthy, limits.Critical, why, "num", about);
    }

    /// <summary>A number cell; with limits, coloured by its status and saying it on hover.</summary>
    private static void Cell(HtmlWriter html, double? ms, double? healthy, double? critical, string why, string classes, string? about = null)
    {
        if (ms is not { } value)
        {
            html.Element("td", NotAvailable, ("class", classes + " na"), ("title", why));
            return;
        }
        var (status, hint) = Judge(value, healthy, critical, v => Format.Milliseconds(v));
        html.Element("td", Format.Milliseconds(value), ("class", classes + (status is null ? "" : " " + status)),
            ("title", string.Join("; ", new[] { about, hint }.Where(t => t is not null))));
    }

    /// <summary>The status class of a value against its limits, and the words for it.</summary>
    private static (string? Status, string? Hint) Judge(double value, double? healthy, double? critical, Func<double, string> show) =>
        healthy is not { } h ? (null, null)
        : critical is { } c && value >= c ? ("critical", $"critical: at or above {show(c)}")
        : value >= h ? ("warning", $"warning: at or above the healthy limit {show(h)}")
        : ("ok", $"healthy: below {show(h)}");

    private void PeerTable(HtmlWriter html)
    {
        var peers = content.Members.SelectMany(m => m.PeerRoundTrips).ToList();
        if (peers.Count == 0) return;
        html.Open("section");
        html.Element("h2", "Peer round trips");
        html.Element("p", "Each member's round trips to each peer (etcd_network_peer_round_trip_time_seconds): etcd probes every peer about every 30 s, so a short window may have few.",
            ("class", "muted"));
        html.Open("div", ("class", "table-wrap")).Open("table", ("class", "peers"));
        html.Open("thead").Open("tr");
        foreach (var (title, numeric) in new[] { ("From", false), ("To", false), ("p50", true), ("p95", true), ("p99", true), ("Probes", true) })
            html.Element("th", title, ("class", numeric ? "num" : null));
        html.Close().Close().Open("tbody");
        foreach (var peer in peers)
        {
            html.Open("tr");
            html.Element("td", peer.Member);
            html.Element("td", peer.Peer + (peer.Peer == peer.PeerId || peer.PeerId.Length == 0 ? "" : $" ({peer.PeerId})"));
            var why = "no round trip to this peer in the window";
            Cell(html, peer.P50Ms, null, null, why, "num");
            Cell(html, peer.P95Ms, null, null, why, "num");
            Cell(html, peer.P99Ms, _t.PeerRttP99WarningMs, _t.PeerRttP99CriticalMs, why, "num");
            html.Element("td", Format.Count(peer.Count), ("class", "num"));
            html.Close();
        }
        html.Close().Close().Close();
        html.Close().Line();
    }

    /// <summary>Everything else a measurement says of each member: one row per number, one column per member.</summary>
    private void DetailTable(HtmlWriter html)
    {
        var members = content.Members;
        html.Open("section");
        html.Element("h2", "Members in detail");
        html.Open("div", ("class", "table-wrap")).Open("table", ("class", "details"));
        html.Open("thead").Open("tr").Element("th", "");
        foreach (var m in members) html.Element("th", m.Member, ("class", "num"));
        html.Close().Close().Open("tbody");

        Row(html, "Role", m => (m.IsLeader ? "leader" : "follower", null, null));
        Row(html, "etcd version", m => (m.Version.Length > 0 ? m.Version : NotAvailable, null, null));
        Row(html, "Committed proposals", m => (Rate(m.ProposalsCommittedPerSec), null, null));
        Row(html, "Applied proposals", m => (Rate(m.ProposalsAppliedPerSec), null, null));
        Row(html, "Pending proposals (most)", m => (Number(m.ProposalsPending) + (m.ProposalsPendingMax is { } max ? $" ({Format.Number(max)})" : ""), null, null));
        Row(html, "Failed proposals", m => (Format.Count(m.ProposalsFailed), m.ProposalsFailed > 0 ? "warning" : null, null));
        Row(html, "Leader changes seen", m => (Format.Count(m.LeaderChanges), m.LeaderChanges >= _t.LeaderChangesCritical ? "critical" : m.LeaderChanges >= Math.Max(1, _t.LeaderChangesWarning) ? "warning" : null, null));
        Row(html, "Slow applies (> 100 ms)", m => (Format.Count(m.SlowApplies), m.SlowApplies > 0 ? "warning" : null, null));
        Row(html, "Late heartbeats", m => (Format.Count(m.HeartbeatSendFailures), m.HeartbeatSendFailures > 0 ? "warning" : null, null));
        Row(html, "Peer send failures", m => (Format.Count(m.PeerSendFailures), m.PeerSendFailures > 0 ? "warning" : null, null));
        Row(html, "gRPC handling p99", m => m.GrpcHandlingP99Ms is { } g
            ? (Format.Milliseconds(g), Judge(g, _t.GrpcHandlingP99WarningMs, _t.GrpcHandlingP99CriticalMs, v => Format.Milliseconds(v)).Status, null)
            : (NotAvailable, "na", Missing(m, "gRPC handling") ?? "no request in the window"));
        Row(html, "gRPC requests", m => (Rate(m.GrpcRequestsPerSec), null, null));
        Row(html, "Failed gRPC requests", m => m.GrpcFailurePercent is { } p
            ? (Format.Number(p, "0.##") + "%", Judge(p, _t.GrpcFailureWarningPercent, _t.GrpcFailureCriticalPercent, v => Format.Number(v) + "%").Status, null)
            : (NotAvailable, "na", "no request in the window"));
        Row(html, "Database size (in use)", m => (m.DbSizeBytes is { } db ? Format.Bytes(db) + (m.DbSizeInUseBytes is { } use ? $" ({Format.Bytes(use)})" : "") : NotAvailable, null, null));
        Row(html, "Quota used", m => m.DbQuotaPercent is { } q
            ? (Format.Number(q, "0.#") + "% of " + Format.Bytes(m.QuotaBytes ?? 0), Judge(q, _t.DbQuotaWarnPercent, _t.DbQuotaFailPercent, v => Format.Number(v) + "%").Status, null)
            : (NotAvailable, "na", "no quota reported"));
        Row(html, "Growth of data in use", m => (m.DbGrowthBytesPerHour is { } g ? Format.Bytes(g) + "/h" : NotAvailable, null, null));
        Row(html, "Time to quota", m => m.HoursToQuota is { } h
            ? m.DurationSeconds < _t.QuotaExhaustionMinWindowMinutes * 60
                ? (Format.Hours(h), null, $"from a {Format.Seconds(m.DurationSeconds)} window, too short to judge")
                : (Format.Hours(h), h <= _t.QuotaExhaustionCriticalHours ? "critical" : h <= _t.QuotaExhaustionWarningHours ? "warning" : null, null)
            : ("not growing", null, null));
        Row(html, "CPU (peak)", m => m.CpuPercent is { } c
            ? (Format.Number(c, "0.#") + "%" + (m.CpuPeakPercent is { } peak ? $" ({Format.Number(peak, "0.#")}%)" : ""),
                Judge(m.CpuPeakPercent ?? c, _t.CpuWarningPercent, _t.CpuCriticalPercent, v => Format.Number(v) + "%").Status, "of one core")
            : (NotAvailable, "na", "no process metrics"));
        Row(html, "Resident memory (peak)", m => m.ResidentMemoryBytes is { } r
            ? (Format.Bytes(r) + (m.ResidentMemoryPeakBytes is { } peak ? $" ({Format.Bytes(peak)})" : ""),
                Judge(m.ResidentMemoryPeakBytes ?? r, _t.MemoryWarningBytes, _t.MemoryCriticalBytes, Format.Bytes).Status, null)
            : (NotAvailable, "na", "no process metrics"));
        Row(html, "Open file descriptors", m => (m.OpenFileDescriptors is { } open ? Format.Count(open) + (m.MaxFileDescriptors is { } max ? " of " + Format.Count(max) : "") : NotAvailable, null, null));
        Row(html, "Scrapes (failed)", m => (Format.Count(m.Scrapes) + (m.FailedScrapes > 0 ? $" ({m.FailedScrapes} failed)" : ""), m.FailedScrapes > 0 ? "warning" : null, null));
        Row(html, "Metrics read from", m => (m.MetricsUrl.Length > 0 ? m.MetricsUrl : NotAvailable, "url", null));
        html.Close().Close().Close();
        html.Close().Line();
    }

    private void Row(HtmlWriter html, string label, Func<EtcdMemberPerformance, (string Text, string? Status, string? Hint)> cell)
    {
        html.Open("tr").Element("th", label, ("scope", "row"));
        foreach (var m in content.Members)
        {
            var (text, status, hint) = cell(m);
            html.Element("td", text, ("class", "num" + (status is null ? "" : " " + status)), ("title", hint));
        }
        html.Close();
    }

    private static string Rate(double? perSecond) => perSecond is { } v ? Format.Number(v, "0.##") + "/s" : NotAvailable;

    private static string Number(double? value) => value is { } v ? Format.Number(v) : NotAvailable;

    /// <summary>Without a measurement: each member's intervals, their typical and worst p99, CPU and memory.</summary>
    private void SampleTable(HtmlWriter html)
    {
        html.Open("section");
        html.Element("h2", "Members over the samples");
        html.Element("p", $"Each interval's p99 from {ReportText.Count(content.SampleCount, "sample")} of Watch-EtcdPerformance: the median interval and the worst one, judged against the thresholds.",
            ("class", "muted"));
        var groups = new (string Title, Func<EtcdPerformanceSample, double?> Value, double Healthy, double Critical)[]
        {
            ("WAL fsync p99", s => s.WalFsyncP99Ms, _t.WalFsyncP99WarningMs, _t.WalFsyncP99CriticalMs),
            ("Backend commit p99", s => s.BackendCommitP99Ms, _t.BackendCommitP99WarningMs, _t.BackendCommitP99CriticalMs),
            ("Peer round trip p99", s => s.PeerRttP99Ms, _t.PeerRttP99WarningMs, _t.PeerRttP99CriticalMs),
        };
        html.Open("div", ("class", "table-wrap")).Open("table", ("class", "samples"));
        html.Open("thead").Open("tr");
        html.Element("th", "Member", ("rowspan", "2"));
        html.Element("th", "Intervals", ("rowspan", "2"), ("class", "num"));
        foreach (var (title, _, healthy, critical) in groups)
        {
            html.Open("th", ("colspan", "2"), ("class", "group")).Text(title);
            html.Element("span", $"healthy < {Format.Milliseconds(healthy)} · critical ≥ {Format.Milliseconds(critical)}", ("class", "limits"));
            html.Close();
        }
        html.Open("th", ("colspan", "2"), ("class", "group")).Text("CPU").Element("span", "% of one core", ("class", "limits")).Close();
        html.Element("th", "Memory", ("rowspan", "2"), ("class", "num first-of-group"));
        html.Element("th", "Leader changes", ("rowspan", "2"), ("class", "num"));
        html.Close().Open("tr");
        foreach (var _ in groups)
        {
            html.Element("th", "median", ("class", "num first-of-group"));
            html.Element("th", "worst", ("class", "num"));
        }
        html.Element("th", "mean", ("class", "num first-of-group"));
        html.Element("th", "peak", ("class", "num"));
        html.Close().Close().Open("tbody");
        foreach (var m in content.Series)
        {
            var last = m.Read.LastOrDefault();
            html.Open("tr");
            MemberCell(html, m.Member, last?.IsLeader == true, "");
            var bad = new[] { (m.CriticalIntervals, "critical"), (m.WarningIntervals, "warning"), (m.Failed.Count, "unreadable") }.Where(b => b.Item1 > 0).Select(b => $"{b.Item1} {b.Item2}").ToList();
            html.Open("td", ("class", "num")).Text(Format.Count(m.Samples.Count));
            if (bad.Count > 0) html.Empty("br").Element("small", string.Join(", ", bad), ("class", "muted"));
            html.Close();
            foreach (var (_, value, healthy, critical) in groups)
            {
                var stat = m.Statistic(value, healthy, critical);
                Cell(html, stat.Median, null, null, "no value in any interval", "num first-of-group");
                Cell(html, stat.Max, healthy, critical, "no value in any interval", "num",
                    stat.MaxAt is { } at ? $"at {ReportText.Clock(at, _offset)}; {stat.OverHealthy} of {stat.Count} intervals at or above {Format.Milliseconds(healthy)}" : null);
            }
            var cpu = m.Statistic(s => s.CpuPercent);
            html.Element("td", cpu.Mean is { } mean ? Format.Number(mean, "0.#") + "%" : NotAvailable, ("class", "num first-of-group" + (cpu.Mean is null ? " na" : "")));
            var (cpuStatus, cpuHint) = cpu.Max is { } peak ? Judge(peak, _t.CpuWarningPercent, _t.CpuCriticalPercent, v => Format.Number(v) + "%") : ("na", null);
            html.Element("td", cpu.Max is { } p ? Format.Number(p, "0.#") + "%" : NotAvailable, ("class", "num " + cpuStatus), ("title", cpuHint));
            var memory = m.Statistic(s => s.ResidentMemoryBytes);
            html.Element("td", memory.Max is { } rss ? Format.Bytes(rss) : NotAvailable, ("class", "num first-of-group" + (memory.Max is { } r ? " " + Judge(r, _t.MemoryWarningBytes, _t.MemoryCriticalBytes, Format.Bytes).Status : " na")),
                ("title", "the highest of the intervals"));
            html.Element("td", Format.Count(m.LeaderChanges), ("class", "num" + (m.LeaderChanges > 0 ? " warning" : "")));
            html.Close();
        }
        html.Close().Close().Close();
        html.Close().Line();
    }

    private void FindingsTable(HtmlWriter html)
    {
        html.Open("section");
        html.Element("h2", "All findings");
        var findings = Summary.Findings;
        if (findings.Count == 0)
        {
            html.Element("p", content.FindingsLost ? LostFindings : "No findings.", ("class", "empty"));
            html.Close().Line();
            return;
        }
        if (!content.SummaryGiven && content.Members.Count == 0)
            html.Element("p", "Derived from the samples: how often and how far each member's intervals crossed the thresholds.", ("class", "muted"));
        html.Open("div", ("class", "table-wrap")).Open("table", ("class", "findings"));
        html.Open("thead").Open("tr");
        foreach (var title in new[] { "Severity", "Area", "Member", "Finding", "Evidence", "What to do" }) html.Element("th", title);
        html.Close().Close().Open("tbody");
        foreach (var f in findings)
        {
            html.Open("tr", ("class", f.Severity.ToString().ToLowerInvariant()));
            html.Open("td").Element("span", f.Severity.ToString(), ("class", "badge " + f.Severity.ToString().ToLowerInvariant())).Close();
            html.Element("td", f.Area.ToString());
            html.Element("td", f.Member.Length > 0 ? f.Member : "cluster", ("class", "member"));
            html.Element("td", f.Title, ("class", "finding-title"));
            html.Element("td", f.Evidence, ("class", "evidence"));
            html.Element("td", f.Recommendation, ("class", "advice"));
            html.Close();
        }
        html.Close().Close().Close();
        html.Close().Line();
    }

    private void Charts(HtmlWriter html)
    {
        html.Open("section", ("class", "over-time"));
        html.Element("h2", "Over time");
        if (content.Series.Count == 0)
        {
            html.Element("p", "No time series: the input holds no samples. Pipe Watch-EtcdPerformance's samples (or a Measure-EtcdPerformance result that kept its intervals) to chart the window.",
                ("class", "empty"));
            html.Close().Line();
            return;
        }
        var interval = TimeSpan.FromSeconds(Summary.IntervalSeconds > 0 ? Summary.IntervalSeconds
            : content.Series.SelectMany(s => s.Samples).Select(s => s.IntervalSeconds).Where(s => s > 0).DefaultIfEmpty(1).Order().ElementAt(0));
        var count = content.SampleCount;
        var what = content.Source switch
        {
            SampleSource.Watch => $"{ReportText.Count(count, "sample")} of Watch-EtcdPerformance",
            SampleSource.Measure => $"{ReportText.Count(count, "interval")} of the measurement",
            _ => $"{ReportText.Count(count, "sample")}, Watch-EtcdPerformance's and the measurement's own intervals",
        };
        html.Open("p", ("class", "muted"));
        html.Text($"{Capitalised(what)}, one per member about every {Format.Seconds(interval.TotalSeconds)}, {ReportText.Window(content.ChartStart, content.ChartEnd, _offset)}. " +
            "Lines break where a member could not be read. The raw samples are in ");
        html.Element("a", csvFileName, ("href", csvFileName));
        html.Text(".");
        html.Close();

        var markers = LeaderChangeMarkers(interval);
        var quota = content.Members.Select(m => m.QuotaBytes).FirstOrDefault(q => q is not null) ?? Summary.QuotaBytes;
        ChartSpec[] specs =
        [
            new("wal-fsync", "WAL fsync p99", "The 99th percentile of each interval's fsyncs of the write-ahead log: every write waits for one.", ChartUnit.Milliseconds,
                s => s.WalFsyncP99Ms, true, Limits(_t.WalFsyncP99WarningMs, _t.WalFsyncP99CriticalMs), "No fsync in these intervals: the members wrote nothing."),
            new("backend-commit", "Backend commit p99", "The 99th percentile of each interval's commits to the database file (bbolt).", ChartUnit.Milliseconds,
                s => s.BackendCommitP99Ms, true, Limits(_t.BackendCommitP99WarningMs, _t.BackendCommitP99CriticalMs), "No commit in these intervals: the members wrote nothing."),
            new("peer-rtt", "Peer round trip p99", "The slowest peer's round trip; etcd probes each peer about every 30 s, so most intervals have none (dots).", ChartUnit.Milliseconds,
                s => s.PeerRttP99Ms, true, Limits(_t.PeerRttP99WarningMs, _t.PeerRttP99CriticalMs),
                "No peer round trip in these intervals: a one-member cluster has no peers, and etcd probes its peers only about every 30 s."),
            new("proposals", "Committed proposals", "Raft proposals committed per second: the cluster's write rate.", ChartUnit.PerSecond,
                s => s.ProposalsCommittedPerSec, true, [], "No proposal rate in these samples."),
            new("grpc", "gRPC requests", "Requests each member finished per second, every status code.", ChartUnit.PerSecond,
                s => s.GrpcRequestsPerSec, true, [], "No gRPC request rate in these samples."),
            new("db-size", "Database size", "The size of each member's database file; at the quota etcd refuses writes (NOSPACE).", ChartUnit.Bytes,
                s => s.DbSizeBytes, false, quota is { } q and > 0 ? [new ChartLine(q, $"quota {Format.Bytes(q)}", ChartLineKind.Quota)] : [], "No database size in these samples."),
            new("cpu", "CPU", "The etcd process's CPU as a percentage of one core (200% is two cores busy).", ChartUnit.PercentOfCore,
                s => s.CpuPercent, true, [new ChartLine(_t.CpuWarningPercent, $"warning ≥ {Format.Number(_t.CpuWarningPercent)}%", ChartLineKind.Healthy),
                    new ChartLine(_t.CpuCriticalPercent, $"critical ≥ {Format.Number(_t.CpuCriticalPercent)}%", ChartLineKind.Critical)], "No process CPU in these samples."),
            new("rss", "Resident memory", "The etcd process's resident memory.", ChartUnit.Bytes,
                s => s.ResidentMemoryBytes, false, [new ChartLine(_t.MemoryWarningBytes, $"warning ≥ {Format.Bytes(_t.MemoryWarningBytes)}", ChartLineKind.Healthy),
                    new ChartLine(_t.MemoryCriticalBytes, $"critical ≥ {Format.Bytes(_t.MemoryCriticalBytes)}", ChartLineKind.Critical)], "No process memory in these samples."),
        ];
        var maxGap = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, interval.Ticks * 3));
        var noneRead = content.Series.All(m => !m.Read.Any());
        html.Open("div", ("class", "charts"));
        foreach (var spec in specs)
        {
            var series = content.Series.Select(m => ChartSeries.From(m.Member, content.ColourOf(m.Member),
                m.Samples.Select(s => (s.Timestamp, spec.Value(s), s.Error.Length > 0)), maxGap)).ToList();
            var chart = new LineChart(spec.Title, spec.Unit, series, spec.Lines, markers, content.ChartStart, content.ChartEnd, _offset, spec.IncludeZero);
            html.Open("figure", ("class", "chart-card"), ("id", spec.Id));
            html.Open("figcaption").Element("h3", spec.Title);
            var above = chart.AboveScale.Count > 0 && chart.HasData ? " " + Capitalised(ReportText.List([.. chart.AboveScale.Select(l => l.Label)])) + (chart.AboveScale.Count == 1 ? " is" : " are") + " above this scale." : "";
            html.Element("p", spec.Note + above);
            html.Close();
            if (chart.HasData)
            {
                chart.Write(html, "chart-" + spec.Id);
                Legend(html, series, chart.Drawn, markers.Count > 0);
            }
            else
            {
                html.Element("p", noneRead ? "No member could be read in these samples: see their Error column in the CSV file." : spec.Empty, ("class", "empty"));
            }
            html.Close();
        }

        var lanes = content.Series.Select(m => (m.Member, content.ColourOf(m.Member), m.Samples)).ToList();
        var leadership = new LeadershipChart(lanes, markers, content.ChartStart, content.ChartEnd, _offset, interval);
        html.Open("figure", ("class", "chart-card wide"), ("id", "leadership"));
        html.Open("figcaption").Element("h3", "Leadership");
        // The summary's count: a member's watch samples and measured intervals both count the same change.
        var changes = Summary.LeaderChanges;
        html.Element("p", markers.Count > 0
            ? $"Who led when. {ReportText.Count(changes, "leader change")} in the window (the most a member counted); the markers, also on the charts above, show when the members saw {(changes == 1 ? "it" : "them")}: a member that was hung sees it late."
            : "Who led when; no member saw a leader change.");
        html.Close();
        leadership.Write(html, "chart-leadership");
        html.Open("ul", ("class", "legend"));
        LegendItem(html, "leader (the member's colour)", "swatch bar", "#64748b");
        LegendItem(html, "follower", "swatch", "#cbd5e1");
        LegendItem(html, "no leader", "swatch bar", "#f59e0b");
        LegendItem(html, "could not be read", "swatch bar", "#f87171");
        if (markers.Count > 0) html.Open("li").Element("span", "▼", ("class", "marker-key")).Text("leader change").Close();
        html.Close();
        html.Close();
        html.Close();
        html.Close().Line();
    }

    private static string Capitalised(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static IReadOnlyList<ChartLine> Limits(double healthy, double critical) =>
    [
        new ChartLine(healthy, $"healthy < {Format.Milliseconds(healthy)}", ChartLineKind.Healthy),
        new ChartLine(critical, $"critical ≥ {Format.Milliseconds(critical)}", ChartLineKind.Critical),
    ];

    /// <summary>Leader changes as the members saw them: one marker per change, however many members counted it.</summary>
    private List<ChartMarker> LeaderChangeMarkers(TimeSpan interval)
    {
        var seen = content.Series.SelectMany(m => m.Read.Where(s => s.LeaderChanges > 0)).OrderBy(s => s.Timestamp).ToList();
        var markers = new List<(DateTimeOffset Time, List<string> Members)>();
        foreach (var sample in seen)
        {
            if (markers.Count > 0 && sample.Timestamp - markers[^1].Time <= interval * 1.5 && !markers[^1].Members.Contains(sample.Member)) markers[^1].Members.Add(sample.Member);
            else markers.Add((sample.Timestamp, [sample.Member]));
        }
        return [.. markers.Select(m => new ChartMarker(m.Time, $"Leader change seen at {ReportText.Clock(m.Time, _offset)} by {ReportText.List(m.Members)}"))];
    }

    private static void Legend(HtmlWriter html, IReadOnlyList<ChartSeries> series, IReadOnlyList<ChartLine> lines, bool markers)
    {
        html.Open("ul", ("class", "legend"));
        foreach (var s in series)
            LegendItem(html, s.PointCount > 0 ? s.Name : s.Name + " (no data)", "swatch line", s.Colour);
        foreach (var line in lines)
        {
            var colour = line.Kind switch { ChartLineKind.Healthy => "#d97706", ChartLineKind.Critical => "#dc2626", _ => "#6b7280" };
            LegendItem(html, line.Label, "swatch dashed", colour);
        }
        if (markers) html.Open("li").Element("span", "▼", ("class", "marker-key")).Text("leader change").Close();
        html.Close();
    }

    private static void LegendItem(HtmlWriter html, string text, string swatch, string colour) =>
        html.Open("li").Element("span", "", ("class", swatch), ("style", (swatch.Contains("dashed", StringComparison.Ordinal) ? "border-top-color:" : "background:") + colour)).Text(text).Close();

    private void Footer(HtmlWriter html)
    {
        html.Open("footer");
        var inputs = new List<string>();
        if (content.InputReports > 0)
        {
            var intervals = content.Members.Sum(m => m.Samples.Count);
            inputs.Add(ReportText.Count(content.InputReports, "member report") + (intervals > 0 ? $" (with {ReportText.Count(intervals, "interval")})" : ""));
        }
        if (content.InputSummaries > 0) inputs.Add(ReportText.Count(content.InputSummaries, "cluster summary", "cluster summaries"));
        if (content.InputSamples > 0) inputs.Add(ReportText.Count(content.InputSamples, "sample"));
        html.Element("p", $"Generated by {options.Generator} (EtcdTools {version}) on {ReportText.DateTime(generatedAt, generatedAt.Offset)} {ReportText.Zone(generatedAt.Offset)} " +
            $"from {ReportText.List(inputs)}. Times are in {ReportText.Zone(_offset)}, the clock of the measurement.");
        if (!content.SummaryGiven)
            html.Element("p", content.Members.Count > 0
                ? "No cluster summary was given: the verdict and findings were derived from the member reports."
                : "No Measure-EtcdPerformance result was given: the verdict and findings were derived from the samples.");
        html.Open("p").Text("The raw samples are in ").Element("a", csvFileName, ("href", csvFileName)).Text(" beside this file (one row per member and interval, for a spreadsheet or Import-Csv).").Close();
        html.Element("p", "Thresholds (warning at the healthy limit, critical at the alert level): " +
            $"WAL fsync p99 {Format.Milliseconds(_t.WalFsyncP99WarningMs)} / {Format.Milliseconds(_t.WalFsyncP99CriticalMs)}, " +
            $"backend commit p99 {Format.Milliseconds(_t.BackendCommitP99WarningMs)} / {Format.Milliseconds(_t.BackendCommitP99CriticalMs)}, " +
            $"peer round trip p99 {Format.Milliseconds(_t.PeerRttP99WarningMs)} / {Format.Milliseconds(_t.PeerRttP99CriticalMs)}, " +
            $"apply p99 {Format.Milliseconds(_t.ApplyP99WarningMs)} / {Format.Milliseconds(_t.ApplyP99CriticalMs)}, " +
            $"CPU {Format.Number(_t.CpuWarningPercent)}% / {Format.Number(_t.CpuCriticalPercent)}% of a core, " +
            $"resident memory {Format.Bytes(_t.MemoryWarningBytes)} / {Format.Bytes(_t.MemoryCriticalBytes)}, " +
            $"leader changes {_t.LeaderChangesWarning} / {_t.LeaderChangesCritical}. Sources: etcd's documentation and FAQ, the etcd mixin's alerts, OpenShift.");
        if (content.Notes.Count > 0)
        {
            html.Open("ul", ("class", "notes"));
            foreach (var note in content.Notes) html.Element("li", note);
            html.Close();
        }
        html.Close().Line();
    }

    /// <summary>The report's style sheet: a light, print-friendly page with the system's fonts (nothing fetched).</summary>
    private const string Css = """

:root{color-scheme:light;--text:#1f2933;--muted:#5b6675;--faint:#9aa3ae;--line:#e2e6eb;--panel:#f5f7f9;
--ok:#166534;--ok-bg:#effaf3;--warn:#8a4b08;--warn-bg:#fff6e5;--warn-line:#d97706;--crit:#9b1c1c;--crit-bg:#fdeeee;--crit-line:#dc2626;--info:#1e40af}
*{box-sizing:border-box}
body{margin:0;background:#fff;color:var(--text);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans","DejaVu Sans",Arial,sans-serif;
-webkit-print-color-adjust:exact;print-color-adjust:exact}
main{max-width:1180px;margin:0 auto;padding:36px 40px 56px}
h1{font-size:30px;line-height:1.2;margin:0 0 6px;font-weight:700;letter-spacing:-.015em}
h2{font-size:20px;line-height:1.3;margin:44px 0 10px;font-weight:650;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:15px;line-height:1.3;margin:0;font-weight:650}
p{margin:0 0 10px}
a{color:#1d4ed8}
code{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;font-size:.92em}
small{font-size:12.5px}
.muted{color:var(--muted)}
.eyebrow{text-transform:uppercase;letter-spacing:.1em;font-size:12px;font-weight:650;color:var(--muted);margin:0 0 4px}
.subtitle{color:var(--muted);margin:0;font-size:15.5px}
.verdict{margin-top:26px;border:1px solid var(--line);border-left:6px solid #16a34a;border-radius:10px;padding:20px 26px 22px;background:var(--ok-bg)}
.verdict.warning{border-left-color:var(--warn-line);background:var(--warn-bg)}
.verdict.critical{border-left-color:var(--crit-line);background:var(--crit-bg)}
.verdict-head{display:flex;gap:10px;align-items:center}
.verdict .label{text-transform:uppercase;letter-spacing:.1em;font-size:12px;color:var(--muted);font-weight:650}
.verdict h2{border:0;margin:4px 0 6px;padding:0;font-size:27px;letter-spacing:-.01em}
.reason{font-size:16.5px;max-width:80ch;margin-bottom:0}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:16px 28px;margin:20px 0 0;padding-top:16px;border-top:1px solid rgba(0,0,0,.08)}
.facts div{min-width:0}
.facts dt{font-size:11.5px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted);font-weight:650}
.facts dd{margin:2px 0 0;overflow-wrap:anywhere;font-weight:550}
.facts dd small{font-weight:400}
.badge{display:inline-block;padding:0 9px;border-radius:999px;font-size:12px;font-weight:650;line-height:1.75;white-space:nowrap}
.badge.ok{color:var(--ok);background:#d9f5e3}
.badge.warning{color:var(--warn);background:#fde7bf}
.badge.critical{color:#fff;background:#c81e1e}
.badge.info{color:var(--info);background:#dde8ff}
.pill{display:inline-block;margin-left:6px;padding:0 7px;border-radius:4px;font-size:11px;font-weight:650;line-height:1.7;color:#334155;background:#e2e8f0;text-transform:uppercase;letter-spacing:.05em;vertical-align:1px}
.top{list-style:none;padding:0;margin:0;display:grid;gap:12px}
.top>li{border:1px solid var(--line);border-left:4px solid #3b82f6;border-radius:8px;padding:14px 20px 14px;background:#fff;break-inside:avoid}
.top>li.critical{border-left-color:var(--crit-line)}
.top>li.warning{border-left-color:var(--warn-line)}
.finding-head{display:flex;gap:12px;align-items:baseline;flex-wrap:wrap;margin-bottom:6px;font-size:13px;color:var(--muted)}
.finding-head .area{font-weight:650;color:var(--text)}
.top .finding-title{font-size:16px;font-weight:650;margin:0 0 6px}
.top .evidence,.top .advice{margin:6px 0 0;font-size:14px;max-width:110ch}
.top .evidence{color:var(--muted)}
.tag{display:inline-block;min-width:86px;font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.07em;font-weight:700;margin-right:8px}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13.5px;font-variant-numeric:tabular-nums}
th,td{padding:7px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{font-size:12px;color:var(--muted);font-weight:650;background:var(--panel);border-bottom:1px solid #d3d9e0;vertical-align:bottom}
th.group{text-align:center;color:var(--text);font-size:13px;border-left:1px solid var(--line)}
th .limits{display:block;font-weight:400;font-size:11.5px;color:var(--muted)}
tbody th{font-weight:550;white-space:nowrap}
.num{text-align:right;white-space:nowrap}
.first-of-group{border-left:1px solid var(--line)}
td.ok{color:var(--ok);font-weight:650}
td.warning{background:var(--warn-bg);color:var(--warn);font-weight:700}
td.critical{background:var(--crit-bg);color:var(--crit);font-weight:700}
td.na{color:var(--faint)}
td.url{font-size:12px;color:var(--muted)}
.member-cell{white-space:nowrap}
.member-name{font-weight:650}
.details tbody th{color:var(--muted)}
table.findings{table-layout:fixed}
.findings th:nth-child(1){width:96px}
.findings th:nth-child(2){width:94px}
.findings th:nth-child(3){width:15%}
.findings th:nth-child(4){width:20%}
.findings th:nth-child(5){width:25%}
.findings td{font-size:13px;overflow-wrap:anywhere}
.top div.evidence ul{margin:2px 0 0;padding-left:20px}
.top div.evidence li{margin:2px 0}
.findings td.finding-title{font-weight:650}
.findings td.evidence{color:var(--muted)}
.notes{font-size:13px;color:var(--muted);margin:10px 0 0;padding-left:20px}
.empty{color:var(--muted);background:var(--panel);padding:12px 16px;border-radius:6px}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:30px 40px;margin-top:18px}
figure{margin:0;break-inside:avoid}
figure.wide{grid-column:1/-1}
figcaption p{font-size:13px;color:var(--muted);margin:2px 0 8px}
svg.chart{display:block;width:100%;height:auto;overflow:visible}
svg text{font-family:inherit}
svg .grid line{stroke:#edf0f3}
svg .axis text{fill:#5b6675;font-size:11.5px}
svg .axis .axis-title{font-weight:650;font-size:11px;letter-spacing:.02em}
svg .axis-line{stroke:#9aa5b1}
svg .series polyline{stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
svg .series circle{stroke:#fff;stroke-width:1}
svg .limit line{stroke-width:1.5;stroke-dasharray:6 4}
svg .limit text{font-size:11px;font-weight:650;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg .limit.healthy line{stroke:#d97706}
svg .limit.healthy text{fill:#a55a06}
svg .limit.critical line{stroke:#dc2626}
svg .limit.critical text{fill:#b91c1c}
svg .limit.quota line{stroke:#6b7280}
svg .limit.quota text{fill:#4b5563}
svg .marker line{stroke:#be123c;stroke-width:1.2;stroke-dasharray:3 3}
svg .marker path{fill:#be123c}
svg .lane-name{font-size:12px;fill:#1f2933;font-weight:550}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px;padding:0;margin:8px 0 0;font-size:12.5px;color:var(--muted)}
.legend li{display:flex;align-items:center;gap:7px}
.swatch{display:inline-block;width:20px;height:6px;border-radius:3px}
.swatch.line{height:3px}
.swatch.bar{height:10px}
.swatch.dashed{height:0;border-top:2px dashed;border-radius:0}
.marker-key{color:#be123c;font-size:11px}
footer{margin-top:52px;padding-top:16px;border-top:1px solid var(--line);font-size:12.5px;color:var(--muted)}
footer p{margin:0 0 6px;max-width:130ch}
@media (max-width:900px){main{padding:24px 18px}.charts{grid-template-columns:1fr}}
@media print{@page{size:A4;margin:14mm 12mm}body{font-size:10pt}main{max-width:none;padding:0}h2{break-after:avoid;margin-top:28px}
tr,li,figure,.verdict{break-inside:avoid}.table-wrap{overflow:visible}.charts{gap:18px 24px}a{color:inherit;text-decoration:none}}

""";
}
