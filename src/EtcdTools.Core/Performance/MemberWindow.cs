namespace EtcdTools.Performance;

/// <summary>What one interval of one member gave: the sample (none for the first reading), its findings, or the scrape's error.</summary>
public sealed class EtcdPerformanceTick
{
    internal EtcdPerformanceTick(string member, EtcdPerformanceSample? sample, IReadOnlyList<EtcdPerformanceFinding> findings, EtcdException? error, int consecutiveFailures)
    {
        Member = member;
        Sample = sample;
        Findings = findings;
        Error = error;
        ConsecutiveFailures = consecutiveFailures;
    }

    public string Member { get; }

    /// <summary>Null for a member's first reading (an interval needs two); a sample with Error set when the scrape failed.</summary>
    public EtcdPerformanceSample? Sample { get; }

    /// <summary>The interval's findings, every severity.</summary>
    public IReadOnlyList<EtcdPerformanceFinding> Findings { get; }

    public EtcdException? Error { get; }

    /// <summary>Failures in a row up to this one (1 for the first of a run); 0 after a success.</summary>
    public int ConsecutiveFailures { get; }
}

/// <summary>Minimum, mean and maximum of a number over a watch; null when it never had a value.</summary>
public sealed record EtcdStatistic(double? Min, double? Average, double? Max, int Count)
{
    internal sealed class Builder
    {
        private double _min = double.PositiveInfinity, _max = double.NegativeInfinity, _sum;
        private int _count;

        public void Add(double? value)
        {
            if (value is not { } v || double.IsNaN(v)) return;
            _min = Math.Min(_min, v);
            _max = Math.Max(_max, v);
            _sum += v;
            _count++;
        }

        public EtcdStatistic Build() => _count == 0 ? new EtcdStatistic(null, null, null, 0) : new EtcdStatistic(_min, _sum / _count, _max, _count);
    }
}

/// <summary>One member over a whole watch: how many intervals, how many were bad, and the range of its main numbers.</summary>
public sealed record EtcdWatchSummary
{
    public string Member { get; init; } = "";
    public int Samples { get; init; }
    public int WarningSamples { get; init; }
    public int CriticalSamples { get; init; }
    public int FailedSamples { get; init; }
    public long LeaderChanges { get; init; }
    public required EtcdStatistic WalFsyncP99Ms { get; init; }
    public required EtcdStatistic BackendCommitP99Ms { get; init; }
    public required EtcdStatistic PeerRttP99Ms { get; init; }
    public required EtcdStatistic ProposalsCommittedPerSec { get; init; }
    public required EtcdStatistic GrpcRequestsPerSec { get; init; }
    public required EtcdStatistic CpuPercent { get; init; }
    public required EtcdStatistic ResidentMemoryBytes { get; init; }
}

/// <summary>
/// One member over a measurement or a watch: its first and last readings, the window's deltas
/// (added interval by interval, so restarts in between are counted right), peaks, failures, and
/// the samples or running statistics of its intervals.
/// </summary>
internal sealed class MemberWindow(MemberTarget target, bool keepSamples)
{
    private readonly Deltas _total = new();
    private readonly List<EtcdPerformanceSample> _samples = [];
    private readonly Dictionary<string, EtcdStatistic.Builder> _statistics = new(StringComparer.Ordinal);
    private MetricsReading? _first;
    private MetricsReading? _last;
    private int _sampleCount, _warningSamples, _criticalSamples, _failedSamples;
    private long _leaderChanges;

    public MemberTarget Target { get; } = target;
    public int Scrapes { get; private set; }
    public int FailedScrapes { get; private set; }
    public int NoLeaderScrapes { get; private set; }
    public int ConsecutiveFailures { get; private set; }
    public EtcdException? LastError { get; private set; }
    public double? WalFsyncPeakP99Ms { get; private set; }
    public double? CpuPeakPercent { get; private set; }
    public double? ResidentPeak { get; private set; }
    public double? PendingMax { get; private set; }
    public string MetricsPage { get; private set; } = "";
    public IReadOnlyList<EtcdPerformanceSample> Samples => _samples;

    /// <summary>True once two readings span a window.</summary>
    public bool HasWindow => _first is not null && !ReferenceEquals(_first, _last);

    public EtcdPerformanceTick Add(MetricsReading reading, Uri page, EtcdPerformanceThresholds thresholds)
    {
        Scrapes++;
        ConsecutiveFailures = 0;
        MetricsPage = page.ToString();
        if (reading.HasLeaderValue is 0) NoLeaderScrapes++;
        ResidentPeak = Max(ResidentPeak, reading.ResidentBytes);
        PendingMax = Max(PendingMax, reading.Pending);
        if (_last is null)
        {
            _first = _last = reading;
            return new EtcdPerformanceTick(Target.Name, null, [], null, 0);
        }
        var interval = Deltas.Between(_last, reading);
        _total.Add(interval);
        var numbers = PerformanceNumbers.From(Target, interval, _last, reading, isInterval: true, reading.HasLeaderValue is 0 ? 1 : 0);
        _last = reading;
        WalFsyncPeakP99Ms = Max(WalFsyncPeakP99Ms, numbers.WalFsync?.P99Ms);
        CpuPeakPercent = Max(CpuPeakPercent, numbers.CpuPercent);
        var findings = PerformanceRules.Evaluate(numbers, thresholds);
        var sample = SampleOf(numbers, findings, reading.At);
        Record(sample);
        return new EtcdPerformanceTick(Target.Name, sample, findings, null, 0);
    }

