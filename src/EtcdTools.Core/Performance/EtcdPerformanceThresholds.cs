using System.Collections;
using System.Globalization;
using System.Reflection;
using EtcdTools.Health;

namespace EtcdTools.Performance;

/// <summary>
/// The limits Measure-EtcdPerformance and Watch-EtcdPerformance judge by. For latencies, the
/// Warning level is the healthy limit etcd's documentation and OpenShift give, the Critical level
/// what the etcd mixin alerts on. Override any of them by name (<see cref="FromDictionary"/>,
/// -Thresholds @{ WalFsyncP99WarningMs = 20 }); the quota and fragmentation keys are the same as
/// Test-EtcdCluster's.
/// </summary>
public sealed record EtcdPerformanceThresholds
{
    /// <summary>WAL fsync p99: healthy below 10 ms (etcd FAQ).</summary>
    public double WalFsyncP99WarningMs { get; init; } = 10;

    /// <summary>WAL fsync p99: the mixin warns at 0.5 s.</summary>
    public double WalFsyncP99CriticalMs { get; init; } = 500;

    /// <summary>Backend commit p99: healthy below 25 ms (etcd FAQ).</summary>
    public double BackendCommitP99WarningMs { get; init; } = 25;

    /// <summary>Backend commit p99: the mixin alerts at 0.25 s.</summary>
    public double BackendCommitP99CriticalMs { get; init; } = 250;

    /// <summary>Peer round trip p99: healthy below 50 ms (OpenShift).</summary>
    public double PeerRttP99WarningMs { get; init; } = 50;

    /// <summary>Peer round trip p99: the mixin alerts at 0.15 s.</summary>
    public double PeerRttP99CriticalMs { get; init; } = 150;

    /// <summary>Apply duration p99 (etcd 3.5+): etcd logs "apply request took too long" above 100 ms.</summary>
    public double ApplyP99WarningMs { get; init; } = 100;

    public double ApplyP99CriticalMs { get; init; } = 1000;

    /// <summary>gRPC unary handling p99, Defragment excluded (--metrics=extensive): the mixin alerts at 0.15 s.</summary>
    public double GrpcHandlingP99WarningMs { get; init; } = 150;

    public double GrpcHandlingP99CriticalMs { get; init; } = 1000;

    /// <summary>Failed gRPC requests (codes Unknown, FailedPrecondition, ResourceExhausted, Internal, Unavailable, DataLoss, DeadlineExceeded), percent of all: the mixin warns at 1%...</summary>
    public double GrpcFailureWarningPercent { get; init; } = 1;

    /// <summary>...and is critical at 5%.</summary>
    public double GrpcFailureCriticalPercent { get; init; } = 5;

    /// <summary>Failure percentages of fewer requests than this are not judged (one failure in three calls is not 33% of a workload).</summary>
    public long GrpcFailureMinRequests { get; init; } = 20;

    /// <summary>Leader changes in the window: any is worth a warning...</summary>
    public long LeaderChangesWarning { get; init; } = 1;

    /// <summary>...and the mixin alerts at 4 (in 15 minutes).</summary>
    public long LeaderChangesCritical { get; init; } = 4;

    /// <summary>Failed proposals per second: the mixin alerts above 5 (any failure is a warning).</summary>
    public double ProposalsFailedCriticalPerSec { get; init; } = 5;

    /// <summary>Process CPU as a percentage of one core.</summary>
    public double CpuWarningPercent { get; init; } = 80;

    public double CpuCriticalPercent { get; init; } = 150;

    /// <summary>Resident memory: etcd's hardware guide plans 8 GB for typical clusters...</summary>
    public long MemoryWarningBytes { get; init; } = 8 * EtcdHealthThresholds.GiB;

    /// <summary>...and 16 GB for heavy ones.</summary>
    public long MemoryCriticalBytes { get; init; } = 16 * EtcdHealthThresholds.GiB;

    /// <summary>Database size as a percentage of the quota (as Test-EtcdCluster): Info, Warning and Critical levels.</summary>
    public double DbQuotaInfoPercent { get; init; } = 65;

    public double DbQuotaWarnPercent { get; init; } = 75;

    public double DbQuotaFailPercent { get; init; } = 85;

    /// <summary>Hours until the database reaches the quota at the window's growth rate: the mixin warns within 4 h...</summary>
    public double QuotaExhaustionWarningHours { get; init; } = 4;

    /// <summary>...critical within 1 h.</summary>
    public double QuotaExhaustionCriticalHours { get; init; } = 1;

    /// <summary>
    /// The shortest window whose growth is projected as a warning or alert (shorter ones give Info):
    /// longer than Kubernetes' 5-minute compaction, as the mixin's alert holds for 10 min.
    /// </summary>
    public double QuotaExhaustionMinWindowMinutes { get; init; } = 10;

    /// <summary>Fragmentation (as Test-EtcdCluster): in-use / total below this ratio...</summary>
    public double FragmentationMaxInUseRatio { get; init; } = 0.5;

