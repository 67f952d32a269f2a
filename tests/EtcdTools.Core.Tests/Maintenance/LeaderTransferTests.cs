using System.Text.Json;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Maintenance;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Maintenance;

/// <summary>Move-EtcdLeader's core on a 3-member TLS sandbox of its own (leadership is cluster-wide).</summary>
public sealed class LeaderTransferTests
{
    [Fact]
    public async Task LeadershipMovesToAFollowerThroughTheLeadersEndpointEvenWhenOnlyAFollowerIsConfigured()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3, Tls = true });
        var (leaderId, ids) = await LeaderAsync(sandbox);
        var followers = sandbox.Members.Where(m => ids[m.Name] != leaderId).ToList();
        var target = followers[0];
        // Configured with the other follower only: MoveLeader must still reach the leader.
        using var cluster = new EtcdCluster(sandbox.GetConnectionSettings(followers[1].Index));

        var plan = await LeaderTransfer.PlanAsync(cluster, target.Name);
        Assert.Equal(MemberId.Format(leaderId), plan.LeaderId);
        Assert.Equal(MemberId.Format(ids[target.Name]), plan.TargetId);
        Assert.False(plan.TargetIsLeader);
        Assert.False(plan.TargetIsLearner);
        Assert.True(plan.TargetIsStarted);

        var change = await LeaderTransfer.MoveAsync(cluster, plan);
        Assert.Equal(plan.LeaderId, change.PreviousLeaderId);
        Assert.Equal(plan.LeaderName, change.PreviousLeader);
        Assert.Equal(plan.TargetId, change.NewLeaderId);
        Assert.Equal(target.Name, change.NewLeader);
        Assert.True(change.TookMs > 0);
        Assert.True(change.RaftTerm > 0);

        // The witness: every member's etcdctl endpoint status names the target as leader.
        var (after, _) = await LeaderAsync(sandbox);
        Assert.Equal(ids[target.Name], after);

        // Now the target leads: planning the same move again is a no-op.
        var again = await LeaderTransfer.PlanAsync(cluster, MemberId.Format(ids[target.Name]));
        Assert.True(again.TargetIsLeader);
    }

    [Fact]
    public async Task UnknownLearnerAndUnstartedTargetsAreRefusedBeforeAnythingMoves()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3, Tls = true });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var (leaderBefore, _) = await LeaderAsync(sandbox);

        var unknown = await Assert.ThrowsAsync<EtcdException>(() => LeaderTransfer.PlanAsync(cluster, "no-such-member"));
        Assert.Equal(EtcdErrorKind.MemberNotFound, unknown.Kind);

        // A learner added but never started: it neither votes nor runs.
        var learner = await AddLearnerAsync(client);
        var plan = await LeaderTransfer.PlanAsync(cluster, MemberId.Format(learner.Member.ID));
        Assert.True(plan.TargetIsLearner);
        Assert.False(plan.TargetIsStarted);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => LeaderTransfer.MoveAsync(cluster, plan));
        Assert.Contains("learner", refused.Message);
        await client.MemberRemoveAsync(learner.Member.ID);

        var (leaderAfter, _) = await LeaderAsync(sandbox);
        Assert.Equal(leaderBefore, leaderAfter);
    }

    [Fact]
    public async Task APlanMadeStaleByAnotherLeaderChangeMovesNothingAndSaysWhy()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3, Tls = true });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var (leader, ids) = await LeaderAsync(sandbox);
        var followers = sandbox.Members.Where(m => ids[m.Name] != leader).ToList();
        var stale = await LeaderTransfer.PlanAsync(cluster, followers[0].Name);

        // Someone else moves leadership to the other follower in between.
        var moved = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "move-leader", MemberId.Format(ids[followers[1].Name]));
        Assert.True(moved.ExitCode == 0, moved.ToString());

        var error = await Assert.ThrowsAsync<EtcdException>(() => LeaderTransfer.MoveAsync(cluster, stale));
        Assert.Contains("no longer the leader", error.Message);
        Assert.Equal(ids[followers[1].Name], (await LeaderAsync(sandbox)).Leader);
    }

    /// <summary>
    /// Adds a learner that never starts. etcd refuses membership changes ("unhealthy cluster")
    /// until every member has been connected for 5 s, which a fresh sandbox is not yet.
    /// </summary>
    private static async Task<EtcdTools.Protocol.Etcdserverpb.MemberAddResponse> AddLearnerAsync(EtcdClient client)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                return await client.MemberAddAsync(["https://127.0.0.1:1"], isLearner: true);
            }
            catch (EtcdException e) when (e.EtcdMessage?.Contains("unhealthy cluster") == true && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
    }

    /// <summary>The leader every member reports (etcdctl endpoint status), asserting they agree, and the members' IDs by name.</summary>
    private static async Task<(ulong Leader, Dictionary<string, ulong> Ids)> LeaderAsync(EtcdSandbox sandbox)
    {
        var status = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "endpoint", "status", "-w", "json");
        Assert.True(status.ExitCode == 0, status.ToString());
        using var json = JsonDocument.Parse(status.StandardOutput);
        var leaders = json.RootElement.EnumerateArray().Select(e => e.GetProperty("Status").GetProperty("leader").GetUInt64()).Distinct().ToList();
        Assert.Single(leaders);
        var members = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "member", "list", "-w", "json");
        using var list = JsonDocument.Parse(members.StandardOutput);
        var ids = list.RootElement.GetProperty("members").EnumerateArray()
            .Where(m => m.TryGetProperty("name", out _))
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("ID").GetUInt64());
        return (leaders[0], ids);
    }
}
