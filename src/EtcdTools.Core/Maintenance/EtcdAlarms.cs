using EtcdTools.Client;
using EtcdTools.Metrics;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Maintenance;

/// <summary>
/// The cluster's alarms (Get-EtcdAlarm, Clear-EtcdAlarm). Alarms are cluster-wide state kept by
/// raft, so any member lists all of them. NOSPACE makes the whole cluster refuse writes until it
/// is disarmed; etcd raises it again on the next write while a member's backend is still at its
/// quota, which is why disarming is the last step of recovery (compact, defragment, disarm).
/// </summary>
public static class EtcdAlarms
{
    public const string NoSpace = "NOSPACE";
    public const string Corrupt = "CORRUPT";

    /// <summary>Every active alarm, with the raising member's name and endpoint.</summary>
    public static async Task<IReadOnlyList<EtcdAlarm>> ListAsync(EtcdCluster cluster, CancellationToken cancellationToken = default)
    {
        var response = await cluster.InvokeAsync((client, ct) => client.AlarmListAsync(cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        var active = response.Alarms.Where(a => a.Alarm != AlarmType.None).ToList();
        if (active.Count == 0) return [];
        var members = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        return active.Select(a => Describe(cluster, a, members.Members)).ToList();
    }

    /// <summary>
    /// The alarms of the given members (hex ID or name; null or empty for all) and kinds (NOSPACE,
    /// CORRUPT; null for all). The hex ID of a member that has since left still matches its alarms;
    /// anything else that names no member raises <see cref="EtcdErrorKind.MemberNotFound"/>.
    /// </summary>
    public static async Task<IReadOnlyList<EtcdAlarm>> SelectAsync(EtcdCluster cluster, IReadOnlyList<EtcdAlarm> alarms,
        IEnumerable<string>? members, IEnumerable<string>? kinds, CancellationToken cancellationToken = default)
    {
        var wantedKinds = kinds?.Select(k => k.Trim().ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        HashSet<string>? wantedMembers = null;
        var named = members?.Where(m => !string.IsNullOrWhiteSpace(m)).ToList();
        if (named is { Count: > 0 })
        {
            wantedMembers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var unresolved = new List<string>();
            foreach (var item in named)
            {
                if (MemberId.TryParse(item, out var id) && alarms.Any(a => a.MemberId == MemberId.Format(id)))
                    wantedMembers.Add(MemberId.Format(id));
                else
                    unresolved.Add(item);
            }
            if (unresolved.Count > 0)
            {
                var (_, found) = await cluster.SelectMembersAsync(unresolved, cancellationToken).ConfigureAwait(false);
                foreach (var member in found)
                    wantedMembers.Add(MemberId.Format(member.ID));
            }
        }
        return alarms
            .Where(a => (wantedMembers is null || wantedMembers.Contains(a.MemberId)) && (wantedKinds is null || wantedKinds.Contains(a.Alarm)))
            .ToList();
    }

    /// <summary>
    /// Disarms one alarm. Returns the alarms etcd reports it disarmed: empty when the alarm was no
    /// longer active (someone else disarmed it).
    /// </summary>
    public static async Task<IReadOnlyList<EtcdAlarm>> DisarmAsync(EtcdCluster cluster, EtcdAlarm alarm, CancellationToken cancellationToken = default)
    {
        var memberId = MemberId.Parse(alarm.MemberId);
        var type = ParseAlarmType(alarm.Alarm);
        var response = await cluster.InvokeAsync((client, ct) => client.AlarmDisarmAsync(memberId, type, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        return response.Alarms
            .Where(a => a.Alarm != AlarmType.None)
            .Select(a => new EtcdAlarm { MemberId = MemberId.Format(a.MemberID), ClusterId = alarm.ClusterId, MemberName = alarm.MemberName, Endpoint = alarm.Endpoint, Alarm = FormatAlarmType(a.Alarm) })
            .ToList();
    }

    /// <summary>
    /// Every member's backend size (Status) against its quota (Status on etcd 3.6+, else the
    /// etcd_server_quota_backend_bytes metric), all members at once. A member that cannot be read
    /// reports an <see cref="MemberBackendUsage.Error"/> instead.
    /// </summary>
    public static async Task<IReadOnlyList<MemberBackendUsage>> ReadBackendUsageAsync(EtcdCluster cluster, CancellationToken cancellationToken = default)
    {
        var members = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        using var metrics = new EtcdMetricsScraper(cluster.Settings);
        var usages = new List<MemberBackendUsage>();
        await foreach (var result in cluster.ForEachMemberAsync(members.Members, async (client, member, ct) =>
        {
            var status = await client.StatusAsync(cancellationToken: ct).ConfigureAwait(false);
            var quota = StatusQuota.Read(status) ?? await metrics.ReadQuotaAsync(member, client.Endpoint, ct).ConfigureAwait(false);
            return (status.DbSize, Quota: quota);
        }, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var endpoint = result.Endpoint?.GetLeftPart(UriPartial.Authority);
            usages.Add(new MemberBackendUsage
            {
                MemberId = MemberId.Format(result.Member.ID),
                MemberName = result.Member.Name,
                Endpoint = endpoint,
                DbSizeBytes = result.Succeeded ? result.Value.DbSize : null,
                QuotaBytes = result.Succeeded ? result.Value.Quota : null,
                Error = result.Error?.Message
                    ?? (result.Value.Quota is null ? $"its quota could not be read from {EtcdMetricsScraper.PageOf(metrics.MetricsUrlOf(result.Member, result.Endpoint!))}{(metrics.SetupError is { } setup ? $": {setup}" : "")}" : null),
            });
        }
        return usages;
    }

    /// <summary>"NOSPACE" or "CORRUPT" (as etcdctl prints them) from the protocol's enum.</summary>
    public static string FormatAlarmType(AlarmType type) => type switch
    {
        AlarmType.Nospace => NoSpace,
        AlarmType.Corrupt => Corrupt,
        _ => type.ToString().ToUpperInvariant(),
    };

    public static AlarmType ParseAlarmType(string name) => name.Trim().ToUpperInvariant() switch
    {
        NoSpace => AlarmType.Nospace,
        Corrupt => AlarmType.Corrupt,
        _ => throw new ArgumentException($"'{name}' is not an etcd alarm: the alarms are {NoSpace} and {Corrupt}.", nameof(name)),
    };

    private static EtcdAlarm Describe(EtcdCluster cluster, AlarmMember alarm, IEnumerable<Member> members)
    {
        var member = members.FirstOrDefault(m => m.ID == alarm.MemberID);
        return new EtcdAlarm
        {
            MemberId = MemberId.Format(alarm.MemberID),
            ClusterId = MemberId.Format(cluster.ClusterId),
            MemberName = member?.Name ?? "",
            Endpoint = member is null ? null : cluster.PreferredClientUrl(member)?.GetLeftPart(UriPartial.Authority),
            Alarm = FormatAlarmType(alarm.Alarm),
        };
    }
}
