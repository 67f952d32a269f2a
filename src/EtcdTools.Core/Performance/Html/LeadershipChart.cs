namespace EtcdTools.Performance.Html;

/// <summary>What a member was in one stretch of time.</summary>
internal enum LeadershipState
{
    Leader,
    Follower,
    NoLeader,
    Unreadable,
}

internal sealed record LeadershipSpan(DateTimeOffset Start, DateTimeOffset End, LeadershipState State);

/// <summary>
/// Who led when: one lane per member over the report's time axis, a bar where it led, a thin one
/// where it followed, amber where it had no leader, red where it could not be read, and a marker at
/// each leader change.
/// </summary>
internal sealed class LeadershipChart
{
    public const double Width = 1200;
    private const double Right = 14;
    private const double Top = 14;
    private const double Bottom = 42;
    private const double Lane = 30;

    private readonly IReadOnlyList<(string Member, string Colour, IReadOnlyList<LeadershipSpan> Spans)> _lanes;
    private readonly IReadOnlyList<ChartMarker> _markers;
    private readonly TimeSpan _offset;
    private readonly double _left;

    public LeadershipChart(IReadOnlyList<(string Member, string Colour, IReadOnlyList<EtcdPerformanceSample> Samples)> members, IReadOnlyList<ChartMarker> markers,
        DateTimeOffset start, DateTimeOffset end, TimeSpan offset, TimeSpan interval)
    {
        _lanes = [.. members.Select(m => (m.Member, m.Colour, Spans(m.Samples, interval)))];
        _markers = markers;
        _offset = offset;
        if (end - start < TimeSpan.FromSeconds(1))
        {
            start -= TimeSpan.FromSeconds(30);
            end += TimeSpan.FromSeconds(30);
        }
        Start = start;
        End = end;
        Height = Top + _lanes.Count * Lane + Bottom;
        // Room for the names, within reason: long ones are cut and shown whole on hover.
        _left = Math.Clamp(16 + 6.6 * members.Select(m => Math.Min(m.Member.Length, MaxName)).DefaultIfEmpty(4).Max(), 80, 260);
        X = TimeScale.Ticks(start, end, offset, 12);
    }

    private const int MaxName = 36;

    public DateTimeOffset Start { get; }
    public DateTimeOffset End { get; }
    public double Height { get; }
    public TimeTicks X { get; }

    private LinearScale XScale => new(0, (End - Start).TotalSeconds, _left, Width - Right);

    private double XOf(DateTimeOffset time) => XScale.Map((time - Start).TotalSeconds);

    /// <summary>Each sample covers its interval (ending at its timestamp); neighbours in the same state join up.</summary>
    internal static IReadOnlyList<LeadershipSpan> Spans(IReadOnlyList<EtcdPerformanceSample> samples, TimeSpan interval)
    {
        var spans = new List<LeadershipSpan>();
        foreach (var sample in samples.OrderBy(s => s.Timestamp))
        {
            LeadershipState? state = sample.Error.Length > 0 ? LeadershipState.Unreadable
                : sample.HasLeader == false ? LeadershipState.NoLeader
                : sample.IsLeader == true ? LeadershipState.Leader
                : sample.IsLeader == false ? LeadershipState.Follower
                : null;
            if (state is not { } now) continue;
            var length = sample.IntervalSeconds > 0 ? TimeSpan.FromSeconds(sample.IntervalSeconds) : interval;
            var start = sample.Timestamp - length;
            if (spans.Count > 0 && spans[^1].State == now && start - spans[^1].End <= interval / 2)
                spans[^1] = spans[^1] with { End = sample.Timestamp };
            else
                spans.Add(new LeadershipSpan(start, sample.Timestamp, now));
        }
        return spans;
    }

    public void Write(HtmlWriter html, string id)
    {
        var plotRight = Width - Right;
        var plotBottom = Height - Bottom;
        html.Open("svg", ("class", "chart leadership"), ("viewBox", $"0 0 {LineChart.Coordinate(Width)} {LineChart.Coordinate(Height)}"),
            ("role", "img"), ("aria-labelledby", id + "-title"), ("xmlns", "http://www.w3.org/2000/svg"));
        html.Element("title", "Leadership per member over time", ("id", id + "-title"));

        html.Open("g", ("class", "grid"));
        foreach (var tick in X.Values)
        {
            var x = LineChart.Coordinate(XOf(tick));
            html.Empty("line", ("x1", x), ("x2", x), ("y1", LineChart.Coordinate(Top)), ("y2", LineChart.Coordinate(plotBottom)));
        }
        html.Close();

        html.Open("g", ("class", "axis"));
        html.Empty("line", ("class", "axis-line"), ("x1", LineChart.Coordinate(_left)), ("x2", LineChart.Coordinate(plotRight)),
            ("y1", LineChart.Coordinate(plotBottom)), ("y2", LineChart.Coordinate(plotBottom)));
        foreach (var tick in X.Values)
            html.Element("text", X.Label(tick), ("x", LineChart.Coordinate(XOf(tick))), ("y", LineChart.Coordinate(plotBottom + 16)), ("text-anchor", "middle"));
        html.Element("text", "time (" + ReportText.Zone(_offset) + ")", ("class", "axis-title"), ("x", LineChart.Coordinate((_left + plotRight) / 2)),
            ("y", LineChart.Coordinate(Height - 6)), ("text-anchor", "middle"));
        html.Close();

        for (var i = 0; i < _lanes.Count; i++)
        {
            var (member, colour, spans) = _lanes[i];
            var middle = Top + i * Lane + Lane / 2;
            html.Open("g", ("class", "lane"), ("data-member", member));
            html.Open("text", ("class", "lane-name"), ("x", LineChart.Coordinate(_left - 10)), ("y", LineChart.Coordinate(middle + 4)), ("text-anchor", "end"));
            html.Element("title", member);
            html.Text(member.Length > MaxName ? member[..(MaxName - 1)] + "…" : member);
            html.Close();
            foreach (var span in spans)
            {
                var (height, fill, what) = span.State switch
                {
                    LeadershipState.Leader => (16d, colour, "leader"),
                    LeadershipState.Follower => (6d, "#cbd5e1", "follower"),
                    LeadershipState.NoLeader => (16d, "#f59e0b", "no leader"),
                    _ => (16d, "#f87171", "could not be read"),
                };
                var x = XOf(span.Start);
                var width = Math.Max(1.5, XOf(span.End) - x);
                html.Open("rect", ("class", "span " + span.State.ToString().ToLowerInvariant()), ("x", LineChart.Coordinate(x)), ("y", LineChart.Coordinate(middle - height / 2)),
                    ("width", LineChart.Coordinate(width)), ("height", LineChart.Coordinate(height)), ("rx", "2"), ("fill", fill));
                html.Element("title", $"{member}: {what} from {ReportText.Clock(span.Start, _offset)} to {ReportText.Clock(span.End, _offset)}");
                html.Close();
            }
            html.Close();
        }

        foreach (var marker in _markers.Where(m => m.Time >= Start && m.Time <= End))
        {
            var x = XOf(marker.Time);
            html.Open("g", ("class", "marker"));
            html.Element("title", marker.Label);
            html.Empty("line", ("x1", LineChart.Coordinate(x)), ("x2", LineChart.Coordinate(x)), ("y1", LineChart.Coordinate(Top)), ("y2", LineChart.Coordinate(plotBottom)));
            html.Empty("path", ("d", $"M{LineChart.Coordinate(x - 4.5)},{LineChart.Coordinate(Top - 6)}h9l-4.5,7z"));
            html.Close();
        }
        html.Close();
    }
}
