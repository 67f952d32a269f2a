namespace EtcdTools.Maintenance;

/// <summary>One active alarm: the member that raised it and what it is.</summary>
public sealed class EtcdAlarm
{
    /// <summary>The member's ID in hex, as etcdctl prints it.</summary>
    public string MemberId { get; init; } = "";

    /// <summary>The member's cluster in hex (binds to -ClusterId, so piped objects reach only their own cluster); empty when unknown.</summary>
    public string ClusterId { get; init; } = "";

    /// <summary>The member's name; empty when the member is no longer in the member list.</summary>
    public string MemberName { get; init; } = "";

    /// <summary>The member's client URL; null when the member is unknown or not started.</summary>
    public string? Endpoint { get; init; }

    /// <summary>NOSPACE (the backend reached its quota: writes are refused) or CORRUPT (the member's data differs from the others').</summary>
    public string Alarm { get; init; } = "";

    public override string ToString() => $"{Alarm} on {(MemberName.Length > 0 ? MemberName : MemberId)}";
}

/// <summary>A member's backend size against its quota, read before disarming NOSPACE.</summary>
public sealed class MemberBackendUsage
{
    /// <summary>At this share of the quota a disarmed NOSPACE is raised again by the next writes.</summary>
    public const double RearmRatio = 0.95;

    public string MemberId { get; init; } = "";
    public string MemberName { get; init; } = "";
    public string? Endpoint { get; init; }

    /// <summary>Size of the backend file (what etcd checks against the quota); null when unreadable.</summary>
    public long? DbSizeBytes { get; init; }

    /// <summary>The member's --quota-backend-bytes, from its Status (etcd 3.6+) or its etcd_server_quota_backend_bytes metric; null when unknown.</summary>
    public long? QuotaBytes { get; init; }

    /// <summary>Why the size or the quota could not be read.</summary>
    public string? Error { get; init; }

    /// <summary>DbSizeBytes / QuotaBytes, or null when either is unknown.</summary>
    public double? QuotaRatio => DbSizeBytes is { } size && QuotaBytes is { } quota && quota > 0 ? (double)size / quota : null;

    /// <summary>True when the backend is so close to (or over) its quota that NOSPACE will come back.</summary>
    public bool WillRearmNoSpace => QuotaRatio >= RearmRatio;
}
