using System.Xml.Linq;
using EtcdTools.Performance;
using EtcdTools.Performance.Html;

namespace EtcdTools.Core.Tests.Performance.Html;

/// <summary>The charts' arithmetic on hand-worked cases: nice steps and ticks, units, scales, time ticks, lines broken at gaps, points in pixels.</summary>
public sealed class ChartMathTests
{
    private static readonly DateTimeOffset T0 = new(2026, 4, 12, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(7.3, 5, 2)] // 1.46 per tick: the next nice step is 2
    [InlineData(0.42, 5, 0.1)] // 0.084: 0.1
    [InlineData(100, 5, 20)]
    [InlineData(12, 5, 2.5)] // 2.4: 2.5, not 5
    [InlineData(1, 5, 0.2)]
    [InlineData(3000, 5, 1000)] // 600: 1000 (never more ticks than asked)
    [InlineData(50, 1, 50)]
    public void NiceStepsAreOneTwoTwoAndAHalfOrFiveTimesAPowerOfTen(double span, int ticks, double step) =>
        Assert.Equal(step, NiceScale.Step(span, ticks), 12);

    [Fact]
    public void TicksWidenTheDomainToWholeStepsWithoutFloatingPointDrift()
    {
        Assert.Equal([0, 2, 4, 6, 8], NiceScale.Ticks(0, 7.3).Values);
        var small = NiceScale.Ticks(0, 0.42);
        Assert.Equal([0, 0.1, 0.2, 0.3, 0.4, 0.5], small.Values);
        Assert.Equal(["0.0", "0.1", "0.2", "0.3", "0.4", "0.5"], small.Values.Select(small.Label));
        Assert.Equal([20.1, 20.2, 20.3, 20.4, 20.5, 20.6], NiceScale.Ticks(20.1, 20.6).Values);
        Assert.Equal([-4, -2, 0, 2, 4, 6, 8], NiceScale.Ticks(-3, 7).Values);
        // Exactly on a step: no extra tick beyond it.
        Assert.Equal([0, 20, 40, 60, 80, 100], NiceScale.Ticks(0, 100).Values);
    }

    [Fact]
    public void ASingleValueGetsAnAxisFromZeroAndZeroGetsZeroToOne()
    {
        var five = NiceScale.Ticks(5, 5);
        Assert.Equal((0d, 5d, 1d), (five.Min, five.Max, five.Step));
        var zero = NiceScale.Ticks(0, 0);
        Assert.Equal((0d, 1d, 0.2d), (zero.Min, zero.Max, zero.Step));
        Assert.Throws<ArgumentOutOfRangeException>(() => NiceScale.Ticks(0, double.NaN));
    }

    [Theory]
    [InlineData(5, 0)]
    [InlineData(20, 0)]
    [InlineData(0.5, 1)]
    [InlineData(2.5, 1)]
    [InlineData(0.25, 2)]
    [InlineData(0.02, 2)]
    public void LabelsHaveTheDecimalsTheirStepNeeds(double step, int decimals) =>
        Assert.Equal(decimals, new AxisTicks(0, step * 4, step, [0, step]).Decimals);

    [Fact]
    public void ValueAxesPickAReadableUnit()
    {
        var bytes = ValueAxis.For(ChartUnit.Bytes, 0, 23.6 * 1024 * 1024);
        Assert.Equal("MiB", bytes.Title);
        Assert.Equal(1024 * 1024, bytes.Divisor);
        Assert.Equal([0, 5, 10, 15, 20, 25], bytes.Ticks.Values);
        Assert.Equal(25 * 1024 * 1024, bytes.Max);
        // A narrow band of sizes keeps its detail: 30.2-31.7 MiB is not drawn from zero.
        var band = ValueAxis.For(ChartUnit.Bytes, 30.2 * 1024 * 1024, 31.7 * 1024 * 1024);
        Assert.Equal([30, 30.5, 31, 31.5, 32], band.Ticks.Values);
        Assert.Equal("KiB", ValueAxis.For(ChartUnit.Bytes, 0, 20_480).Title);
        Assert.Equal("bytes", ValueAxis.For(ChartUnit.Bytes, 0, 900).Title);
        var slow = ValueAxis.For(ChartUnit.Milliseconds, 0, 4200);
        Assert.Equal(("seconds", 1000d), (slow.Title, slow.Divisor));
        Assert.Equal([0, 1, 2, 3, 4, 5], slow.Ticks.Values);
        Assert.Equal("milliseconds", ValueAxis.For(ChartUnit.Milliseconds, 0, 12).Title);
        Assert.Equal("% of one core", ValueAxis.For(ChartUnit.PercentOfCore, 0, 80).Title);
    }

