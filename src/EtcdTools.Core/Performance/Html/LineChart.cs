using System.Globalization;

namespace EtcdTools.Performance.Html;

internal sealed record ChartPoint(DateTimeOffset Time, double Value);

/// <summary>One member's line: runs of points drawn joined, broken where the member could not be read or samples are missing.</summary>
internal sealed record ChartSeries(string Name, string Colour, IReadOnlyList<IReadOnlyList<ChartPoint>> Segments)
{
    public int PointCount => Segments.Sum(s => s.Count);

    /// <summary>
    /// The series of <paramref name="samples"/> in time order: an interval without a value (no
    /// fsync in it) is passed over, a failed one (the member unreadable) or a gap longer than
    /// <paramref name="maxGap"/> between two values breaks the line.
    /// </summary>
    public static ChartSeries From(string name, string colour, IEnumerable<(DateTimeOffset Time, double? Value, bool Failed)> samples, TimeSpan maxGap)
    {
        var segments = new List<IReadOnlyList<ChartPoint>>();
        var current = new List<ChartPoint>();
        foreach (var (time, value, failed) in samples.OrderBy(s => s.Time))
        {
            if (failed || value is not null && current.Count > 0 && time - current[^1].Time > maxGap)
            {
                if (current.Count > 0) segments.Add(current);
                current = [];
            }
            if (!failed && value is { } point && !double.IsNaN(point) && !double.IsInfinity(point)) current.Add(new ChartPoint(time, point));
        }
        if (current.Count > 0) segments.Add(current);
        return new ChartSeries(name, colour, segments);
    }
}

internal enum ChartLineKind
{
    Healthy,
    Critical,
    Quota,
}

/// <summary>A horizontal line across the chart: a threshold or a limit such as the quota.</summary>
internal sealed record ChartLine(double Value, string Label, ChartLineKind Kind);

/// <summary>A moment marked across the chart: a leader change.</summary>
internal sealed record ChartMarker(DateTimeOffset Time, string Label);

/// <summary>
/// A time-series chart as inline SVG: one line per member over a shared time axis, a value axis
/// with nice ticks in a readable unit, threshold lines, and markers. Threshold lines far above the
/// data (more than <see cref="Reach"/> times its maximum) are left out, so a 1 ms series is not
/// flattened under a 500 ms alert level; <see cref="AboveScale"/> lists them for the caption.
/// </summary>
internal sealed class LineChart
{
    public const double Width = 600;
    public const double Height = 250;
    public const double Left = 58;
    public const double Right = 14;
    public const double Top = 14;
    public const double Bottom = 42;

    /// <summary>A threshold is drawn when the data reach at least 1/Reach of it.</summary>
    public const double Reach = 4;

    /// <summary>Up to this many points a series shows each one as a dot (with its value on hover).</summary>
    public const int DottedUpTo = 60;

    public LineChart(string title, ChartUnit unit, IReadOnlyList<ChartSeries> series, IReadOnlyList<ChartLine> lines, IReadOnlyList<ChartMarker> markers,
        DateTimeOffset start, DateTimeOffset end, TimeSpan offset, bool includeZero)
    {
        Title = title;
        Unit = unit;
        Series = series;
        Markers = markers;
        Offset = offset;
        var values = series.SelectMany(s => s.Segments).SelectMany(p => p).Select(p => p.Value).ToList();
        var dataMax = values.Count > 0 ? values.Max() : 0;
        var dataMin = values.Count > 0 ? values.Min() : 0;
        Drawn = [.. lines.Where(l => dataMax > 0 && l.Value <= dataMax * Reach)];
        AboveScale = [.. lines.Except(Drawn)];
        var low = includeZero ? Math.Min(0, dataMin) : dataMin;
        var high = Drawn.Select(l => l.Value).Append(dataMax).Max();
        Y = ValueAxis.For(unit, low, high);
        // A single moment still needs a width to draw on.
        if (end - start < TimeSpan.FromSeconds(1))
        {
            start -= TimeSpan.FromSeconds(30);
            end += TimeSpan.FromSeconds(30);
        }
        Start = start;
        End = end;
        X = TimeScale.Ticks(start, end, offset);
    }

    public string Title { get; }
    public ChartUnit Unit { get; }
    public IReadOnlyList<ChartSeries> Series { get; }
    public IReadOnlyList<ChartMarker> Markers { get; }
    public TimeSpan Offset { get; }
    public DateTimeOffset Start { get; }
    public DateTimeOffset End { get; }
    public ValueAxis Y { get; }
    public TimeTicks X { get; }

    /// <summary>Threshold lines within the scale, and those above it.</summary>
    public IReadOnlyList<ChartLine> Drawn { get; }
    public IReadOnlyList<ChartLine> AboveScale { get; }

    public bool HasData => Series.Any(s => s.PointCount > 0);

    public LinearScale XScale => new(0, (End - Start).TotalSeconds, Left, Width - Right);
    public LinearScale YScale => new(Y.Min, Y.Max, Height - Bottom, Top);

    public double XOf(DateTimeOffset time) => XScale.Map((time - Start).TotalSeconds);

    /// <summary>A polyline's points attribute: "x,y x,y ..." with a tenth of a pixel.</summary>
    public string PointsOf(IReadOnlyList<ChartPoint> segment) =>
        string.Join(' ', segment.Select(p => $"{Coordinate(XOf(p.Time))},{Coordinate(YScale.Map(p.Value))}"));

