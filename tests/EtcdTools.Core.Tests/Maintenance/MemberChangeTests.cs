using System.Text.Json;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Maintenance;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Maintenance;

/// <summary>
/// Membership changes against real etcd: a real extra etcd process joins the sandbox as a learner,
/// is promoted once in sync and removed again; removals and additions that would cost the cluster
/// its quorum are refused. Each test has a sandbox of its own (membership is cluster-wide).
/// </summary>
public sealed class MemberChangeTests
{
    [Fact]
    public async Task AJoiningEtcdIsAddedAsALearnerPromotedOnceInSyncAndRemoved()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3, Tls = true });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var joiner = sandbox.CreateJoiningMember();

        var plan = await MemberChanges.PlanAddAsync(cluster, joiner.Name, [joiner.PeerUrl + "/"], learner: true);
        Assert.Null(plan.Refusal);
        Assert.Null(plan.Warning);
        Assert.Equal([joiner.PeerUrl], plan.PeerUrls);
        var addition = await MemberChanges.AddAsync(cluster, plan);

        Assert.True(addition.IsLearner);
        Assert.Equal(joiner.Name, addition.Name);
        Assert.Equal(sandbox.ClusterId, addition.ClusterId);
        Assert.Equal(joiner.PeerUrl, addition.PeerUrls);
        Assert.Equal(sandbox.Members.Select(m => $"{m.Name}={m.PeerUrl}").Order(), addition.InitialCluster.Split(',').Order());
        Assert.Contains("ETCD_INITIAL_CLUSTER_STATE=\"existing\"", addition.Environment);
        Assert.Contains($"ETCD_NAME=\"{joiner.Name}\"", addition.Environment);
        Assert.Contains($"--initial-cluster={addition.InitialCluster}", addition.Arguments);
        var listed = await MemberListAsync(sandbox);
        var unstarted = Assert.Single(listed, m => m.Id == addition.MemberId);
        Assert.True(unstarted.IsLearner);
        Assert.Equal("", unstarted.Name);

        // Not started, so not in sync: a clear refusal at once without -SyncTimeout.
        var promotion = await MemberChanges.PlanPromoteAsync(cluster, addition.MemberId);
        Assert.True(promotion.IsLearner);
        var notReady = await Assert.ThrowsAsync<EtcdException>(() => MemberChanges.PromoteAsync(cluster, promotion, TimeSpan.Zero));
        Assert.Equal(EtcdServerError.LearnerNotReady, notReady.ServerError);
        Assert.Contains("not in sync", notReady.Message);
        Assert.Contains("has not even started", notReady.Message);

        await sandbox.StartJoiningMemberAsync(joiner.Index, addition.InitialCluster);
        await MemberChanges.PromoteAsync(cluster, await MemberChanges.PlanPromoteAsync(cluster, joiner.Name), TimeSpan.FromSeconds(30));
        // etcdctl asks one member, which lists its own copy: every member applies the promotion within moments.
        var promoted = await EventuallyAsync(sandbox, addition.MemberId, m => !m.IsLearner);
        Assert.Equal(joiner.Name, promoted.Name);
        var again = await Assert.ThrowsAsync<EtcdException>(async () => await MemberChanges.PromoteAsync(cluster, await MemberChanges.PlanPromoteAsync(cluster, joiner.Name), TimeSpan.Zero));
        Assert.Equal(EtcdServerError.MemberNotLearner, again.ServerError);
        var asMember = await MemberChanges.ReadMemberAsync(cluster, addition.MemberId);
        Assert.NotNull(asMember);
        Assert.False(asMember.IsLearner);
        Assert.NotNull(asMember.DbSizeBytes);

        // Four healthy voting members: removing one keeps a fault tolerance of 1.
        var removal = await MemberChanges.PlanRemoveAsync(cluster, addition.MemberId);
        Assert.Null(removal.Refusal);
        Assert.Null(removal.LosesFaultTolerance);
        Assert.Null(removal.Warning);
        Assert.Equal(1, removal.FaultToleranceAfter);
        await MemberChanges.RemoveAsync(cluster, removal);
        Assert.DoesNotContain(await MemberListAsync(sandbox), m => m.Id == addition.MemberId);
        // A removed member shuts itself down.
        await sandbox.StopMemberAsync(joiner.Index);
        await sandbox.WaitReadyAsync();
    }

    [Fact]
    public async Task RemovalsThatWouldLoseQuorumAreRefusedAndADeadMemberCanStillBeReplaced()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings with { CommandTimeout = TimeSpan.FromSeconds(3) });

        // All healthy: removing one leaves no fault tolerance, which needs an explicit go-ahead.
        var healthy = await MemberChanges.PlanRemoveAsync(cluster, sandbox.Members[0].Name);
        Assert.Null(healthy.Refusal);
        Assert.Contains("could not lose another member", healthy.LosesFaultTolerance);

        await sandbox.StopMemberAsync(2);
        var breaking = await MemberChanges.PlanRemoveAsync(cluster, sandbox.Members[0].Name);
        Assert.Contains("would lose quorum", breaking.Refusal);
        Assert.Contains(sandbox.Members[2].Name, breaking.Refusal);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => MemberChanges.RemoveAsync(cluster, breaking));
        Assert.Equal(breaking.Refusal, refused.Message);
        Assert.Equal(3, (await MemberListAsync(sandbox)).Count);

        // A voting member added now would need 3 of 4 for quorum with only 2 up.
        var addition = await MemberChanges.PlanAddAsync(cluster, "newcomer", ["http://127.0.0.1:1"], learner: false);
        Assert.Contains("would lose quorum", addition.Refusal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => MemberChanges.AddAsync(cluster, addition));
        Assert.Null((await MemberChanges.PlanAddAsync(cluster, "newcomer", ["http://127.0.0.1:1"], learner: true)).Refusal);

        // Removing the dead member costs nothing: the usual first step of replacing it.
        var dead = await MemberChanges.PlanRemoveAsync(cluster, sandbox.Members[2].Name);
        Assert.Null(dead.Refusal);
        Assert.Null(dead.LosesFaultTolerance);
        Assert.Contains("still tolerates no failure", dead.Warning);
        await MemberChanges.RemoveAsync(cluster, dead);
        var left = await MemberListAsync(sandbox);
        Assert.Equal([sandbox.Members[0].Name, sandbox.Members[1].Name], left.Select(m => m.Name).Order());
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        await client.PutAsync("/after/removal", "quorum kept");
    }

    [Fact]
    public async Task BadAdditionsAndTheLastMemberAreRefusedBeforeEtcdIsAsked()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var only = sandbox.Members[0];

        var last = await MemberChanges.PlanRemoveAsync(cluster, only.Name);
        Assert.Contains("last member", last.Refusal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => MemberChanges.RemoveAsync(cluster, last));

        var taken = await Assert.ThrowsAsync<EtcdException>(() => MemberChanges.PlanAddAsync(cluster, "other", [only.PeerUrl], learner: true));
        Assert.Equal(EtcdErrorKind.AlreadyExists, taken.Kind);
        Assert.Contains(only.Name, taken.Message);
        var named = await Assert.ThrowsAsync<EtcdException>(() => MemberChanges.PlanAddAsync(cluster, only.Name, ["http://127.0.0.1:1"], learner: true));
        Assert.Equal(EtcdErrorKind.AlreadyExists, named.Kind);
        foreach (var bad in new[] { "127.0.0.1:2380", "ftp://127.0.0.1:2380", "http://127.0.0.1", "http://127.0.0.1:2380/path", "http://127.0.0.1:99999" })
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => MemberChanges.PlanAddAsync(cluster, "other", [bad], learner: true));
            Assert.Contains(bad, error.Message);
        }
        var unknown = await Assert.ThrowsAsync<EtcdException>(() => MemberChanges.PlanRemoveAsync(cluster, "no-such-member"));
        Assert.Equal(EtcdErrorKind.MemberNotFound, unknown.Kind);
        var notLearner = await Assert.ThrowsAsync<EtcdException>(async () => await MemberChanges.PromoteAsync(cluster, await MemberChanges.PlanPromoteAsync(cluster, only.Name), TimeSpan.Zero));
        Assert.Equal(EtcdServerError.MemberNotLearner, notLearner.ServerError);
        Assert.Single(await MemberListAsync(sandbox));
    }

    [Fact]
    public async Task PeerUrlsAreUpdatedOnlyToUrlsNoOtherMemberHas()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var member = sandbox.Members[1];

        var taken = await Assert.ThrowsAsync<EtcdException>(() => MemberChanges.PlanUpdateAsync(cluster, member.Name, [sandbox.Members[0].PeerUrl]));
        Assert.Equal(EtcdErrorKind.AlreadyExists, taken.Kind);
        Assert.True((await MemberChanges.PlanUpdateAsync(cluster, member.Name, [member.PeerUrl])).Unchanged);

        // A second peer URL on the same port under another loopback name: the member still listens there.
        var extra = member.PeerUrl.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        var plan = await MemberChanges.PlanUpdateAsync(cluster, member.Name, [member.PeerUrl, extra]);
        Assert.False(plan.Unchanged);
        await MemberChanges.UpdateAsync(cluster, plan);
        var updated = Assert.Single(await MemberListAsync(sandbox), m => m.Name == member.Name);
        Assert.Equal([member.PeerUrl, extra], updated.PeerUrls.Order(StringComparer.Ordinal));
    }

    private static async Task<ListedMember> EventuallyAsync(EtcdSandbox sandbox, string memberId, Func<ListedMember, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var member = Assert.Single(await MemberListAsync(sandbox), m => m.Id == memberId);
            if (condition(member)) return member;
            Assert.True(DateTime.UtcNow < deadline, $"etcdctl still lists {memberId} as {member}");
            await Task.Delay(100);
        }
    }

    private sealed record ListedMember(string Id, string Name, bool IsLearner, IReadOnlyList<string> PeerUrls);

    /// <summary>The member list as etcdctl member list -w json gives it: the witness.</summary>
    private static async Task<List<ListedMember>> MemberListAsync(EtcdSandbox sandbox)
    {
        var result = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "member", "list", "-w", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        return json.RootElement.GetProperty("members").EnumerateArray().Select(m => new ListedMember(
            MemberId.Format(m.GetProperty("ID").GetUInt64()),
            m.TryGetProperty("name", out var name) ? name.GetString()! : "",
            m.TryGetProperty("isLearner", out var learner) && learner.GetBoolean(),
            m.GetProperty("peerURLs").EnumerateArray().Select(u => u.GetString()!).ToList())).ToList();
    }
}
