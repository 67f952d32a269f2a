using System.Globalization;

namespace EtcdTools.Performance.Html;

/// <summary>Maps a domain linearly onto a pixel range (a y range runs from the bottom pixel up to the top one).</summary>
internal readonly record struct LinearScale(double DomainMin, double DomainMax, double RangeMin, double RangeMax)
{
    public double Map(double value) => DomainMax == DomainMin
        ? (RangeMin + RangeMax) / 2
        : RangeMin + (value - DomainMin) / (DomainMax - DomainMin) * (RangeMax - RangeMin);
}

/// <summary>An axis's ticks: the domain rounded out to whole steps, and the values at each step.</summary>
internal sealed record AxisTicks(double Min, double Max, double Step, IReadOnlyList<double> Values)
{
    /// <summary>Decimals a label needs to tell the ticks apart: 0 for a step of 5, 1 for 0.5 or 2.5, 2 for 0.25.</summary>
    public int Decimals
    {
        get
        {
            for (var decimals = 0; decimals < 10; decimals++)
            {
                var scaled = Step * Math.Pow(10, decimals);
                if (Math.Abs(scaled - Math.Round(scaled)) < 1e-6 * Math.Max(1, scaled)) return decimals;
            }
            return 10;
        }
    }

    public string Label(double value) =>
        value.ToString(Decimals == 0 ? "0" : "0." + new string('0', Decimals), CultureInfo.InvariantCulture);
}

/// <summary>"Nice" axis steps (1, 2, 2.5 or 5 times a power of ten), as Heckbert's labelling and most chart libraries choose them.</summary>
internal static class NiceScale
{
    /// <summary>The nice step that divides <paramref name="span"/> into about <paramref name="targetTicks"/> parts (never fewer).</summary>
    public static double Step(double span, int targetTicks)
    {
        if (!(span > 0) || double.IsInfinity(span)) throw new ArgumentOutOfRangeException(nameof(span), span, "An axis needs a positive, finite span.");
        var raw = span / Math.Max(1, targetTicks);
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var fraction = raw / magnitude;
        var nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    /// <summary>
    /// Ticks for values from <paramref name="min"/> to <paramref name="max"/>: the domain widened to
    /// whole steps. A single value gets an axis from zero to it (or 0 to 1 for zero itself).
    /// </summary>
    public static AxisTicks Ticks(double min, double max, int targetTicks = 5)
    {
        if (double.IsNaN(min) || double.IsNaN(max) || double.IsInfinity(min) || double.IsInfinity(max))
            throw new ArgumentOutOfRangeException(nameof(min), "An axis needs finite values.");
        if (max < min) (min, max) = (max, min);
        if (max == min)
        {
            if (max > 0) min = 0;
            else if (max < 0) max = 0;
            else max = 1;
        }
        var step = Step(max - min, targetTicks);
        var low = Math.Floor(min / step + 1e-9) * step;
        var high = Math.Ceiling(max / step - 1e-9) * step;
        var count = (int)Math.Round((high - low) / step);
        var values = new double[count + 1];
        // Multiplying (not adding) keeps 0.1-steps from drifting into 0.30000000000000004.
        for (var i = 0; i <= count; i++) values[i] = Math.Round(low + i * step, 12);
        return new AxisTicks(values[0], values[^1], step, values);
    }
}

/// <summary>What a chart's numbers are: how its axis is scaled and titled.</summary>
internal enum ChartUnit
{
    Milliseconds,
    PerSecond,
    PercentOfCore,
    Bytes,
}

/// <summary>A value axis: ticks in a display unit (MiB for bytes, s for long latencies) and its title.</summary>
internal sealed record ValueAxis(AxisTicks Ticks, double Divisor, string Title)
{
    /// <summary>The domain in the chart's own unit (bytes, milliseconds).</summary>
    public double Min => Ticks.Min * Divisor;
    public double Max => Ticks.Max * Divisor;

    public static ValueAxis For(ChartUnit unit, double min, double max, int targetTicks = 5)
    {
        var (divisor, title) = unit switch
        {
            ChartUnit.Bytes => BinaryUnit(Math.Max(Math.Abs(min), Math.Abs(max))),
            ChartUnit.Milliseconds when max >= 2000 => (1000d, "seconds"),
            ChartUnit.Milliseconds => (1d, "milliseconds"),
            ChartUnit.PerSecond => (1d, "per second"),
            _ => (1d, "% of one core"),
        };
        return new ValueAxis(NiceScale.Ticks(min / divisor, max / divisor, targetTicks), divisor, title);
    }

    /// <summary>The largest binary unit in which <paramref name="bytes"/> is at least 1.</summary>
    private static (double Divisor, string Title) BinaryUnit(double bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
        var unit = 0;
        var divisor = 1d;
        while (unit < units.Length - 1 && bytes >= divisor * 1024)
        {
            divisor *= 1024;
            unit++;
        }
        return (divisor, units[unit]);
    }
}

/// <summary>Time ticks on whole seconds, minutes or hours of the report's clock.</summary>
internal sealed record TimeTicks(IReadOnlyList<DateTimeOffset> Values, TimeSpan Step)
{
    /// <summary>Seconds when the step needs them; the day once steps span hours.</summary>
    public string Label(DateTimeOffset time) => time.ToString(
        Step < TimeSpan.FromMinutes(1) ? "HH:mm:ss" : Step < TimeSpan.FromHours(6) ? "HH:mm" : Step < TimeSpan.FromDays(1) ? "MMM d HH:mm" : "MMM d", CultureInfo.InvariantCulture);
}

internal static class TimeScale
{
    private static readonly TimeSpan[] Steps = [.. new[]
    {
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
    }.Select(s => TimeSpan.FromSeconds(s))];

    /// <summary>
    /// At most <paramref name="targetTicks"/> ticks (one more at exact fits) between <paramref name="start"/>
    /// and <paramref name="end"/>, on whole multiples of the step in the clock of <paramref name="offset"/>
    /// (10:05:00 local, not a multiple of five minutes in UTC ticks).
    /// </summary>
    public static TimeTicks Ticks(DateTimeOffset start, DateTimeOffset end, TimeSpan offset, int targetTicks = 6)
    {
        if (end < start) (start, end) = (end, start);
        var span = end - start;
        var step = Steps.FirstOrDefault(s => span.Ticks / s.Ticks <= targetTicks, Steps[^1]);
        var local = start.UtcTicks + offset.Ticks;
        var first = (local + step.Ticks - 1) / step.Ticks * step.Ticks;
        var last = end.UtcTicks + offset.Ticks;
        var values = new List<DateTimeOffset>();
        for (var tick = first; tick <= last; tick += step.Ticks)
            values.Add(new DateTimeOffset(new DateTime(tick, DateTimeKind.Unspecified), offset));
        return new TimeTicks(values, step);
    }
}
