namespace EtcdTools.Maintenance;

/// <summary>What a rolling defragmentation did with one member.</summary>
public enum EtcdDefragAction
{
    /// <summary>The member was defragmented, is healthy again and caught up with the leader.</summary>
    Defragmented,
    /// <summary>Left alone: under the fragmentation threshold, a learner, or not started (see Reason).</summary>
    Skipped,
    /// <summary>Its defragmentation (or the leadership move or recovery around it) failed: the run stopped here.</summary>
    Failed,
    /// <summary>The run stopped before this member (a failure, or the cluster was not healthy enough): it still needs doing.</summary>
    NotStarted,
}

/// <summary>One member's outcome in Invoke-EtcdDefrag (and the defragmentation steps of Repair-EtcdQuota).</summary>
public sealed class EtcdDefragResult
{
    /// <summary>The member's name.</summary>
    public string Member { get; init; } = "";

    /// <summary>The member ID in hex (binds to -MemberId: pipe the NotStarted ones back to finish the job).</summary>
    public string MemberId { get; init; } = "";

    /// <summary>The cluster in hex (binds to -ClusterId, so piped results reach only their own cluster).</summary>
    public string ClusterId { get; init; } = "";

    public string? Endpoint { get; init; }

    /// <summary>True when the member led the cluster while its turn came (the leader goes last; with -MoveLeaderFirst it hands over first and is false).</summary>
    public bool IsLeader { get; init; }

    public EtcdDefragAction Action { get; init; }

    /// <summary>Size of the backend file before; null when it could not be read.</summary>
    public long? DbSizeBeforeBytes { get; init; }

    /// <summary>Size of the backend file after the defragmentation; null when none was done.</summary>
    public long? DbSizeAfterBytes { get; init; }

    /// <summary>Bytes holding data before the defragmentation: about what the file shrinks to.</summary>
    public long? DbSizeInUseBytes { get; init; }

    /// <summary>DbSizeBeforeBytes minus DbSizeAfterBytes; null when none was done.</summary>
    public long? ReclaimedBytes { get; init; }

    /// <summary>From the start of this member's turn (health check, defragmentation, recovery) to its end, in milliseconds.</summary>
    public double DurationMs { get; init; }

    /// <summary>Why it was skipped, failed or not started, or how it went.</summary>
    public string Reason { get; init; } = "";

    public override string ToString() => $"{Member}: {Action}";
}
