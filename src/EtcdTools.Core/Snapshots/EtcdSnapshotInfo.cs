using System.Globalization;

namespace EtcdTools.Snapshots;

/// <summary>
/// What a snapshot (or a stopped member's db file) holds, read offline (Get-EtcdSnapshotInfo):
/// Hash, Revision, TotalKeys and TotalSizeBytes are the numbers `etcdctl snapshot status` prints for
/// the same file; KeyCount and HashKV are what a cluster restored from it serves.
/// </summary>
public sealed class EtcdSnapshotInfo
{
    public string Path { get; init; } = "";

    /// <summary>The highest revision in the key bucket (etcdctl's revision; 0 when no key was ever written).</summary>
    public long Revision { get; init; }

    /// <summary>etcdctl 3.4's totalKey: every entry of every bucket, each revision of each key included.</summary>
    public long TotalKeys { get; init; }

    /// <summary>etcdctl's totalSize: the pages the database uses, times the page size.</summary>
    public long TotalSizeBytes { get; init; }

    /// <summary>etcdctl's hash: CRC-32 (Castagnoli) of every bucket's name, keys and values.</summary>
    public uint Hash { get; init; }

    public string HashHex => Hash.ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>The keys that exist at <see cref="Revision"/>: what a cluster restored from the file counts (etcdutl 3.6's totalKey).</summary>
    public long KeyCount { get; init; }

    /// <summary>Entries of the key bucket: the revisions of keys kept since the last compaction, deletions included.</summary>
    public long KeyRevisions { get; init; }

    /// <summary>The revision the history was compacted to (0 when never compacted).</summary>
    public long CompactRevision { get; init; }

    /// <summary>etcd's HashKV at <see cref="Revision"/> for a member restored from this file (Compare-EtcdHash, etcdctl endpoint hashkv).</summary>
    public uint HashKV { get; init; }

    public string HashKVHex => HashKV.ToString("x8", CultureInfo.InvariantCulture);

    public long FileSizeBytes { get; init; }

    /// <summary>True for a snapshot as etcdctl saves it (ending with the SHA-256 of the database); false for a member's db file.</summary>
    public bool HasSha256 { get; init; }

    /// <summary>The SHA-256 the snapshot ends with; empty for a db file.</summary>
    public string Sha256 { get; internal set; } = "";

    /// <summary>True when the database bytes were hashed and matched <see cref="Sha256"/> (not with -SkipHashCheck).</summary>
    public bool Sha256Verified { get; internal set; }

    public int PageSize { get; init; }

    /// <summary>Pages on bbolt's freelist: space a defragmentation would give back.</summary>
    public long FreePages { get; init; }

    public double TookMs { get; internal set; }

    public override string ToString() => $"{Path}: revision {Revision}, {KeyCount} keys, {TotalSizeBytes} bytes, hash {HashHex}";
}

/// <summary>One check of Test-EtcdSnapshot -Detailed on one file.</summary>
public sealed class EtcdSnapshotCheckResult
{
    public string Path { get; init; } = "";

    /// <summary>What was checked, one of <see cref="SnapshotCheck"/>.</summary>
    public string Check { get; init; } = "";

    /// <summary>Pass or Fail (as Test-EtcdCluster's checks).</summary>
    public string Status { get; init; } = Health.EtcdCheckStatus.Pass;

    /// <summary>The page at fault for a failure that has one.</summary>
    public long? Page { get; init; }

    public string Message { get; init; } = "";

    public override string ToString() => $"{Status} {Check}: {Message}";
}
