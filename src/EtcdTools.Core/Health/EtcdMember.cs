using System.Globalization;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Health;

/// <summary>
/// One member of the cluster: its MemberList entry merged with its own Status, as etcdctl's
/// <c>member list</c> and <c>endpoint status</c> show them together. Flat and scalar, so Export-Csv
/// and ConvertTo-Json give clean data. Numbers the member did not report (it did not answer) are null.
/// </summary>
public sealed class EtcdMember
{
    /// <summary>The member ID in hex, as etcdctl prints it.</summary>
    public string MemberId { get; init; } = "";

    /// <summary>The member's name; empty for a member added but not started yet.</summary>
    public string Name { get; init; } = "";

    /// <summary>The client URL this module used for the member (binds to -Endpoint of other cmdlets); null when it advertises none.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Every advertised client URL, comma-separated.</summary>
    public string ClientUrls { get; init; } = "";

    /// <summary>Every peer URL, comma-separated.</summary>
    public string PeerUrls { get; init; } = "";

    /// <summary>True when the member's own Status names itself leader.</summary>
    public bool IsLeader { get; init; }

    public bool IsLearner { get; init; }

    /// <summary>etcd's version, e.g. 3.4.23.</summary>
    public string? Version { get; init; }

    /// <summary>Size of the backend file, free pages included.</summary>
    public long? DbSizeBytes { get; init; }

    /// <summary>Bytes of the backend holding data; the rest is reclaimed by defragmentation.</summary>
    public long? DbSizeInUseBytes { get; init; }

    /// <summary>DbSizeBytes minus DbSizeInUseBytes: what a defragmentation would give back.</summary>
    public long? FragmentedBytes { get; init; }

    /// <summary>FragmentedBytes as a percentage of DbSizeBytes (etcdctl's "% not in use").</summary>
    public double? FragmentedPercent { get; init; }

    /// <summary>
    /// The backend quota (--quota-backend-bytes): from Status on etcd 3.6+, else from the member's
    /// etcd_server_quota_backend_bytes metric on its client URL; null when neither was readable.
    /// </summary>
    public long? QuotaBytes { get; init; }

    public long? RaftTerm { get; init; }
    public long? RaftIndex { get; init; }
    public long? RaftAppliedIndex { get; init; }

    /// <summary>The cluster ID in hex.</summary>
    public string ClusterId { get; init; } = "";

    /// <summary>The errors Status reported (no leader, active alarms) and the call's error when the member did not answer, separated by "; ".</summary>
    public string Errors { get; init; } = "";

    /// <summary>Alarms active for this member, comma-separated (e.g. NOSPACE).</summary>
    public string Alarms { get; init; } = "";

    public override string ToString() => $"{Name} ({MemberId})";

    internal static EtcdMember Create(Member member, Uri? endpoint, ulong clusterId, StatusResponse? status, long? quotaBytes, EtcdException? error)
    {
        var errors = new List<string>();
        if (status is not null) errors.AddRange(status.Errors.Select(e => e.Trim()).Where(e => e.Length > 0));
        if (error is not null) errors.Add(error.Message);
        var alarms = status is null ? [] : StatusAlarms.Parse(status.Errors).Where(a => a.MemberID == member.ID).Select(a => a.Alarm.ToString().ToUpperInvariant());
        long? dbSize = status?.DbSize;
        long? inUse = status?.DbSizeInUse;
        return new EtcdMember
        {
            MemberId = Client.MemberId.Format(member.ID),
            Name = member.Name,
            Endpoint = endpoint?.GetLeftPart(UriPartial.Authority),
            ClientUrls = string.Join(",", member.ClientURLs),
            PeerUrls = string.Join(",", member.PeerURLs),
            IsLeader = status is not null && status.Leader != 0 && status.Leader == member.ID,
            IsLearner = member.IsLearner || status?.IsLearner == true,
            Version = status?.Version,
            DbSizeBytes = dbSize,
            DbSizeInUseBytes = inUse,
            FragmentedBytes = dbSize - inUse,
            FragmentedPercent = dbSize is > 0 ? 100.0 * (dbSize.Value - inUse!.Value) / dbSize.Value : dbSize is null ? null : 0,
            QuotaBytes = quotaBytes,
            RaftTerm = status is null ? null : (long)status.RaftTerm,
            RaftIndex = status is null ? null : (long)status.RaftIndex,
            RaftAppliedIndex = status is null ? null : (long)status.RaftAppliedIndex,
            ClusterId = Client.MemberId.Format(status?.Header?.ClusterId is > 0 ? status.Header.ClusterId : clusterId),
            Errors = string.Join("; ", errors),
            Alarms = string.Join(",", alarms.Distinct()),
        };
    }
}

/// <summary>Byte counts the way operators read them, for messages.</summary>
internal static class ByteSize
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    public static string Format(double bytes)
    {
        var unit = 0;
        while (Math.Abs(bytes) >= 1024 && unit < Units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }
        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes:0.0} {Units[unit]}");
    }
}
