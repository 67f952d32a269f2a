using System.Globalization;

namespace EtcdTools.Performance;

/// <summary>
/// An earlier measurement to compare with (Measure-EtcdPerformance -Baseline): each member's
/// numbers by member name, however they were kept — the report objects themselves, or read back
/// from Export-Clixml, JSON or CSV, where numbers may arrive as text. A number now at least
/// <see cref="EtcdPerformanceThresholds.RegressionFactor"/> times its baseline, and worse by more
/// than measurement noise, becomes a finding.
/// </summary>
public sealed class EtcdPerformanceBaseline
{
    /// <summary>One compared number: the report property, what it is about, how it reads, and the least change that is not noise.</summary>
    private sealed record Measure(string Property, EtcdPerformanceArea Area, string Label, Func<double, string> Show, double Noise,
        Func<EtcdPerformanceThresholds, double>? Healthy, string Recommendation);

    private const string ChangedAdvice =
        "Something changed since the baseline: compare the disk (Test-EtcdDisk), other load on the hosts, the workload (ProposalsCommittedPerSec and GrpcRequestsPerSec then and now), and etcd's version and flags.";

    private const string WorkloadAdvice =
        "The workload grew since the baseline: latencies that rose with it may be its cost rather than a fault. Compare the findings of both runs.";

    private static readonly Measure[] Measures =
    [
        new(nameof(EtcdMemberPerformance.WalFsyncP99Ms), EtcdPerformanceArea.Disk, "WAL fsync p99", v => Format.Milliseconds(v), 1, t => t.WalFsyncP99WarningMs, ChangedAdvice),
        new(nameof(EtcdMemberPerformance.BackendCommitP99Ms), EtcdPerformanceArea.Disk, "Backend commit p99", v => Format.Milliseconds(v), 1, t => t.BackendCommitP99WarningMs, ChangedAdvice),
        new(nameof(EtcdMemberPerformance.PeerRttP99Ms), EtcdPerformanceArea.Network, "Peer round trip p99", v => Format.Milliseconds(v), 1, t => t.PeerRttP99WarningMs, ChangedAdvice),
        new(nameof(EtcdMemberPerformance.ApplyP99Ms), EtcdPerformanceArea.Workload, "Apply p99", v => Format.Milliseconds(v), 1, t => t.ApplyP99WarningMs, ChangedAdvice),
        new(nameof(EtcdMemberPerformance.GrpcHandlingP99Ms), EtcdPerformanceArea.Workload, "gRPC unary handling p99", v => Format.Milliseconds(v), 1, t => t.GrpcHandlingP99WarningMs, ChangedAdvice),
        new(nameof(EtcdMemberPerformance.GrpcFailurePercent), EtcdPerformanceArea.Workload, "Failed gRPC requests", v => Format.Number(v, "0.##") + "%", 0.5, t => t.GrpcFailureWarningPercent, ChangedAdvice),
        new(nameof(EtcdMemberPerformance.CpuPercent), EtcdPerformanceArea.Cpu, "CPU", v => Format.Number(v, "0") + "% of a core", 5, t => t.CpuWarningPercent, ChangedAdvice),
        new(nameof(EtcdMemberPerformance.ResidentMemoryBytes), EtcdPerformanceArea.Memory, "Resident memory", Format.Bytes, 64 * 1024 * 1024, t => t.MemoryWarningBytes, ChangedAdvice),
        new(nameof(EtcdMemberPerformance.ProposalsCommittedPerSec), EtcdPerformanceArea.Workload, "Committed proposals", v => Format.Number(v) + "/s", 10, null, WorkloadAdvice),
        new(nameof(EtcdMemberPerformance.GrpcRequestsPerSec), EtcdPerformanceArea.Workload, "gRPC requests", v => Format.Number(v) + "/s", 10, null, WorkloadAdvice),
    ];

    /// <summary>The report properties a baseline needs besides Member and StartTime: what is compared.</summary>
    public static IReadOnlyList<string> Properties { get; } = Measures.Select(m => m.Property).ToArray();

    private readonly Dictionary<string, Dictionary<string, double>> _members;

    private EtcdPerformanceBaseline(Dictionary<string, Dictionary<string, double>> members, DateTimeOffset? startTime)
    {
        _members = members;
        StartTime = startTime;
    }

    /// <summary>When the baseline was measured (its earliest StartTime), when known.</summary>
    public DateTimeOffset? StartTime { get; }

