using System.Globalization;
using EtcdTools.Client;
using EtcdTools.Keys;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Snapshots;

/// <summary>One member's data directory restored from a snapshot (Restore-EtcdSnapshot).</summary>
public sealed class EtcdSnapshotRestore
{
    public string Name { get; init; } = "";
    public string DataDirectory { get; init; } = "";

    /// <summary>The member's peer URLs, comma-separated (its --initial-advertise-peer-urls).</summary>
    public string PeerUrls { get; init; } = "";

    public string InitialCluster { get; init; } = "";
    public string InitialClusterToken { get; init; } = "";
    public string SnapshotPath { get; init; } = "";

    /// <summary>The snapshot's revision: the restored member starts there.</summary>
    public long Revision { get; init; }

    /// <summary>The keys the restored member will serve, and its HashKV, read from the snapshot.</summary>
    public long KeyCount { get; init; }

    public uint HashKV { get; init; }

    public string HashKVHex => HashKV.ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>The tool that restored it, with its version and path.</summary>
    public string Tool { get; init; } = "";

    public double DurationMs { get; init; }

    public override string ToString() => $"{Name} -> {DataDirectory}";
}

/// <summary>
/// A cluster restored from a snapshot, compared with what the snapshot says it holds: the key count
/// and HashKV every member serves against the snapshot's (Start-EtcdSandbox -FromSnapshot).
/// </summary>
public sealed class EtcdRestoreVerification
{
    public string SnapshotPath { get; init; } = "";

    /// <summary>The snapshot's revision, and the revision the restored cluster reports.</summary>
    public long Revision { get; init; }

    public long RestoredRevision { get; init; }

    public long ExpectedKeyCount { get; init; }
    public long KeyCount { get; init; }

    public uint ExpectedHashKV { get; init; }

    /// <summary>The HashKV every member returned; when they disagree, the first that differs from the snapshot's.</summary>
    public uint HashKV { get; init; }

    public string ExpectedHashKVHex => ExpectedHashKV.ToString("x8", CultureInfo.InvariantCulture);
    public string HashKVHex => HashKV.ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>Members whose HashKV was compared.</summary>
    public int Members { get; init; }

    /// <summary>True when the revision, the key count and every member's HashKV equal the snapshot's.</summary>
    public bool Matches { get; init; }

    public string Message { get; init; } = "";

    public override string ToString() => Message;

    /// <summary>Asks every member of a cluster restored from <paramref name="info"/>'s file for its HashKV and the key count, and compares.</summary>
    public static async Task<EtcdRestoreVerification> VerifyAsync(EtcdCluster cluster, EtcdSnapshotInfo info, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(info);
        var count = await KeyReader.CountAsync(cluster, KeyRange.ForPrefix(""), cancellationToken: cancellationToken).ConfigureAwait(false);
        var members = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        var hashes = new List<(string Name, HashKVResponse Response)>();
        // HashKV at the current revision: at the snapshot's own revision etcd refuses when that is the compact revision.
        await foreach (var result in cluster.ForEachMemberAsync(members.Members, (client, _, ct) => client.HashKVAsync(0, cancellationToken: ct), cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            if (result.Error is not null) throw result.Error;
            hashes.Add((result.Member.Name, result.Value!));
        }
        var restoredRevision = hashes.Max(h => h.Response.Header.Revision);
        // An empty snapshot's revision is 0; the cluster made from it starts at 1.
        var revisionMatches = restoredRevision == Math.Max(1, info.Revision);
        var differing = hashes.Where(h => h.Response.Hash != info.HashKV).ToList();
        var matches = revisionMatches && count.Count == info.KeyCount && differing.Count == 0;
        var message = matches
            ? $"The restored cluster serves the snapshot's {info.KeyCount} key(s) at revision {restoredRevision}, and all {hashes.Count} member(s) return its HashKV {info.HashKVHex}."
            : "The restored cluster differs from the snapshot: " + string.Join("; ", new[]
            {
                revisionMatches ? null : $"its revision is {restoredRevision}, the snapshot's {info.Revision}",
                count.Count == info.KeyCount ? null : $"it serves {count.Count} key(s), the snapshot holds {info.KeyCount}",
                differing.Count == 0 ? null : string.Join(", ", differing.Select(d => $"member {d.Name} returns HashKV {d.Response.Hash:x8}")) + $" where the snapshot's is {info.HashKVHex}",
            }.OfType<string>()) + ".";
        return new EtcdRestoreVerification
        {
            SnapshotPath = info.Path,
            Revision = info.Revision,
            RestoredRevision = restoredRevision,
            ExpectedKeyCount = info.KeyCount,
            KeyCount = count.Count,
            ExpectedHashKV = info.HashKV,
            HashKV = differing.Count > 0 ? differing[0].Response.Hash : info.HashKV,
            Members = hashes.Count,
            Matches = matches,
            Message = message,
        };
    }
}
