namespace EtcdTools.Maintenance;

/// <summary>How a rolling defragmentation runs (Invoke-EtcdDefrag's parameters).</summary>
public sealed record DefragOptions
{
    /// <summary>OpenShift's defrag controller: at least 45 % of the file not in use ...</summary>
    public const double DefaultMinFragmentedPercent = 45;

    /// <summary>... and a file of at least 100 MiB. Smaller files cost little however fragmented they are.</summary>
    public const long DefaultMinDbSizeBytes = 100L * 1024 * 1024;

    /// <summary>
    /// etcdctl's 5 s fails on any sizeable database: defragmentation rewrites the whole file, at
    /// tens of MB/s on a slow disk, so an 8 GiB database (etcd's largest recommended quota) may take
    /// minutes. Ten minutes leaves room for that; a hung member is caught earlier, by the health check.
    /// </summary>
    public static readonly TimeSpan DefaultDefragTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// OpenShift sleeps 36 s between members because it does not check that the member caught up;
    /// here the member must be healthy and caught up with the leader before the pause starts, so the
    /// pause only lets clients that failed over come back and latencies settle: 5 s.
    /// </summary>
    public static readonly TimeSpan DefaultWaitBetween = TimeSpan.FromSeconds(5);

    /// <summary>How long a member may take, at least, to be healthy and caught up after its defragmentation (longer when the defragmentation itself took longer).</summary>
    public static readonly TimeSpan DefaultRecoveryTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How far behind the leader's applied index a member may be and count as caught up. The leader
    /// is read first, then the member, so a member in step is at or past that mark; the allowance
    /// absorbs the entries a busy cluster commits between the two reads (a few milliseconds of
    /// Kubernetes' writes). A member still applying what queued up during its defragmentation is
    /// far more than this behind.
    /// </summary>
    public const long CatchUpAllowance = 100;

    public double MinFragmentedPercent { get; init; } = DefaultMinFragmentedPercent;
    public long MinDbSizeBytes { get; init; } = DefaultMinDbSizeBytes;

    /// <summary>Defragment members under the fragmentation threshold too. Never overrides the health check.</summary>
    public bool IgnoreThreshold { get; init; }

    /// <summary>Hand leadership to another healthy member before the leader's turn, so it is defragmented as a follower.</summary>
    public bool MoveLeaderFirst { get; init; }

    /// <summary>Accept a cluster without fault tolerance by its size (one or two voting members, all healthy): it is unavailable while a member is defragmented.</summary>
    public bool AllowDowntime { get; init; }

    public TimeSpan DefragTimeout { get; init; } = DefaultDefragTimeout;
    public TimeSpan WaitBetween { get; init; } = DefaultWaitBetween;
    public TimeSpan RecoveryTimeout { get; init; } = DefaultRecoveryTimeout;

    /// <summary>Each health probe's timeout; null: the connection's command timeout.</summary>
    public TimeSpan? HealthTimeout { get; init; }

    internal void Validate()
    {
        if (MinFragmentedPercent is < 0 or > 100 || double.IsNaN(MinFragmentedPercent))
            throw new ArgumentOutOfRangeException(nameof(MinFragmentedPercent), MinFragmentedPercent, "The fragmentation threshold is a percentage from 0 to 100.");
        if (MinDbSizeBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(MinDbSizeBytes), MinDbSizeBytes, "The database size threshold cannot be negative.");
        if (DefragTimeout <= TimeSpan.Zero && DefragTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(DefragTimeout), DefragTimeout, "The defragmentation timeout must be positive.");
        if (WaitBetween < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(WaitBetween), WaitBetween, "The wait between members cannot be negative.");
        if (RecoveryTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(RecoveryTimeout), RecoveryTimeout, "The recovery timeout must be positive.");
    }
}