    public static string Coordinate(double pixels) => Math.Round(pixels, 1).ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>A value as its axis shows it, with the unit: "4.2 ms", "20.5 MiB", "83 %".</summary>
    public string Show(double value) => Unit switch
    {
        ChartUnit.Milliseconds => Format.Milliseconds(value),
        ChartUnit.Bytes => Format.Bytes(value),
        ChartUnit.PerSecond => Format.Number(value, "0.##") + "/s",
        _ => Format.Number(value, "0.#") + "% of a core",
    };

    public void Write(HtmlWriter html, string id)
    {
        var plotLeft = Left;
        var plotRight = Width - Right;
        var plotTop = Top;
        var plotBottom = Height - Bottom;
        html.Open("svg", ("class", "chart"), ("viewBox", $"0 0 {Width.ToString(CultureInfo.InvariantCulture)} {Height.ToString(CultureInfo.InvariantCulture)}"),
            ("role", "img"), ("aria-labelledby", id + "-title"), ("xmlns", "http://www.w3.org/2000/svg"));
        html.Element("title", Title, ("id", id + "-title"));

        html.Open("g", ("class", "grid"));
        foreach (var tick in Y.Ticks.Values)
        {
            var y = Coordinate(YScale.Map(tick * Y.Divisor));
            html.Empty("line", ("x1", Coordinate(plotLeft)), ("x2", Coordinate(plotRight)), ("y1", y), ("y2", y));
        }
        foreach (var tick in X.Values)
        {
            var x = Coordinate(XOf(tick));
            html.Empty("line", ("x1", x), ("x2", x), ("y1", Coordinate(plotTop)), ("y2", Coordinate(plotBottom)));
        }
        html.Close();

        html.Open("g", ("class", "axis"));
        html.Empty("line", ("class", "axis-line"), ("x1", Coordinate(plotLeft)), ("x2", Coordinate(plotRight)), ("y1", Coordinate(plotBottom)), ("y2", Coordinate(plotBottom)));
        foreach (var tick in Y.Ticks.Values)
            html.Element("text", Y.Ticks.Label(tick), ("x", Coordinate(plotLeft - 7)), ("y", Coordinate(YScale.Map(tick * Y.Divisor) + 4)), ("text-anchor", "end"));
        foreach (var tick in X.Values)
            html.Element("text", X.Label(tick), ("x", Coordinate(XOf(tick))), ("y", Coordinate(plotBottom + 16)), ("text-anchor", "middle"));
        var middleY = (plotTop + plotBottom) / 2;
        html.Element("text", Y.Title, ("class", "axis-title"), ("x", "0"), ("y", "0"), ("text-anchor", "middle"),
            ("transform", $"translate(14 {Coordinate(middleY)}) rotate(-90)"));
        html.Element("text", "time (" + ReportText.Zone(Offset) + ")", ("class", "axis-title"), ("x", Coordinate((plotLeft + plotRight) / 2)), ("y", Coordinate(Height - 6)),
            ("text-anchor", "middle"));
        html.Close();

        foreach (var line in Drawn)
        {
            var y = Coordinate(YScale.Map(line.Value));
            html.Open("g", ("class", "limit " + line.Kind.ToString().ToLowerInvariant()));
            html.Element("title", line.Label);
            html.Empty("line", ("x1", Coordinate(plotLeft)), ("x2", Coordinate(plotRight)), ("y1", y), ("y2", y));
            html.Element("text", line.Label, ("x", Coordinate(plotRight - 4)), ("y", Coordinate(YScale.Map(line.Value) - 4)), ("text-anchor", "end"));
            html.Close();
        }

        foreach (var marker in Markers.Where(m => m.Time >= Start && m.Time <= End))
        {
            var x = XOf(marker.Time);
            html.Open("g", ("class", "marker"));
            html.Element("title", marker.Label);
            html.Empty("line", ("x1", Coordinate(x)), ("x2", Coordinate(x)), ("y1", Coordinate(plotTop)), ("y2", Coordinate(plotBottom)));
            html.Empty("path", ("d", $"M{Coordinate(x - 4.5)},{Coordinate(plotTop - 6)}h9l-4.5,7z"));
            html.Close();
        }

        foreach (var series in Series)
        {
            html.Open("g", ("class", "series"), ("data-member", series.Name), ("stroke", series.Colour), ("fill", series.Colour));
            html.Element("title", series.Name);
            var dotted = series.PointCount <= DottedUpTo;
            foreach (var segment in series.Segments)
            {
                if (segment.Count > 1)
                    html.Empty("polyline", ("points", PointsOf(segment)), ("fill", "none"));
                if (!dotted && segment.Count > 1) continue;
                foreach (var point in segment)
                {
                    html.Open("circle", ("cx", Coordinate(XOf(point.Time))), ("cy", Coordinate(YScale.Map(point.Value))), ("r", segment.Count == 1 ? "3" : "2.2"));
                    html.Element("title", $"{series.Name} at {point.Time.ToOffset(Offset).ToString("HH:mm:ss", CultureInfo.InvariantCulture)}: {Show(point.Value)}");
                    html.Close();
                }
            }
            html.Close();
        }
        html.Close();
    }
}
