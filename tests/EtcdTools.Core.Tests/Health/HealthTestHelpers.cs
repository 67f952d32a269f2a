using EtcdTools.Client;
using EtcdTools.Health;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Core.Tests.Health;

/// <summary>What the cmdlets do, in the order they do it: discover the members, then fan out.</summary>
internal static class HealthTestHelpers
{
    public static async Task<MemberListResponse> ListMembersAsync(EtcdCluster cluster, TimeSpan? timeout = null)
    {
        var discovery = await MemberDiscovery.DiscoverAsync(cluster, timeout);
        return discovery.MemberList ?? throw discovery.ToException();
    }

    public static async Task<List<MemberReport<EtcdMember>>> InventoryAsync(EtcdCluster cluster, TimeSpan? timeout = null)
    {
        var list = await ListMembersAsync(cluster, timeout);
        var reports = new List<MemberReport<EtcdMember>>();
        await foreach (var report in EtcdMemberInventory.GetAsync(cluster, list.Members, list.Header.ClusterId, timeout))
            reports.Add(report);
        return reports;
    }

    public static async Task<List<MemberReport<EtcdMemberHealth>>> HealthAsync(EtcdCluster cluster, IEnumerable<Member> members, TimeSpan? timeout = null)
    {
        var reports = new List<MemberReport<EtcdMemberHealth>>();
        await foreach (var report in EtcdHealthProbe.ProbeAsync(cluster, members, timeout))
            reports.Add(report);
        return reports;
    }

    public static async Task<List<MemberReport<EtcdMemberHealth>>> HealthAsync(EtcdCluster cluster, TimeSpan? timeout = null) =>
        await HealthAsync(cluster, (await ListMembersAsync(cluster, timeout)).Members, timeout);

    /// <summary>The member ID of the current leader, from the first member's Status.</summary>
    public static async Task<ulong> LeaderIdAsync(EtcdConnectionSettings settings)
    {
        using var client = new EtcdClient(settings);
        return (await client.StatusAsync()).Leader;
    }

    /// <summary>Index of a sandbox member that is not the leader, so suspending or stopping it triggers no election.</summary>
    public static async Task<int> FollowerIndexAsync(EtcdTools.Sandbox.EtcdSandbox sandbox)
    {
        var leader = await LeaderIdAsync(sandbox.ConnectionSettings);
        for (var i = sandbox.Members.Count - 1; i >= 0; i--)
        {
            using var client = new EtcdClient(sandbox.GetConnectionSettings(i));
            if ((await client.StatusAsync()).Header.MemberId != leader) return i;
        }
        throw new InvalidOperationException("Every member claims to be the leader.");
    }

    public static EtcdCheckResult Single(IEnumerable<EtcdCheckResult> results, string check, string? member = null) =>
        Assert.Single(results, r => r.Check == check && (member is null || r.Member == member));
}
