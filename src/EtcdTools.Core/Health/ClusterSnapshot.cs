using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Health;

/// <summary>
/// Everything Test-EtcdCluster judges, read from all members at once so that comparisons between
/// members (applied index, leader, member list) are as close in time as one round trip allows.
/// Built by <see cref="EtcdClusterInspector"/>; constructible by hand for tests of the checks.
/// </summary>
public sealed class ClusterSnapshot
{
    /// <summary>When the reads started.</summary>
    public DateTimeOffset TakenAt { get; init; } = DateTimeOffset.Now;

    /// <summary>The member list every per-member read was based on; null when no endpoint answered.</summary>
    public MemberListResponse? MemberList { get; init; }

    /// <summary>Why no endpoint answered the member list (empty when one did).</summary>
    public IReadOnlyList<EtcdException> DiscoveryFailures { get; init; } = [];

    public IReadOnlyList<MemberObservation> Members { get; init; } = [];

    /// <summary>The client certificate in use; null when none is configured.</summary>
    public CertificateInfo? ClientCertificate { get; init; }

    /// <summary>Why the configured client certificate could not be read.</summary>
    public string? ClientCertificateError { get; init; }
}

/// <summary>What one member answered (or why it did not), each read independently.</summary>
public sealed class MemberObservation
{
    public required Member Member { get; init; }

    /// <summary>The client URL used; null when the member advertises none.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The health probe's verdict (linearizable read and alarms).</summary>
    public required EtcdMemberHealth Health { get; init; }

    /// <summary>The alarm list the member returned during the probe; null when unread.</summary>
    public IReadOnlyList<AlarmMember>? Alarms { get; init; }

    public StatusResponse? Status { get; init; }
    public EtcdException? StatusError { get; init; }

    /// <summary>The member list as this member sees it.</summary>
    public MemberListResponse? MemberList { get; init; }
    public EtcdException? MemberListError { get; init; }

    /// <summary>The backend quota (Status on 3.6+, else /metrics); null when unknown.</summary>
    public long? QuotaBytes { get; init; }

    /// <summary>The certificate served on the client URL; null for plain-HTTP members or when unread.</summary>
    public CertificateInfo? ServerCertificate { get; init; }
    public EtcdException? ServerCertificateError { get; init; }

    /// <summary>The member's name, or its endpoint when it has none (not started).</summary>
    public string DisplayName => Member.Name.Length > 0 ? Member.Name : Endpoint?.GetLeftPart(UriPartial.Authority) ?? Client.MemberId.Format(Member.ID);
}
