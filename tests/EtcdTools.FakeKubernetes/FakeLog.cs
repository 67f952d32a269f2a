using System.Globalization;
using System.Text.Json;

namespace EtcdTools.FakeKubernetes;

/// <summary>
/// A sandbox member's log read as a container's: each "=== etcd sandbox: starting" marker begins a
/// new container instance; the current one is the last, the previous one the one before. Each
/// line's time is its own zap "ts" (lines without one take the time of the line before).
/// </summary>
internal static class FakeLog
{
    private const string Marker = "=== etcd sandbox: starting";

    public sealed record Line(string Text, DateTimeOffset? Time);

    public static int Instances(string path) =>
        File.Exists(path) ? ReadAll(path).Count(l => l.StartsWith(Marker, StringComparison.Ordinal)) : 0;

    /// <summary>The lines of the current instance, or of the previous one (null when there is none).</summary>
    public static List<Line>? Read(string path, bool previous)
    {
        if (!File.Exists(path)) return previous ? null : [];
        var instances = new List<List<Line>>();
        DateTimeOffset? last = null;
        foreach (var text in ReadAll(path))
        {
            if (text.StartsWith(Marker, StringComparison.Ordinal))
            {
                instances.Add([]);
                var at = text.LastIndexOf(" at ", StringComparison.Ordinal);
                if (at > 0 && DateTimeOffset.TryParse(text[(at + 4)..], CultureInfo.InvariantCulture, DateTimeStyles.None, out var started)) last = started;
                continue;
            }
            if (instances.Count == 0) instances.Add([]);
            var time = TimeOf(text) ?? last;
            last = time;
            instances[^1].Add(new Line(text, time));
        }
        if (previous) return instances.Count >= 2 ? instances[^2] : null;
        return instances.Count == 0 ? [] : instances[^1];
    }

    private static List<string> ReadAll(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    private static DateTimeOffset? TimeOf(string line)
    {
        if (!line.StartsWith('{')) return null;
        try
        {
            using var json = JsonDocument.Parse(line);
            return json.RootElement.TryGetProperty("ts", out var ts) && ts.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(ts.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
