namespace EtcdTools.Maintenance;

/// <summary>One member's hash of the keyspace at the compared revision (Compare-EtcdHash).</summary>
public sealed class EtcdMemberHash
{
    public string MemberId { get; init; } = "";
    /// <summary>The member's cluster in hex (binds to -ClusterId, so piped objects reach only their own cluster); empty when unknown.</summary>
    public string ClusterId { get; init; } = "";

    public string Name { get; init; } = "";
    public string? Endpoint { get; init; }

    /// <summary>The revision hashed: the same for every member of one comparison.</summary>
    public long Revision { get; init; }

    /// <summary>The member's last compaction: the hash covers the history from there to <see cref="Revision"/>.</summary>
    public long CompactRevision { get; init; }

    /// <summary>etcd's CRC-32 (Castagnoli) of the keys and their history, as etcdctl endpoint hashkv prints it.</summary>
    public uint Hash { get; init; }

    /// <summary>The hash as 8 hex digits, easier to compare by eye.</summary>
    public string HashHex => Hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True when the member agrees with the majority of the members that answered.</summary>
    public bool Matches { get; init; }

    /// <summary>How long the member took to hash, in milliseconds.</summary>
    public double TookMs { get; init; }

    public override string ToString() => $"{Name} {HashHex}";
}
