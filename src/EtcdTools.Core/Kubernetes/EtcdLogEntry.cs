namespace EtcdTools.Kubernetes;

/// <summary>What an etcd log line is about, for <c>Group-Object Category</c>.</summary>
public enum EtcdLogCategory
{
    /// <summary>A line of no known category (kept only on request).</summary>
    Other,
    /// <summary>"apply request took too long": a request took more than 100 ms to apply (slow disk or overload).</summary>
    SlowApply,
    /// <summary>"slow fdatasync": a WAL sync took more than 1 s.</summary>
    SlowFdatasync,
    /// <summary>The leader failed to send a heartbeat on time (slow disk, CPU starvation).</summary>
    HeartbeatLate,
    /// <summary>A member lost its leader.</summary>
    LeaderLost,
    /// <summary>A member saw the leader change from one member to another.</summary>
    LeaderChanged,
    /// <summary>A member saw a leader elected (after having none).</summary>
    LeaderElected,
    /// <summary>A member started an election or became a candidate.</summary>
    Election,
    /// <summary>The NOSPACE alarm: the backend reached its quota.</summary>
    NoSpaceAlarm,
    /// <summary>Another alarm was raised (CORRUPT).</summary>
    Alarm,
    /// <summary>A peer of another cluster (or a stale member) talked to this one.</summary>
    ClusterIdMismatch,
    /// <summary>A peer could not be reached or its stream was lost.</summary>
    PeerUnreachable,
    /// <summary>A TLS handshake was refused (bad or expired certificate).</summary>
    TlsRejected,
    /// <summary>Raft or database snapshots taken, sent or received.</summary>
    Snapshot,
    /// <summary>Keyspace compaction.</summary>
    Compaction,
    /// <summary>Backend defragmentation.</summary>
    Defrag,
}

/// <summary>One parsed line of an etcd pod's log.</summary>
public sealed class EtcdLogEntry
{
    public string Namespace { get; init; } = "";
    public string Pod { get; init; } = "";
    public string MemberName { get; init; } = "";

    /// <summary>The line's own timestamp; null for lines without one.</summary>
    public DateTimeOffset? Time { get; init; }

    /// <summary>debug, info, warn, error, panic or fatal (zap's names; capnslog's letters are mapped to them).</summary>
    public string Level { get; init; } = "";
    public EtcdLogCategory Category { get; init; }
    public string Message { get; init; } = "";

    /// <summary>The "took" duration of slow-request and slow-sync lines, in milliseconds.</summary>
    public double? TookMs { get; init; }

    /// <summary>The "expected-duration" of such lines, in milliseconds.</summary>
    public double? ExpectedMs { get; init; }

    /// <summary>The source position zap records (e.g. "wal/wal.go:802").</summary>
    public string Caller { get; init; } = "";

    /// <summary>The raw line.</summary>
    public string Line { get; init; } = "";

    public override string ToString() => $"{Time:O} {Level} {Category}: {Message}";
}

/// <summary>Which lines of a pod's log to read.</summary>
public sealed record EtcdLogQuery
{
    /// <summary>Only lines of the last span of time (the API's sinceSeconds, rounded up).</summary>
    public TimeSpan? Since { get; init; }

    /// <summary>Only the last N lines (tailLines), counted before classification.</summary>
    public int? Tail { get; init; }

    /// <summary>The log of the container's previous instance (after a restart or crash).</summary>
    public bool Previous { get; init; }

    /// <summary>Keep lines of no known category too.</summary>
    public bool IncludeOther { get; init; }
}
