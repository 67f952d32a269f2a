using System.Runtime.CompilerServices;
using EtcdTools.Client;
using EtcdTools.Metrics;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Health;

/// <summary>
/// The member inventory: each member's MemberList entry merged with its own Status and backend
/// quota, all members queried at once, each within its own timeout.
/// </summary>
public static class EtcdMemberInventory
{
    /// <summary>
    /// One <see cref="EtcdMember"/> per member of <paramref name="members"/>, yielded as each member
    /// answers (or fails: it still appears, with its error in Errors and in the report's Error).
    /// <paramref name="clusterId"/> (from the member list) stands in for members that do not answer.
    /// </summary>
    public static async IAsyncEnumerable<MemberReport<EtcdMember>> GetAsync(EtcdCluster cluster, IEnumerable<Member> members, ulong clusterId,
        TimeSpan? perMemberTimeout = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var limit = perMemberTimeout ?? cluster.Settings.CommandTimeout;
        using var metrics = new EtcdMetricsScraper(cluster.Settings);
        await foreach (var result in cluster.ForEachMemberAsync(members, async (client, member, deadline) =>
                       {
                           var quota = metrics.ReadQuotaAsync(member, client.Endpoint, deadline);
                           try
                           {
                               var status = await client.StatusAsync(timeout: limit, cancellationToken: deadline).ConfigureAwait(false);
                               return (Status: status, Quota: StatusQuota.Read(status) ?? await quota.ConfigureAwait(false));
                           }
                           finally
                           {
                               // Never left running past the member's deadline; it does not throw.
                               await quota.ConfigureAwait(false);
                           }
                       }, limit, cancellationToken).ConfigureAwait(false))
        {
            var member = EtcdMember.Create(result.Member, result.Endpoint, clusterId, result.Value.Status, result.Value.Quota, result.Error);
            yield return new MemberReport<EtcdMember>(member, result.Error);
        }
    }
}