    [Fact]
    public void LinearScalesMapDomainOntoRangeAndYRunsUp()
    {
        var y = new LinearScale(0, 10, 200, 0);
        Assert.Equal(200, y.Map(0));
        Assert.Equal(150, y.Map(2.5));
        Assert.Equal(0, y.Map(10));
        var x = new LinearScale(0, 60, 58, 586);
        Assert.Equal(322, x.Map(30));
        // A degenerate domain maps to the middle rather than dividing by zero.
        Assert.Equal(100, new LinearScale(5, 5, 200, 0).Map(5));
    }

    [Fact]
    public void TimeTicksFallOnWholeStepsOfTheMeasurementsClock()
    {
        var minute = TimeScale.Ticks(T0.AddSeconds(3), T0.AddSeconds(60), TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(10), minute.Step);
        Assert.Equal(["10:00:10", "10:00:20", "10:00:30", "10:00:40", "10:00:50", "10:01:00"], minute.Values.Select(minute.Label));

        // Five hours in India (UTC+05:30): whole local hours, which are half past in UTC.
        var india = TimeSpan.FromMinutes(330);
        var hours = TimeScale.Ticks(T0, T0.AddHours(5), india);
        Assert.Equal(TimeSpan.FromHours(1), hours.Step);
        Assert.Equal(["16:00", "17:00", "18:00", "19:00", "20:00"], hours.Values.Select(hours.Label));
        Assert.All(hours.Values, t => Assert.Equal(30, t.UtcDateTime.Minute));

        var day = TimeScale.Ticks(T0, T0.AddDays(3), TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromHours(12), day.Step);
        Assert.Equal("Apr 12 12:00", day.Label(day.Values[0]));
        var week = TimeScale.Ticks(T0, T0.AddDays(20), TimeSpan.Zero);
        // Weeks start on Mondays (0001-01-01 was one): Sunday the 12th's next is the 13th.
        Assert.Equal(TimeSpan.FromDays(7), week.Step);
        Assert.Equal("Apr 13", week.Label(week.Values[0]));
    }

    [Fact]
    public void LinesBreakWhereAMemberCouldNotBeReadOrSamplesAreMissingAndPassOverEmptyIntervals()
    {
        (DateTimeOffset, double?, bool)[] samples =
        [
            (T0.AddSeconds(1), 1, false),
            (T0.AddSeconds(2), null, false), // no fsync in this interval: passed over, the line goes on
            (T0.AddSeconds(3), 3, false),
            (T0.AddSeconds(4), null, true), // unreadable: the line breaks
            (T0.AddSeconds(5), 5, false),
            (T0.AddSeconds(15), 6, false), // ten seconds without a sample: breaks too
            (T0.AddSeconds(16), double.NaN, false),
        ];
        var series = ChartSeries.From("etcd-0", "#2563eb", samples.Reverse(), TimeSpan.FromSeconds(3));
        Assert.Equal(["1 3", "5", "6"], series.Segments.Select(s => string.Join(' ', s.Select(p => p.Value))));
        Assert.Equal(4, series.PointCount);
    }

    [Fact]
    public void PointsArePlacedInPixelsOnTheChartsScales()
    {
        var series = new ChartSeries("etcd-0", "#2563eb", [[new ChartPoint(T0, 0), new ChartPoint(T0.AddSeconds(5), 2.5), new ChartPoint(T0.AddSeconds(10), 10)]]);
        var chart = new LineChart("WAL fsync p99", ChartUnit.Milliseconds, [series], [], [], T0, T0.AddSeconds(10), TimeSpan.Zero, includeZero: true);
        Assert.Equal((0d, 10d), (chart.Y.Min, chart.Y.Max));
        // x from Left (58) to Width - Right (586); y from Height - Bottom (208) up to Top (14).
        Assert.Equal("58,208 322,159.5 586,14", chart.PointsOf(series.Segments[0]));
    }

