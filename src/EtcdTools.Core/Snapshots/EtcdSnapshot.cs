namespace EtcdTools.Snapshots;

/// <summary>A snapshot saved by Save-EtcdSnapshot: where, how big, of which member and revision, and its verified SHA-256.</summary>
public sealed class EtcdSnapshot
{
    public string Path { get; init; } = "";

    /// <summary>The file's size: the database and the 32-byte SHA-256 etcd appends.</summary>
    public long SizeBytes { get; init; }

    /// <summary>The highest revision in the snapshot (as etcdctl snapshot status reports it).</summary>
    public long Revision { get; init; }

    /// <summary>The SHA-256 of the database, which the file ends with and which was checked before the file was put in place.</summary>
    public string Sha256 { get; init; } = "";

    /// <summary>The name of the member the snapshot was streamed from.</summary>
    public string Member { get; init; } = "";

    public string MemberId { get; init; } = "";
    public string Endpoint { get; init; } = "";
    public string ClusterId { get; init; } = "";

    /// <summary>From the first byte requested to the file renamed into place and flushed to disk.</summary>
    public double DurationMs { get; init; }

    public double BytesPerSecond { get; init; }

    public override string ToString() => $"{Path} ({SizeBytes} bytes, revision {Revision}, from {Member})";
}

/// <summary>The member a snapshot is taken from, and why it was chosen.</summary>
public sealed class SnapshotSource
{
    internal SnapshotSource(string name, ulong memberId, Uri endpoint, ulong clusterId, string reason)
    {
        Name = name;
        MemberId = Client.MemberId.Format(memberId);
        EndpointUri = endpoint;
        ClusterId = Client.MemberId.Format(clusterId);
        Reason = reason;
    }

    public string Name { get; }
    public string MemberId { get; }
    public string Endpoint => EndpointUri.GetLeftPart(UriPartial.Authority);
    public string ClusterId { get; }

    /// <summary>Why this member: named by -MemberId, a healthy follower, or the leader when no follower was healthy.</summary>
    public string Reason { get; }

    internal Uri EndpointUri { get; }

    public override string ToString() => $"{Name} ({MemberId}, {Endpoint})";
}
