namespace EtcdTools.Performance;

/// <summary>
/// What Test-EtcdDisk measured: the latency of fdatasync after each small sequential write, as
/// etcd's WAL does it, and whether the disk is fast enough for etcd (p99 under the threshold).
/// </summary>
public sealed class EtcdDiskTestResult
{
    /// <summary>The host the disk belongs to, so results from several nodes can be collected in one file.</summary>
    public string ComputerName { get; init; } = "";

    /// <summary>The directory tested (full path).</summary>
    public string Path { get; init; } = "";

    /// <summary>Its file system type (ext4, xfs, nfs4, tmpfs ...); empty where unknown.</summary>
    public string FileSystem { get; init; } = "";

    /// <summary>The device or source of the mount (/dev/nvme0n1p2, server:/export); empty where unknown.</summary>
    public string Device { get; init; } = "";

    public string MountPoint { get; init; } = "";

    /// <summary>Whether the kernel calls the disk rotational; virtual disks often claim so. Null where unknown.</summary>
    public bool? Rotational { get; init; }

    /// <summary>The call timed after each write: fdatasync on Linux.</summary>
    public string SyncMethod { get; init; } = "";

    public int BlockSizeBytes { get; init; }

    /// <summary>Bytes written: the size asked for, rounded down to whole blocks as fio does.</summary>
    public long Bytes { get; init; }

    public long Writes { get; init; }

    /// <summary>Wall time of the writes and syncs.</summary>
    public double DurationMs { get; init; }

    /// <summary>Writes (each followed by its sync) per second.</summary>
    public double WriteIops { get; init; }

    public double SyncP50Ms { get; init; }
    public double SyncP90Ms { get; init; }
    public double SyncP99Ms { get; init; }
    public double SyncMaxMs { get; init; }
    public double SyncMeanMs { get; init; }

    /// <summary>The p99 the disk must stay under: 10 ms by etcd's documentation.</summary>
    public double ThresholdMs { get; init; }

    /// <summary>True when SyncP99Ms is under ThresholdMs.</summary>
    public bool Passed { get; init; }

    /// <summary>The verdict in one sentence, with the numbers.</summary>
    public string Verdict { get; init; } = "";

    /// <summary>What to do about a failed (or doubtful) result; empty when there is nothing to do.</summary>
    public string Recommendation { get; init; } = "";

    public override string ToString() => Verdict;
}