    /// <summary>The members the baseline has numbers for.</summary>
    public IReadOnlyCollection<string> Members => _members.Keys;

    /// <summary>
    /// A baseline from member reports as property bags (name to value). Bags without a Member and
    /// at least one compared number (a summary, a finding) are passed over; when none is left, an
    /// <see cref="ArgumentException"/> says what was expected.
    /// </summary>
    public static EtcdPerformanceBaseline FromReports(IEnumerable<IReadOnlyDictionary<string, object?>> reports)
    {
        var members = new Dictionary<string, Dictionary<string, double>>(StringComparer.OrdinalIgnoreCase);
        DateTimeOffset? start = null;
        foreach (var report in reports)
        {
            if (!report.TryGetValue(nameof(EtcdMemberPerformance.Member), out var name) || Convert.ToString(name, CultureInfo.InvariantCulture) is not { Length: > 0 } member)
                continue;
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var property in Properties)
                if (report.TryGetValue(property, out var value) && ToNumber(value) is { } number) values[property] = number;
            if (values.Count == 0 && !Properties.Any(report.ContainsKey)) continue;
            members[member] = values;
            if (report.TryGetValue(nameof(EtcdMemberPerformance.StartTime), out var time) && ToTime(time) is { } at && (start is null || at < start)) start = at;
        }
        if (members.Count == 0)
            throw new ArgumentException(
                "The baseline holds no member report of Measure-EtcdPerformance: pass its output as it was, or as read back with Import-Clixml, ConvertFrom-Json or Import-Csv " +
                $"(objects with Member and {string.Join(", ", Properties.Take(3))} ...).");
        return new EtcdPerformanceBaseline(members, start);
    }

    /// <summary>The regressions of <paramref name="reports"/> against this baseline, members matched by name.</summary>
    public IReadOnlyList<EtcdPerformanceFinding> Compare(IEnumerable<EtcdMemberPerformance> reports, EtcdPerformanceThresholds thresholds)
    {
        var findings = new List<EtcdPerformanceFinding>();
        var when = StartTime is { } start ? $" measured {start.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}" : "";
        foreach (var report in reports)
        {
            if (!_members.TryGetValue(report.Member, out var before)) continue;
            foreach (var measure in Measures)
            {
                if (!before.TryGetValue(measure.Property, out var then)) continue;
                var current = typeof(EtcdMemberPerformance).GetProperty(measure.Property)!.GetValue(report);
                if (ToNumber(current) is not { } now || now - then < measure.Noise) continue;
                var factor = then > 0 ? now / then : double.PositiveInfinity;
                if (factor < thresholds.RegressionFactor) continue;
                var healthy = measure.Healthy?.Invoke(thresholds);
                var title = double.IsPositiveInfinity(factor)
                    ? $"{measure.Label} is {measure.Show(now)}, {measure.Show(then)} in the baseline"
                    : $"{measure.Label} {Format.Number(factor, "0.0")}x the baseline ({measure.Show(now)} vs {measure.Show(then)})";
                findings.Add(new EtcdPerformanceFinding
                {
                    // Worse but still healthy is worth knowing; worse and past the healthy limit is a warning.
                    Severity = healthy is { } limit && now >= limit ? EtcdFindingSeverity.Warning : EtcdFindingSeverity.Info,
                    Area = measure.Area,
                    Member = report.Member,
                    Check = "Regression." + measure.Property,
                    Title = title,
                    Evidence = $"{report.Member}: {measure.Show(now)} over {Format.Seconds(report.DurationSeconds)} from {report.StartTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}; {measure.Show(then)} in the baseline{when}.",
                    Recommendation = measure.Recommendation,
                    Value = factor,
                    Threshold = thresholds.RegressionFactor,
                });
            }
        }
        return findings;
    }

    /// <summary>A number however it was kept: a number, its text (CSV, JSON), or nothing (null, NaN, empty).</summary>
    private static double? ToNumber(object? value)
    {
        double number;
        switch (value)
        {
            case null or DBNull:
                return null;
            case string text:
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number)) return null;
                break;
            case IConvertible convertible and not bool and not char and not DateTime:
                number = convertible.ToDouble(CultureInfo.InvariantCulture);
                break;
            default:
                return null;
        }
        return double.IsNaN(number) || double.IsInfinity(number) ? null : number;
    }

    private static DateTimeOffset? ToTime(object? value) => value switch
    {
        DateTimeOffset offset => offset,
        DateTime time => new DateTimeOffset(time),
        string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var parsed) => parsed,
        _ => null,
    };
}
