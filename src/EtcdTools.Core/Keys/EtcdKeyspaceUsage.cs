namespace EtcdTools.Keys;

/// <summary>
/// The keys under one prefix and their bytes (Measure-EtcdKeyspace): under /registry/ one Kubernetes
/// resource type in one namespace (or cluster-wide), elsewhere a path segment.
/// </summary>
public sealed class EtcdKeyspaceUsage
{
    public string Prefix { get; init; } = "";

    /// <summary>Under /registry/: the resource type ("pods", "apps.openshift.io/deploymentconfigs"); else empty.</summary>
    public string Resource { get; init; } = "";

    /// <summary>Under /registry/: the namespace; empty for cluster-scoped resources and other keys.</summary>
    public string Namespace { get; init; } = "";

    public long Keys { get; init; }
    public long KeyBytes { get; init; }
    public long ValueBytes { get; init; }
    public long TotalBytes => KeyBytes + ValueBytes;

    /// <summary>This prefix's share of the key and value bytes measured.</summary>
    public double PercentOfBytes { get; init; }

    /// <summary>The key with the largest value under the prefix, and that value's size.</summary>
    public string LargestKey { get; init; } = "";
    public long LargestValueBytes { get; init; }

    /// <summary>The key with the most versions (changes since it was created) under the prefix, and that count.</summary>
    public string MostVersionsKey { get; init; } = "";
    public long MostVersions { get; init; }

    /// <summary>The revision measured at.</summary>
    public long Revision { get; init; }

    /// <summary>The endpoint or snapshot file measured.</summary>
    public string Source { get; init; } = "";

    public override string ToString() => $"{Prefix}: {Keys} keys, {TotalBytes} bytes";
}

/// <summary>One key of Measure-EtcdKeyspace's top lists: the largest values, or the most versions.</summary>
public sealed class EtcdKeyspaceKey
{
    /// <summary>LargestKeys or MostVersions.</summary>
    public string RankedBy { get; init; } = "";

    /// <summary>1 for the largest (or most changed).</summary>
    public int Rank { get; init; }

    public string Key { get; init; } = "";

    /// <summary>The prefix the key is counted under in the prefix report.</summary>
    public string Prefix { get; init; } = "";

    public long ValueBytes { get; init; }
    public long KeyBytes { get; init; }

    /// <summary>Changes since the key was created (1 for a new key).</summary>
    public long Version { get; init; }

    public long CreateRevision { get; init; }
    public long ModRevision { get; init; }

    /// <summary>The key's lease in hex; empty when it has none.</summary>
    public string Lease { get; init; } = "";

    public long Revision { get; init; }
    public string Source { get; init; } = "";

    public override string ToString() => $"{Rank}. {Key}";
}
