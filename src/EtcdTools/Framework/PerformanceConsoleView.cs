using System.Globalization;
using System.Management.Automation.Host;
using System.Text;
using EtcdTools.Performance;

namespace EtcdTools.Framework;

/// <summary>
/// Watch-EtcdPerformance's live console view: a small table of each member's latest interval,
/// redrawn in place with VT sequences, status in colour; warnings and errors go above it; and the
/// session summary at the end. Updated from the watch's threads, drawn on the pipeline thread.
/// </summary>
internal sealed class PerformanceConsoleView(IReadOnlyList<string> members, TimeSpan interval, bool colour)
{
    private const string Reset = "\e[0m";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, EtcdPerformanceSample> _latest = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _started = DateTimeOffset.Now;
    private int _drawnLines;
    private bool _dirty = true;

    public void Update(EtcdPerformanceSample sample)
    {
        lock (_gate)
        {
            _latest[sample.Member] = sample;
            _dirty = true;
        }
    }

    /// <summary>True once since the last draw when something changed.</summary>
    public bool TakeDirty()
    {
        lock (_gate)
        {
            var dirty = _dirty;
            _dirty = false;
            return dirty;
        }
    }

    /// <summary>Redraws the table over the previous one.</summary>
    public void Draw(PSHostUserInterface ui)
    {
        var lines = Render(ui.RawUI.WindowSize.Width);
        var text = new StringBuilder(Erasure());
        foreach (var line in lines) text.Append(line).Append('\n');
        ui.Write(text.ToString());
        _drawnLines = lines.Count;
    }

    /// <summary>Removes the table, so warnings and errors print where it was and it is drawn again below them.</summary>
    public void Erase(PSHostUserInterface ui)
    {
        if (_drawnLines == 0) return;
        ui.Write(Erasure());
        _drawnLines = 0;
        lock (_gate) _dirty = true;
    }

    private string Erasure() => _drawnLines > 0 ? $"\e[{_drawnLines}A\r\e[J" : "";

    private List<string> Render(int width)
    {
        Dictionary<string, EtcdPerformanceSample> latest;
        lock (_gate) latest = new(_latest, StringComparer.Ordinal);
        var now = DateTimeOffset.Now;
        string[] header = ["Member", "Role", "Status", "WAL p99", "Commit p99", "RTT p99", "Commits/s", "Pending", "CPU %", "RSS", "DB size", "gRPC/s", "Fail %", "Alerts"];
        var rows = new List<string[]>();
        foreach (var member in members)
        {
            if (!latest.TryGetValue(member, out var s))
            {
                rows.Add([member, "", "...", "", "", "", "", "", "", "", "", "", "", "waiting for the first interval"]);
                continue;
            }
            rows.Add(
            [
                member,
                s.Error.Length > 0 ? "?" : s.IsLeader == true ? "leader" : s.HasLeader == false ? "no leader" : "follower",
                s.Error.Length > 0 ? "Unreachable" : s.Status.ToString(),
                Ms(s.WalFsyncP99Ms), Ms(s.BackendCommitP99Ms), Ms(s.PeerRttP99Ms),
                Number(s.ProposalsCommittedPerSec), Number(s.ProposalsPending), Number(s.CpuPercent),
                Bytes(s.ResidentMemoryBytes), Bytes(s.DbSizeBytes), Number(s.GrpcRequestsPerSec), Number(s.GrpcFailurePercent),
                s.Error.Length > 0 ? s.Error : s.Alerts,
            ]);
        }
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        widths[^1] = header[^1].Length; // alerts run to the edge, cut there
        var lines = new List<string>
        {
            $"Watching {members.Count} member(s) every {Duration.Format(interval)} since {_started:HH:mm:ss} ({Duration.Format(TimeSpan.FromSeconds(Math.Round((now - _started).TotalSeconds)))}); Ctrl+C to stop",
            Row(header, widths, width, null),
            Row(header.Select(h => new string('-', h.Length)).ToArray(), widths, width, null),
        };
        lines.AddRange(rows.Select(r => Row(r, widths, width, r[2])));
        return lines;
    }