    /// <summary>...with more than this many bytes in use.</summary>
    public long FragmentationMinInUseBytes { get; init; } = 100 * EtcdHealthThresholds.MiB;

    /// <summary>Open file descriptors as a percentage of the limit.</summary>
    public double OpenFileDescriptorsWarningPercent { get; init; } = 80;

    /// <summary>With -Baseline: a measure this many times its baseline value (or more) is a regression.</summary>
    public double RegressionFactor { get; init; } = 1.5;

    public static EtcdPerformanceThresholds Default { get; } = new();

    private static readonly PropertyInfo[] Properties = typeof(EtcdPerformanceThresholds)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.PropertyType == typeof(double) || p.PropertyType == typeof(long))
        .ToArray();

    /// <summary>The keys <see cref="FromDictionary"/> accepts, as documented.</summary>
    public static IReadOnlyList<string> Keys { get; } = Properties.Select(p => p.Name).ToArray();

    /// <summary>
    /// The defaults with the given keys (case-insensitive) overridden. Values are numbers or numeric
    /// strings; keys ending in Ms also take a TimeSpan. Unknown keys, values out of range and a
    /// Warning level above its Critical level throw <see cref="ArgumentException"/> naming the problem.
    /// </summary>
    public static EtcdPerformanceThresholds FromDictionary(IDictionary? overrides)
    {
        var result = new EtcdPerformanceThresholds();
        if (overrides is null) return result;
        foreach (DictionaryEntry entry in overrides)
        {
            var name = ThresholdValues.Key(entry.Key, Keys);
            var value = ThresholdValues.ToNumber(name, entry.Value, name.EndsWith("Ms", StringComparison.Ordinal) ? span => span.TotalMilliseconds : null);
            var property = Properties.Single(p => p.Name == name);
            // Percentages of a whole; CPU is a percentage of one core and may exceed 100.
            if (name.EndsWith("Percent", StringComparison.Ordinal) && !name.StartsWith("Cpu", StringComparison.Ordinal))
                value = ThresholdValues.Percent(name, value);
            if (name == nameof(FragmentationMaxInUseRatio) && value is <= 0 or > 1)
                throw new ArgumentException($"FragmentationMaxInUseRatio must be above 0 and at most 1 (a ratio of in-use to total bytes), not {value.ToString(CultureInfo.InvariantCulture)}.");
            if (name == nameof(RegressionFactor) && value <= 1)
                throw new ArgumentException($"RegressionFactor must be above 1 (how many times the baseline value counts as worse), not {value.ToString(CultureInfo.InvariantCulture)}.");
            // A fresh instance of this method alone: setting its init-only properties here is safe.
            property.SetValue(result, property.PropertyType == typeof(long) ? ThresholdValues.ToWhole(name, value) : value);
        }
        result.CheckOrder();
        return result;
    }

    /// <summary>Each Warning level at most its Critical level, and the quota levels rising.</summary>
    private void CheckOrder()
    {
        foreach (var warning in Properties.Where(p => p.Name.Contains("Warning", StringComparison.Ordinal)))
        {
            var critical = Properties.FirstOrDefault(p => p.Name == warning.Name.Replace("Warning", "Critical", StringComparison.Ordinal));
            if (critical is null) continue;
            var w = Convert.ToDouble(warning.GetValue(this), CultureInfo.InvariantCulture);
            var c = Convert.ToDouble(critical.GetValue(this), CultureInfo.InvariantCulture);
            // Hours to the quota are worse when fewer: the critical level is the smaller one.
            var inOrder = warning.Name.EndsWith("Hours", StringComparison.Ordinal) ? c <= w : w <= c;
            if (!inOrder)
                throw new ArgumentException(warning.Name.EndsWith("Hours", StringComparison.Ordinal)
                    ? $"{critical.Name} ({c.ToString(CultureInfo.InvariantCulture)}) must not exceed {warning.Name} ({w.ToString(CultureInfo.InvariantCulture)})."
                    : $"{warning.Name} ({w.ToString(CultureInfo.InvariantCulture)}) must not exceed {critical.Name} ({c.ToString(CultureInfo.InvariantCulture)}).");
        }
        if (!(DbQuotaInfoPercent <= DbQuotaWarnPercent && DbQuotaWarnPercent <= DbQuotaFailPercent))
            throw new ArgumentException(
                $"The quota thresholds must rise: DbQuotaInfoPercent ({DbQuotaInfoPercent}) <= DbQuotaWarnPercent ({DbQuotaWarnPercent}) <= DbQuotaFailPercent ({DbQuotaFailPercent}).");
    }

    /// <summary>The thresholds as "Key=value" pairs, for messages and verbose output.</summary>
    public override string ToString() => string.Join(", ", Properties.Select(p => p.Name + "=" + Convert.ToString(p.GetValue(this), CultureInfo.InvariantCulture)));
}
