using System.Collections.Concurrent;
using System.Text.Json;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Maintenance;
using EtcdTools.Sandbox;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Maintenance;

/// <summary>
/// Invoke-EtcdDefrag's engine on sandboxes of their own (defragmentation and faults are per
/// member): order, thresholds, the health check before each member, recovery after each, and
/// members killed or hung before and during their turn.
/// </summary>
public sealed class RollingDefragTests
{
    /// <summary>Low enough that a few MiB of deleted data count as worth defragmenting.</summary>
    private static readonly DefragOptions Quick = new() { MinDbSizeBytes = 1024 * 1024, WaitBetween = TimeSpan.FromMilliseconds(200) };

    [Fact]
    public async Task FollowersGoFirstAndTheLeaderLastEachBackAndCaughtUpBeforeTheNext()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        await MaintenanceTestData.FragmentAsync(sandbox, 4);
        var before = await EndpointStatusAsync(sandbox);

        var plan = await RollingDefrag.PlanAsync(cluster, null, Quick);
        Assert.Null(plan.Refusal);
        Assert.True(plan.ToDefragment == 3, plan.Describe());
        Assert.Equal([false, false, true], plan.Steps.Select(s => s.IsLeader));
        Assert.All(plan.Steps, s => Assert.True(s.FragmentedPercent > 45, $"{s.Name} is {s.FragmentedPercent}% fragmented"));
        var text = plan.Describe();
        Assert.Contains($"Defragment 3 of 3 members of cluster {sandbox.ClusterId}, one at a time, followers first and the leader last", text);
        Assert.Contains($"  3. {plan.Steps[2].DisplayName}, leader: database ", text);
        Assert.Contains("Cluster now: 3 of 3 voting members healthy, quorum 2, fault tolerance 1.", text);

        var progress = new ConcurrentQueue<MaintenanceProgress>();
        var run = new RollingDefrag(cluster, plan);
        var results = new List<EtcdDefragResult>();
        await foreach (var result in run.RunAsync(p => { progress.Enqueue(p); return ValueTask.CompletedTask; }))
            results.Add(result);

        Assert.Null(run.Stop);
        Assert.Equal(plan.Steps.Select(s => s.Name), results.Select(r => r.Member));
        Assert.All(results, r => Assert.Equal(EtcdDefragAction.Defragmented, r.Action));
        Assert.Equal([false, false, true], results.Select(r => r.IsLeader));
        Assert.All(results, r => Assert.True(r.DbSizeAfterBytes < r.DbSizeBeforeBytes && r.ReclaimedBytes == r.DbSizeBeforeBytes - r.DbSizeAfterBytes, $"{r.Member}: {r.DbSizeBeforeBytes} -> {r.DbSizeAfterBytes}"));
        Assert.All(results, r => Assert.Equal(sandbox.ClusterId, r.ClusterId));
        Assert.All(results, r => Assert.StartsWith("Defragmented in ", r.Reason));
        // Each member's turn: health check, defragmentation, recovery, then the pause before the next (none after the last).
        var activities = progress.Select(p => $"{p.Target}: {p.Activity.Split(' ')[0]}").ToList();
        var expected = results.SelectMany((r, i) => new[] { $"{r.Member}: Checking", $"{r.Member}: Defragmenting", $"{r.Member}: Waiting" }
            .Concat(i < 2 ? [$"{r.Member}: Waiting"] : [])).ToList();
        Assert.Equal(expected, activities);