    /// <summary>One row cut to the window's width (a wrapped line would break the redraw); the status cell coloured.</summary>
    private string Row(string[] cells, int[] widths, int width, string? status)
    {
        var plain = new StringBuilder();
        var statusStart = -1;
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0) plain.Append(' ');
            if (i == 2) statusStart = plain.Length;
            var numeric = i >= 3 && i < cells.Length - 1;
            plain.Append(numeric ? cells[i].PadLeft(widths[i]) : i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i]));
        }
        var text = plain.ToString();
        if (width > 1 && text.Length > width - 1) text = text[..(width - 1)];
        if (!colour || status is null || statusStart < 0 || statusStart + status.Length > text.Length) return text;
        var code = status switch
        {
            "Ok" => "\e[32m",
            "Warning" => "\e[33m",
            "Critical" or "Unreachable" => "\e[31m",
            _ => null,
        };
        if (code is null) return text;
        return text[..statusStart] + code + status + Reset + text[(statusStart + status.Length)..];
    }

    /// <summary>Min, mean and max per member over the session, as text for the console.</summary>
    public static string Summary(IReadOnlyList<EtcdWatchSummary> summaries, DateTimeOffset start, DateTimeOffset end)
    {
        string[] header = ["Member", "Samples", "Warn", "Crit", "Failed", "Leader chg", "WAL p99 min/avg/max", "Commit p99 min/avg/max", "RTT p99 max", "CPU % min/avg/max", "RSS max"];
        var rows = summaries.Select(s => new[]
        {
            s.Member, s.Samples.ToString(CultureInfo.InvariantCulture), s.WarningSamples.ToString(CultureInfo.InvariantCulture),
            s.CriticalSamples.ToString(CultureInfo.InvariantCulture), s.FailedSamples.ToString(CultureInfo.InvariantCulture),
            s.LeaderChanges.ToString(CultureInfo.InvariantCulture),
            Range(s.WalFsyncP99Ms, Ms), Range(s.BackendCommitP99Ms, Ms), Ms(s.PeerRttP99Ms.Max),
            Range(s.CpuPercent, v => Number(v)), Bytes((long?)s.ResidentMemoryBytes.Max),
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Session summary: {summaries.Count} member(s), {start:HH:mm:ss} to {end:HH:mm:ss} ({Duration.Format(TimeSpan.FromSeconds(Math.Round((end - start).TotalSeconds)))})\n");
        foreach (var row in new[] { header, header.Select(h => new string('-', h.Length)).ToArray() }.Concat(rows))
            text.Append(string.Join(' ', row.Select((cell, i) => i == 0 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i])))).Append('\n');
        return text.ToString();
    }

    private static string Range(EtcdStatistic statistic, Func<double?, string> show) =>
        statistic.Count == 0 ? "n/a" : $"{show(statistic.Min)} / {show(statistic.Average)} / {show(statistic.Max)}";

    private static string Ms(double? value) => value switch
    {
        null => "n/a",
        >= 1000 => (value.Value / 1000).ToString("0.##", CultureInfo.InvariantCulture) + " s",
        >= 10 => value.Value.ToString("0", CultureInfo.InvariantCulture) + " ms",
        _ => value.Value.ToString("0.##", CultureInfo.InvariantCulture) + " ms",
    };

    private static string Number(double? value) => value?.ToString("0.#", CultureInfo.InvariantCulture) ?? "n/a";

    private static string Bytes(long? bytes)
    {
        if (bytes is not { } b) return "n/a";
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = b;
        var i = 0;
        while (v >= 1024 && i < units.Length - 1)
        {
            v /= 1024;
            i++;
        }
        return (i == 0 ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.#", CultureInfo.InvariantCulture)) + " " + units[i];
    }
}
