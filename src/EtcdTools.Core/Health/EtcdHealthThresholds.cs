using System.Collections;
using System.Globalization;

namespace EtcdTools.Health;

/// <summary>
/// The limits Test-EtcdCluster judges by. The defaults are what operators alert on: the etcd
/// mixin's and OpenShift's rules, and etcd's own recommendations. Override any of them by name
/// (<see cref="FromDictionary"/>, Test-EtcdCluster -Thresholds).
/// </summary>
public sealed record EtcdHealthThresholds
{
    public const long MiB = 1024L * 1024;
    public const long GiB = 1024L * MiB;

    /// <summary>Warn when a member's raft applied index is more than this many entries behind the highest one.</summary>
    public long MaxAppliedIndexLag { get; init; } = 1000;

    /// <summary>Database size as a percentage of the quota above which a Pass says so (OpenShift's info level).</summary>
    public double DbQuotaInfoPercent { get; init; } = 65;

    /// <summary>Warn at this percentage of the quota (OpenShift's warning level).</summary>
    public double DbQuotaWarnPercent { get; init; } = 75;

    /// <summary>Fail at this percentage of the quota (OpenShift's critical level); NOSPACE comes at 100%.</summary>
    public double DbQuotaFailPercent { get; init; } = 85;

    /// <summary>Fragmentation: warn when in-use / total falls below this ratio (the etcd mixin's 0.5)...</summary>
    public double FragmentationMaxInUseRatio { get; init; } = 0.5;

    /// <summary>...and the data in use exceeds this many bytes (the mixin's 100 MiB), so small databases are left alone.</summary>
    public long FragmentationMinInUseBytes { get; init; } = 100 * MiB;

    /// <summary>Warn when the quota or the database exceeds this: etcd suggests at most 8 GiB and warns above it.</summary>
    public long RecommendedMaxDbBytes { get; init; } = 8 * GiB;

    /// <summary>Warn when a server or client certificate expires within this many days (Fail once expired).</summary>
    public double CertificateWarningDays { get; init; } = 30;

    public static EtcdHealthThresholds Default { get; } = new();

    /// <summary>The keys <see cref="FromDictionary"/> accepts, as documented.</summary>
    public static IReadOnlyList<string> Keys { get; } =
    [
        nameof(MaxAppliedIndexLag), nameof(DbQuotaInfoPercent), nameof(DbQuotaWarnPercent), nameof(DbQuotaFailPercent),
        nameof(FragmentationMaxInUseRatio), nameof(FragmentationMinInUseBytes), nameof(RecommendedMaxDbBytes), nameof(CertificateWarningDays),
    ];

    /// <summary>
    /// The defaults with the given keys (case-insensitive) overridden. Values are numbers or numeric
    /// strings; CertificateWarningDays also takes a TimeSpan. Unknown keys and values out of range
    /// throw <see cref="ArgumentException"/> naming the valid keys.
    /// </summary>
    public static EtcdHealthThresholds FromDictionary(IDictionary? overrides)
    {
        var result = new EtcdHealthThresholds();
        if (overrides is null) return result;
        foreach (DictionaryEntry entry in overrides)
        {
            var name = ThresholdValues.Key(entry.Key, Keys);
            var value = ThresholdValues.ToNumber(name, entry.Value, name == nameof(CertificateWarningDays) ? span => span.TotalDays : null);
            result = name switch
            {
                nameof(MaxAppliedIndexLag) => result with { MaxAppliedIndexLag = ToWhole(name, value) },
                nameof(DbQuotaInfoPercent) => result with { DbQuotaInfoPercent = Percent(name, value) },
                nameof(DbQuotaWarnPercent) => result with { DbQuotaWarnPercent = Percent(name, value) },
                nameof(DbQuotaFailPercent) => result with { DbQuotaFailPercent = Percent(name, value) },
                nameof(FragmentationMaxInUseRatio) => result with
                {
                    FragmentationMaxInUseRatio = value is > 0 and <= 1 ? value
                        : throw new ArgumentException($"FragmentationMaxInUseRatio must be above 0 and at most 1 (a ratio of in-use to total bytes), not {value.ToString(CultureInfo.InvariantCulture)}."),
                },
                nameof(FragmentationMinInUseBytes) => result with { FragmentationMinInUseBytes = ToWhole(name, value) },
                nameof(RecommendedMaxDbBytes) => result with { RecommendedMaxDbBytes = ToWhole(name, value) },
                _ => result with { CertificateWarningDays = value },
            };
        }
        if (!(result.DbQuotaInfoPercent <= result.DbQuotaWarnPercent && result.DbQuotaWarnPercent <= result.DbQuotaFailPercent))
            throw new ArgumentException(
                $"The quota thresholds must rise: DbQuotaInfoPercent ({result.DbQuotaInfoPercent}) <= DbQuotaWarnPercent ({result.DbQuotaWarnPercent}) <= DbQuotaFailPercent ({result.DbQuotaFailPercent}).");
        return result;
    }

    private static long ToWhole(string name, double value) => ThresholdValues.ToWhole(name, value);

    private static double Percent(string name, double value) => ThresholdValues.Percent(name, value);

    /// <summary>The thresholds as "Key=value" pairs, for messages and verbose output.</summary>
    public override string ToString() => string.Join(", ", Keys.Select(k => k + "=" + Convert.ToString(GetType().GetProperty(k)!.GetValue(this), CultureInfo.InvariantCulture)));
}
