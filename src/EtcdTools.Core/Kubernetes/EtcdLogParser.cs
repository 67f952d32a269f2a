using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EtcdTools.Kubernetes;

/// <summary>
/// Parses etcd's log lines (zap's JSON, as --logger=zap writes them and as OpenShift and etcd 3.5+
/// run; also the older capnslog text lines of etcd 3.4's default logger, and the lines gRPC's own
/// logger writes into the same stream) and classifies them.
/// </summary>
public static partial class EtcdLogParser
{
    /// <summary>The message patterns of each category, first match wins; they match zap's messages and capnslog's text alike.</summary>
    private static readonly (EtcdLogCategory Category, Regex Pattern)[] Rules =
    [
        (EtcdLogCategory.SlowApply, new Regex(@"apply request took too long|apply entries took too long|read-only range request .* took too long", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.SlowFdatasync, new Regex(@"slow fdatasync|sync duration of .* expected less than", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.HeartbeatLate, new Regex(@"failed to send out heartbeat on time", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.LeaderLost, new Regex(@"\blost leader\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.LeaderChanged, new Regex(@"changed leader from", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.LeaderElected, new Regex(@"elected leader|became leader at term", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.Election, new Regex(@"starting a new election|became (pre-)?candidate|received MsgVoteResp|cast MsgVote", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.NoSpaceAlarm, new Regex(@"NOSPACE|database space exceeded|exceeded quota", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.Alarm, new Regex(@"alarm raised|CORRUPT", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.ClusterIdMismatch, new Regex(@"cluster ID mismatch|cluster-id mismatch|mismatch(ed)? cluster ID", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.PeerUnreachable, new Regex(@"prober detected unhealthy status|lost TCP streaming connection|peer became inactive|failed to dial|failed to reach the peer URL|is unreachable", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.TlsRejected, new Regex(@"rejected connection|tls: bad certificate|certificate has expired|unknown certificate authority", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.Defrag, new Regex(@"defrag", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.Compaction, new Regex(@"compaction|compacted|compact tree index", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
        (EtcdLogCategory.Snapshot, new Regex(@"snapshot", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)),
    ];

    /// <summary>Classifies a message (and, for alarms, the alarm's name) by <see cref="Rules"/>.</summary>
    public static EtcdLogCategory Classify(string message, string? alarm = null)
    {
        if (alarm is not null && alarm.Contains("NOSPACE", StringComparison.OrdinalIgnoreCase)) return EtcdLogCategory.NoSpaceAlarm;
        foreach (var (category, pattern) in Rules)
            if (pattern.IsMatch(message)) return category;
        return EtcdLogCategory.Other;
    }

    /// <summary>One line, parsed; null for an empty line. Lines of no known format keep their text as the message.</summary>
    public static EtcdLogEntry? Parse(string line, EtcdPod? pod = null)
    {
        var text = line.TrimEnd('\r', '\n');
        if (text.Trim().Length == 0) return null;
        var entry = text.TrimStart().StartsWith('{') ? ParseZap(text) : null;
        entry ??= ParseCapnslog(text) ?? ParseGrpc(text);
        entry ??= new ParsedLine(null, "", text.Trim(), null, null, "", null);
        return new EtcdLogEntry
        {
            Namespace = pod?.Namespace ?? "",
            Pod = pod?.Name ?? "",
            MemberName = pod?.MemberName ?? "",
            Time = entry.Time,
            Level = entry.Level,
            Message = entry.Message,
            TookMs = entry.TookMs,
            ExpectedMs = entry.ExpectedMs,
            Caller = entry.Caller,
            Category = Classify(entry.Message, entry.Alarm),
            Line = text,
        };
    }

    private sealed record ParsedLine(DateTimeOffset? Time, string Level, string Message, double? TookMs, double? ExpectedMs, string Caller, string? Alarm);

    private static ParsedLine? ParseZap(string text)
    {
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            string? Text(string name) => root.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ToString() : null;
            DateTimeOffset? time = null;
            if (root.TryGetProperty("ts", out var ts))
            {
                if (ts.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(ts.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)) time = parsed;
                else if (ts.ValueKind == JsonValueKind.Number && ts.TryGetDouble(out var seconds)) time = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
            }
            var message = Text("msg") ?? "";
            // Some lines carry the interesting part in a field: the alarm's name, a raft message's detail.
            var alarm = Text("alarm");
            return new ParsedLine(time, Text("level") ?? "", message, GoDuration.TryParseMilliseconds(Text("took")),
                GoDuration.TryParseMilliseconds(Text("expected-duration")), Text("caller") ?? "", alarm);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ParsedLine? ParseCapnslog(string text)
    {
        var match = CapnslogPattern().Match(text);
        if (!match.Success) return null;
        DateTimeOffset? time = DateTimeOffset.TryParseExact(match.Groups["time"].Value, "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
        var level = match.Groups["level"].Value switch
        {
            "D" => "debug",
            "I" or "N" => "info",
            "W" => "warn",
            "E" => "error",
            "C" => "fatal",
            _ => "",
        };
        var message = match.Groups["message"].Value;
        var took = TookPattern().Match(message) is { Success: true } m ? GoDuration.TryParseMilliseconds(m.Groups[1].Value) : null;
        return new ParsedLine(time, level, message, took, null, match.Groups["package"].Value, null);
    }

    [GeneratedRegex(@"^(?<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}) (?<level>[DINWEC]) \| (?:(?<package>[\w./-]+): )?(?<message>.*)$")]
    private static partial Regex CapnslogPattern();

    /// <summary>
    /// grpc-go's logger, which etcd leaves writing to stderr beside its own: "WARNING: 2026/12/04
    /// 23:23:43 [core] grpc: ...". Like capnslog's, its time has no zone: read as UTC, as containers run.
    /// </summary>
    private static ParsedLine? ParseGrpc(string text)
    {
        var match = GrpcPattern().Match(text);
        if (!match.Success) return null;
        DateTimeOffset? time = DateTimeOffset.TryParseExact(match.Groups["time"].Value, ["yyyy/MM/dd HH:mm:ss", "yyyy/MM/dd HH:mm:ss.FFFFFF"], CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
        var level = match.Groups["level"].Value switch
        {
            "INFO" => "info",
            "WARNING" => "warn",
            "ERROR" => "error",
            _ => "fatal",
        };
        var component = match.Groups["component"].Success ? "grpc/" + match.Groups["component"].Value : "grpc";
        return new ParsedLine(time, level, match.Groups["message"].Value, null, null, component, null);
    }

    [GeneratedRegex(@"^(?<level>INFO|WARNING|ERROR|FATAL): (?<time>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?) (?:\[(?<component>[\w-]+)\] )?(?<message>.*)$")]
    private static partial Regex GrpcPattern();

    [GeneratedRegex(@"(?:took too long \(|\[)([0-9.]+(?:ns|us|µs|ms|s|m|h))")]
    private static partial Regex TookPattern();
}

/// <summary>Go's time.Duration text ("1.5s", "250.1ms", "1m2.5s", "950µs").</summary>
internal static partial class GoDuration
{
    public static double? TryParseMilliseconds(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var matches = PartPattern().Matches(text.Trim());
        if (matches.Count == 0 || matches.Sum(m => m.Length) != text.Trim().Length) return null;
        double total = 0;
        foreach (Match part in matches)
        {
            var value = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            total += part.Groups[2].Value switch
            {
                "h" => value * 3_600_000,
                "m" => value * 60_000,
                "s" => value * 1000,
                "ms" => value,
                "us" or "µs" or "μs" => value / 1000,
                _ => value / 1_000_000,
            };
        }
        return total;
    }

    [GeneratedRegex(@"([0-9]+(?:\.[0-9]+)?)(h|ms|m|s|us|µs|μs|ns)")]
    private static partial Regex PartPattern();
}