        // The witness: etcdctl sees every file shrunk to what the results say.
        var after = await EndpointStatusAsync(sandbox);
        foreach (var result in results)
        {
            Assert.True(after[result.Member] < before[result.Member]);
            Assert.Equal(result.DbSizeAfterBytes, after[result.Member]);
        }
    }

    [Fact]
    public async Task MembersUnderTheThresholdAreSkippedWithTheirNumbersUnlessTheThresholdIsIgnored()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);

        var plan = await RollingDefrag.PlanAsync(cluster, null, new DefragOptions());
        Assert.Equal(0, plan.ToDefragment);
        Assert.All(plan.Steps, s => Assert.Contains("under the threshold", s.SkipReason));
        Assert.All(plan.Steps, s => Assert.Contains("from 45% not in use and a database of 100.0 MiB. -Force defragments it anyway.", s.SkipReason));
        var skipped = await RunAsync(cluster, plan);
        Assert.All(skipped.Results, r => Assert.Equal(EtcdDefragAction.Skipped, r.Action));
        Assert.All(skipped.Results, r => Assert.Null(r.DbSizeAfterBytes));
        Assert.Null(skipped.Run.Stop);

        // One member by name, under the threshold but forced.
        var one = await RollingDefrag.PlanAsync(cluster, [sandbox.Members[1].Name], Quick with { IgnoreThreshold = true });
        var forced = Assert.Single((await RunAsync(cluster, one)).Results);
        Assert.Equal(EtcdDefragAction.Defragmented, forced.Action);
        Assert.Equal(sandbox.Members[1].Name, forced.Member);

        var unknown = await Assert.ThrowsAsync<EtcdException>(() => RollingDefrag.PlanAsync(cluster, ["no-such-member"], Quick));
        Assert.Equal(EtcdErrorKind.MemberNotFound, unknown.Kind);
    }

    [Fact]
    public async Task ItIsRefusedWhenAMemberIsDownOrHungAndIgnoringTheThresholdChangesNothing()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        var settings = sandbox.ConnectionSettings with { CommandTimeout = TimeSpan.FromSeconds(2) };
        using var cluster = new EtcdCluster(settings);
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var forced = Quick with { IgnoreThreshold = true };
        var down = sandbox.Members[2];

        await sandbox.StopMemberAsync(down.Index);
        var plan = await RollingDefrag.PlanAsync(cluster, null, forced);
        Assert.Contains("fault tolerance 0", plan.Refusal);
        Assert.Contains(down.Name, plan.Refusal);
        Assert.Contains("The defragmentation would be refused", plan.Describe());
        var refused = await RunAsync(cluster, plan);
        Assert.All(refused.Results.Where(r => r.Member != down.Name), r => Assert.Equal(EtcdDefragAction.NotStarted, r.Action));
        var stop = refused.Run.Stop!;
        Assert.True(stop.Refused);
        Assert.Empty(stop.Done);
        Assert.Contains(down.Name, stop.Message);
        Assert.Contains("Done: none. Not started:", stop.Message);

        await sandbox.RestartMemberAsync(down.Index);
        await sandbox.WaitReadyAsync();
        var leader = (await client.StatusAsync()).Leader;
        var hung = await FollowerAsync(sandbox, leader);
        sandbox.SuspendMember(hung.Index);
        try
        {
            var frozen = await RollingDefrag.PlanAsync(cluster, null, forced);
            Assert.Contains(hung.Name, frozen.Refusal);
            Assert.Contains("did not answer within 2s", frozen.Refusal);
            var results = await RunAsync(cluster, frozen);
            Assert.DoesNotContain(results.Results, r => r.Action == EtcdDefragAction.Defragmented);
            Assert.True(results.Run.Stop!.Refused);
        }
        finally
        {
            sandbox.ResumeMember(hung.Index);
        }
    }

    [Fact]
    public async Task ASingleMemberIsDefragmentedOnlyWhenTheDowntimeIsAcknowledged()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var forced = Quick with { IgnoreThreshold = true };

        var plan = await RollingDefrag.PlanAsync(cluster, null, forced);
        Assert.Contains("single voting member", plan.Refusal);
        var refused = await RunAsync(cluster, plan);
        Assert.Equal(EtcdDefragAction.NotStarted, Assert.Single(refused.Results).Action);
        Assert.True(refused.Run.Stop!.Refused);

        var acknowledged = await RollingDefrag.PlanAsync(cluster, null, forced with { AllowDowntime = true, MoveLeaderFirst = true });
        Assert.Null(acknowledged.Refusal);
        var done = Assert.Single((await RunAsync(cluster, acknowledged)).Results);
        Assert.Equal(EtcdDefragAction.Defragmented, done.Action);
        Assert.True(done.IsLeader);
        Assert.Contains("No other healthy voting member could take over leadership", done.Reason);
    }

    [Fact]
    public async Task WithMoveLeaderFirstTheLeaderHandsOverToADefragmentedMemberFirst()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var plan = await RollingDefrag.PlanAsync(cluster, null, Quick with { IgnoreThreshold = true, MoveLeaderFirst = true });
        var leader = plan.Steps[2];
        Assert.True(leader.IsLeader);

        var results = (await RunAsync(cluster, plan)).Results;
        Assert.All(results, r => Assert.Equal(EtcdDefragAction.Defragmented, r.Action));
        Assert.All(results, r => Assert.False(r.IsLeader));
        Assert.Contains("It led the cluster until leadership was handed to ", results[2].Reason);
        var now = (await client.StatusAsync()).Leader;
        Assert.NotEqual(MemberId.Parse(leader.MemberId), now);
        Assert.Contains(MemberId.Format(now), results[2].Reason);
    }

    [Fact]
    public async Task AMemberKilledAfterTheFirstIsDoneStopsTheRunAndTheClusterKeepsQuorum()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings with { CommandTimeout = TimeSpan.FromSeconds(2) });
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        await MaintenanceTestData.FragmentAsync(sandbox, 2);
        var plan = await RollingDefrag.PlanAsync(cluster, null, Quick);
        Assert.Equal(3, plan.ToDefragment);
        var next = sandbox.Members.Single(m => m.Name == plan.Steps[1].Name);

        var run = new RollingDefrag(cluster, plan);
        var results = new List<EtcdDefragResult>();
        await foreach (var result in run.RunAsync(p =>
                       {
                           // The first member is done and the pause before the next has begun: the next one dies.
                           if (p.Target == plan.Steps[0].Name && p.Activity.StartsWith("Waiting ", StringComparison.Ordinal) && p.Activity.EndsWith("before the next member", StringComparison.Ordinal))
                               sandbox.KillMember(next.Index);
                           return ValueTask.CompletedTask;
                       }))
            results.Add(result);

        Assert.Equal([EtcdDefragAction.Defragmented, EtcdDefragAction.NotStarted, EtcdDefragAction.NotStarted], results.Select(r => r.Action));
        Assert.Contains(next.Name, results[1].Reason);
        var stop = run.Stop!;
        Assert.True(stop.Refused);
        Assert.Equal([plan.Steps[0].DisplayName], stop.Done);
        Assert.Equal([plan.Steps[1].DisplayName, plan.Steps[2].DisplayName], stop.Remaining);
        Assert.Contains($"Done: {plan.Steps[0].DisplayName}. Not started: {plan.Steps[1].DisplayName}, {plan.Steps[2].DisplayName}.", stop.Message);
        // Two of three members left: quorum holds and writes go on.
        await cluster.InvokeAsync((c, ct) => c.PutAsync("/after/stop", "still writable", cancellationToken: ct));
    }

    [Fact]
    public async Task AMemberKilledInTheMiddleOfItsDefragmentationFailsTheRunWhichReportsWhatRemains()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings with { CommandTimeout = TimeSpan.FromSeconds(2) });
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        // Tens of MiB of live data make each defragmentation last (it copies what is in use), plus some deleted data.
        await MaintenanceTestData.WriteAsync(client, "/large/", 4000, 10 * 1024);
        await client.DeleteRangeAsync(new() { Key = ByteString.CopyFromUtf8("/large/000000"), RangeEnd = ByteString.CopyFromUtf8("/large/001000") });
        var plan = await RollingDefrag.PlanAsync(cluster, null, Quick with { IgnoreThreshold = true });
        var victim = sandbox.Members.Single(m => m.Name == plan.Steps[0].Name);
        var logged = CountDefragmentLines(victim);

        var run = new RollingDefrag(cluster, plan);
        var results = new List<EtcdDefragResult>();
        Task? killer = null;
        await foreach (var result in run.RunAsync(p =>
                       {
                           if (p.Target == victim.Name && p.Activity.StartsWith("Defragmenting", StringComparison.Ordinal))
                           {
                               // Killed once the member has logged the start of its defragmentation.
                               killer = Task.Run(async () =>
                               {
                                   while (CountDefragmentLines(victim) == logged) await Task.Delay(5);
                                   sandbox.KillMember(victim.Index);
                               });
                           }
                           return ValueTask.CompletedTask;
                       }))
            results.Add(result);
        await killer!.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([EtcdDefragAction.Failed, EtcdDefragAction.NotStarted, EtcdDefragAction.NotStarted], results.Select(r => r.Action));
        Assert.StartsWith("Its defragmentation failed: ", results[0].Reason);
        Assert.NotNull(results[0].DbSizeBeforeBytes);
        Assert.Null(results[0].DbSizeAfterBytes);
        var stop = run.Stop!;
        Assert.False(stop.Refused);
        Assert.NotNull(stop.Cause);
        Assert.Empty(stop.Done);
        Assert.Equal(plan.Steps.Select(s => s.DisplayName), stop.Remaining);
        Assert.Contains("Failed, then not started:", stop.Message);
        await cluster.InvokeAsync((c, ct) => c.PutAsync("/after/kill", "quorum kept", cancellationToken: ct));
    }

    private static int CountDefragmentLines(EtcdSandboxMember member) =>
        member.ReadLogTail(2000).Split('\n').Count(l => l.Contains("defragment", StringComparison.OrdinalIgnoreCase));

    private static async Task<(RollingDefrag Run, List<EtcdDefragResult> Results)> RunAsync(EtcdCluster cluster, DefragPlan plan)
    {
        var run = new RollingDefrag(cluster, plan);
        var results = new List<EtcdDefragResult>();
        await foreach (var result in run.RunAsync()) results.Add(result);
        return (run, results);
    }

    private static async Task<EtcdSandboxMember> FollowerAsync(EtcdSandbox sandbox, ulong leader)
    {
        foreach (var member in sandbox.Members)
        {
            using var client = new EtcdClient(sandbox.GetConnectionSettings(member.Index));
            if ((await client.StatusAsync()).Header.MemberId != leader) return member;
        }
        throw new InvalidOperationException("No follower.");
    }

    /// <summary>Every member's backend size by name, as etcdctl endpoint status reports it.</summary>
    private static async Task<Dictionary<string, long>> EndpointStatusAsync(EtcdSandbox sandbox)
    {
        var sizes = new Dictionary<string, long>();
        foreach (var member in sandbox.Members)
        {
            var result = await Etcdctl.RunAsync(sandbox.GetConnectionSettings(member.Index), "endpoint", "status", "-w", "json");
            Assert.True(result.ExitCode == 0, result.ToString());
            using var json = JsonDocument.Parse(result.StandardOutput);
            sizes[member.Name] = json.RootElement[0].GetProperty("Status").GetProperty("dbSize").GetInt64();
        }
        return sizes;
    }
}