    [Fact]
    public void ThresholdsWithinReachAreDrawnAndWidenTheScaleWhileFarOnesAreNamedInstead()
    {
        ChartLine[] limits = [new(10, "healthy < 10 ms", ChartLineKind.Healthy), new(500, "critical ≥ 500 ms", ChartLineKind.Critical)];
        var fast = Series(0.4, 1.2, 0.8);
        var idle = new LineChart("WAL fsync p99", ChartUnit.Milliseconds, [fast], limits, [], T0, T0.AddSeconds(3), TimeSpan.Zero, true);
        Assert.Empty(idle.Drawn);
        Assert.Equal(limits, idle.AboveScale);
        // 1.2 in five steps: 0.25 each, up to 1.25.
        Assert.Equal(1.25, idle.Y.Max, 9);

        var busy = new LineChart("WAL fsync p99", ChartUnit.Milliseconds, [Series(2, 3, 4)], limits, [], T0, T0.AddSeconds(3), TimeSpan.Zero, true);
        Assert.Equal([limits[0]], busy.Drawn);
        Assert.Equal([limits[1]], busy.AboveScale);
        Assert.Equal(10, busy.Y.Max);
        Assert.Equal(LineChart.Top, busy.YScale.Map(10));
    }

    [Fact]
    public void TheSvgHasAxesThresholdsMarkersAndOneLineWithItsTitlePerMember()
    {
        var chart = new LineChart("Backend commit p99", ChartUnit.Milliseconds, [Series(2, 30, 4), Series(1, 2, 3) with { Name = "etcd-1", Colour = "#0d9488" }],
            [new(25, "healthy < 25 ms", ChartLineKind.Healthy)], [new ChartMarker(T0.AddSeconds(2), "Leader change seen at 10:00:02 by etcd-1")],
            T0, T0.AddSeconds(3), TimeSpan.Zero, true);
        var html = new HtmlWriter();
        chart.Write(html, "commit");
        var svg = XElement.Parse(html.ToString());
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal("0 0 600 250", (string?)svg.Attribute("viewBox"));
        Assert.Equal("Backend commit p99", svg.Element(ns + "title")!.Value);
        var lines = svg.Elements(ns + "g").Where(g => (string?)g.Attribute("class") == "series").ToList();
        Assert.Equal(["etcd-0", "etcd-1"], lines.Select(g => (string?)g.Attribute("data-member")));
        Assert.All(lines, g => Assert.Single(g.Elements(ns + "polyline")));
        // Few points: each is a dot with its value on hover.
        Assert.Equal("etcd-0 at 10:00:01: 30 ms", lines[0].Elements(ns + "circle").ElementAt(1).Element(ns + "title")!.Value);
        var axis = svg.Elements(ns + "g").Single(g => (string?)g.Attribute("class") == "axis");
        Assert.Equal(["0", "10", "20", "30", "milliseconds", "time (UTC)"],
            axis.Elements(ns + "text").Select(t => t.Value).Where(t => !t.Contains(':', StringComparison.Ordinal)));
        Assert.Single(svg.Elements(ns + "g"), g => (string?)g.Attribute("class") == "limit healthy");
        Assert.Equal("Leader change seen at 10:00:02 by etcd-1", svg.Elements(ns + "g").Single(g => (string?)g.Attribute("class") == "marker").Element(ns + "title")!.Value);
    }

    [Fact]
    public void LeadershipLanesJoinNeighbouringIntervalsInTheSameState()
    {
        EtcdPerformanceSample At(int second, bool? leader, bool hasLeader = true, string error = "") => new()
        {
            Timestamp = T0.AddSeconds(second),
            Member = "etcd-0",
            IntervalSeconds = error.Length > 0 ? 0 : 1,
            IsLeader = leader,
            HasLeader = error.Length > 0 ? null : hasLeader,
            Error = error,
        };
        var spans = LeadershipChart.Spans([At(1, true), At(2, true), At(3, true), At(4, null, error: "timeout"), At(5, null, error: "timeout"), At(6, false, hasLeader: false),
            At(7, false), At(8, false), At(12, false)], TimeSpan.FromSeconds(1));
        Assert.Equal(
            [
                new LeadershipSpan(T0, T0.AddSeconds(3), LeadershipState.Leader),
                new LeadershipSpan(T0.AddSeconds(3), T0.AddSeconds(5), LeadershipState.Unreadable),
                new LeadershipSpan(T0.AddSeconds(5), T0.AddSeconds(6), LeadershipState.NoLeader),
                new LeadershipSpan(T0.AddSeconds(6), T0.AddSeconds(8), LeadershipState.Follower),
                // Three seconds without a sample: a gap, not one long stretch.
                new LeadershipSpan(T0.AddSeconds(11), T0.AddSeconds(12), LeadershipState.Follower),
            ], spans);
    }

    private static ChartSeries Series(params double[] values) =>
        new("etcd-0", "#2563eb", [[.. values.Select((v, i) => new ChartPoint(T0.AddSeconds(i), v))]]);
}
