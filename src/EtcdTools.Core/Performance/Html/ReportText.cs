using System.Globalization;

namespace EtcdTools.Performance.Html;

/// <summary>Times, counts and lists as the report spells them: in the clock of the measurement, invariant culture.</summary>
internal static class ReportText
{
    /// <summary>"UTC", "UTC+02:00", "UTC-05:30".</summary>
    public static string Zone(TimeSpan offset) => offset == TimeSpan.Zero
        ? "UTC"
        : "UTC" + (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture);

    public static string DateTime(DateTimeOffset time, TimeSpan offset) => time.ToOffset(offset).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Clock(DateTimeOffset time, TimeSpan offset) => time.ToOffset(offset).ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>"2026-04-12 19:54:12 – 19:55:12 UTC", the end's date only when it differs.</summary>
    public static string Window(DateTimeOffset start, DateTimeOffset end, TimeSpan offset)
    {
        var sameDay = start.ToOffset(offset).Date == end.ToOffset(offset).Date;
        return $"{DateTime(start, offset)} – {(sameDay ? Clock(end, offset) : DateTime(end, offset))} {Zone(offset)}";
    }

    /// <summary>"1 warning", "3 warnings".</summary>
    public static string Count(long count, string singular, string? plural = null) =>
        $"{Format.Count(count)} {(count == 1 ? singular : plural ?? singular + "s")}";

    /// <summary>"a", "a and b", "a, b and c".</summary>
    public static string List(IReadOnlyList<string> items) => items.Count switch
    {
        0 => "",
        1 => items[0],
        _ => string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1],
    };
}