    public EtcdPerformanceTick Fail(EtcdException error, DateTimeOffset at)
    {
        FailedScrapes++;
        ConsecutiveFailures++;
        LastError = error;
        var sample = new EtcdPerformanceSample
        {
            Timestamp = at,
            Member = Target.Name,
            MemberId = Target.Id,
            ClusterId = Target.ClusterId,
            Status = EtcdPerformanceStatus.Critical,
            Error = error.Message,
        };
        Record(sample);
        return new EtcdPerformanceTick(Target.Name, sample, [], error, ConsecutiveFailures);
    }

    private void Record(EtcdPerformanceSample sample)
    {
        if (keepSamples) _samples.Add(sample);
        _sampleCount++;
        if (sample.Error.Length > 0) _failedSamples++;
        else if (sample.Status == EtcdPerformanceStatus.Critical) _criticalSamples++;
        else if (sample.Status == EtcdPerformanceStatus.Warning) _warningSamples++;
        _leaderChanges += sample.LeaderChanges;
        Statistic(nameof(sample.WalFsyncP99Ms)).Add(sample.WalFsyncP99Ms);
        Statistic(nameof(sample.BackendCommitP99Ms)).Add(sample.BackendCommitP99Ms);
        Statistic(nameof(sample.PeerRttP99Ms)).Add(sample.PeerRttP99Ms);
        Statistic(nameof(sample.ProposalsCommittedPerSec)).Add(sample.ProposalsCommittedPerSec);
        Statistic(nameof(sample.GrpcRequestsPerSec)).Add(sample.GrpcRequestsPerSec);
        Statistic(nameof(sample.CpuPercent)).Add(sample.CpuPercent);
        Statistic(nameof(sample.ResidentMemoryBytes)).Add(sample.ResidentMemoryBytes);
    }

    private EtcdStatistic.Builder Statistic(string name) =>
        _statistics.TryGetValue(name, out var builder) ? builder : _statistics[name] = new EtcdStatistic.Builder();

    public EtcdWatchSummary WatchSummary() => new()
    {
        Member = Target.Name,
        Samples = _sampleCount,
        WarningSamples = _warningSamples,
        CriticalSamples = _criticalSamples,
        FailedSamples = _failedSamples,
        LeaderChanges = _leaderChanges,
        WalFsyncP99Ms = Statistic(nameof(EtcdPerformanceSample.WalFsyncP99Ms)).Build(),
        BackendCommitP99Ms = Statistic(nameof(EtcdPerformanceSample.BackendCommitP99Ms)).Build(),
        PeerRttP99Ms = Statistic(nameof(EtcdPerformanceSample.PeerRttP99Ms)).Build(),
        ProposalsCommittedPerSec = Statistic(nameof(EtcdPerformanceSample.ProposalsCommittedPerSec)).Build(),
        GrpcRequestsPerSec = Statistic(nameof(EtcdPerformanceSample.GrpcRequestsPerSec)).Build(),
        CpuPercent = Statistic(nameof(EtcdPerformanceSample.CpuPercent)).Build(),
        ResidentMemoryBytes = Statistic(nameof(EtcdPerformanceSample.ResidentMemoryBytes)).Build(),
    };

    /// <summary>The numbers of the whole window; only when <see cref="HasWindow"/>.</summary>
    public PerformanceNumbers WindowNumbers() => PerformanceNumbers.From(Target, _total, _first!, _last!, isInterval: false, NoLeaderScrapes, Scrapes, FailedScrapes, LastError?.Message ?? "");

    public DateTimeOffset FirstAt => _first?.At ?? default;
    public DateTimeOffset LastAt => _last?.At ?? default;

    private EtcdPerformanceSample SampleOf(PerformanceNumbers n, IReadOnlyList<EtcdPerformanceFinding> findings, DateTimeOffset at) => new()
    {
        Timestamp = at,
        Member = Target.Name,
        MemberId = Target.Id,
        ClusterId = Target.ClusterId,
        IntervalSeconds = Math.Round(n.Seconds, 3),
        Status = PerformanceRules.StatusOf(findings),
        WalFsyncP99Ms = Round(n.WalFsync?.P99Ms),
        BackendCommitP99Ms = Round(n.BackendCommit?.P99Ms),
        PeerRttP99Ms = Round(n.PeerRttP99Ms),
        ProposalsCommittedPerSec = Round(n.CommittedPerSec),
        ProposalsAppliedPerSec = Round(n.AppliedPerSec),
        ProposalsPending = n.Pending,
        ProposalsFailedPerSec = Round(n.FailedPerSec),
        IsLeader = n.IsLeader,
        HasLeader = n.HasLeader,
        LeaderChanges = (long)n.LeaderChanges,
        SlowApplies = (long)n.SlowApplies,
        HeartbeatSendFailures = (long)n.HeartbeatFailures,
        GrpcRequestsPerSec = Round(n.GrpcPerSec),
        GrpcFailurePercent = Round(n.GrpcFailurePercent),
        DbSizeBytes = (long?)n.DbTotal,
        DbSizeInUseBytes = (long?)n.DbInUse,
        CpuPercent = Round(n.CpuPercent),
        ResidentMemoryBytes = (long?)n.Resident,
        Alerts = string.Join("; ", PerformanceRules.Ordered(findings).Where(f => f.Severity >= EtcdFindingSeverity.Warning).Select(f => f.Title)),
    };

    /// <summary>Three decimals: enough for milliseconds and rates, and CSV files stay readable.</summary>
    internal static double? Round(double? value) => value is { } v && !double.IsNaN(v) && !double.IsInfinity(v) ? Math.Round(v, 3) : null;

    private static double? Max(double? current, double? value) =>
        value is not { } v || double.IsNaN(v) ? current : current is { } c ? Math.Max(c, v) : v;
}
