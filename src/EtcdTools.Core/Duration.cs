using System.Globalization;
using System.Text.RegularExpressions;

namespace EtcdTools;

/// <summary>
/// Durations as operators write them: etcdctl/Go style ("500ms", "5s", "1m30s", "2h"), a plain
/// number of seconds ("3", "0.5"), or a .NET TimeSpan string ("00:00:05").
/// </summary>
public static partial class Duration
{
    [GeneratedRegex(@"^(?:(?<n>\d+(?:\.\d+)?)(?<u>ns|us|µs|ms|s|m|h|d))+$", RegexOptions.CultureInvariant)]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"(?<n>\d+(?:\.\d+)?)(?<u>ns|us|µs|ms|s|m|h|d)", RegexOptions.CultureInvariant)]
    private static partial Regex GoDurationPart();

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim();
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds < 0 || double.IsNaN(seconds) || double.IsInfinity(seconds)) return false;
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }
        if (GoDuration().IsMatch(s))
        {
            double ticks = 0;
            foreach (Match m in GoDurationPart().Matches(s))
            {
                var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
                ticks += m.Groups["u"].Value switch
                {
                    "ns" => n / 100,
                    "us" or "µs" => n * TimeSpan.TicksPerMicrosecond,
                    "ms" => n * TimeSpan.TicksPerMillisecond,
                    "s" => n * TimeSpan.TicksPerSecond,
                    "m" => n * TimeSpan.TicksPerMinute,
                    "h" => n * TimeSpan.TicksPerHour,
                    _ => n * TimeSpan.TicksPerDay,
                };
            }
            value = TimeSpan.FromTicks((long)ticks);
            return true;
        }
        if (TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero) return true;
        value = default;
        return false;
    }

    public static TimeSpan Parse(string text, string what = "duration") =>
        TryParse(text, out var v)
            ? v
            : throw new FormatException($"'{text}' is not a valid {what}: use a number of seconds (5), an etcdctl-style duration (500ms, 5s, 15m, 1h30m) or hh:mm:ss.");

    /// <summary>Formats like etcdctl prints durations: "500ms", "5s", "1m30s".</summary>
    public static string Format(TimeSpan value)
    {
        if (value < TimeSpan.FromSeconds(1)) return $"{value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)}ms";
        var parts = new List<string>();
        if (value.Days > 0) parts.Add($"{(int)value.TotalHours}h");
        else if (value.Hours > 0) parts.Add($"{value.Hours}h");
        if (value.Minutes > 0) parts.Add($"{value.Minutes}m");
        var secs = value.Seconds + value.Milliseconds / 1000.0;
        if (secs > 0 || parts.Count == 0) parts.Add($"{secs.ToString("0.###", CultureInfo.InvariantCulture)}s");
        return string.Concat(parts);
    }
}
