using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Maintenance;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Maintenance;

/// <summary>Invoke-EtcdCompaction's core on a sandbox of its own (compaction is cluster-wide and permanent).</summary>
public sealed class CompactionTests
{
    [Fact]
    public async Task CompactionIsPlannedWithTheHistoryItDiscardsAndTheCompactRevisionIsFoundAfterwards()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var revisions = new List<long>();
        for (var i = 0; i < 20; i++) revisions.Add((await client.PutAsync("/compaction/key", $"v{i}")).Header.Revision);
        var current = revisions[^1];
        var target = revisions[9];

        var plan = await Compaction.PlanAsync(cluster, target, null);
        Assert.Equal(current, plan.CurrentRevision);
        Assert.Equal(0, plan.CompactRevision);
        Assert.Equal(target, plan.TargetRevision);
        Assert.Equal(target - 1, plan.DiscardedRevisions);
        Assert.False(plan.NothingToDo);
        Assert.Equal($"Compact to revision {target}, discarding {target - 1} revisions of history (revisions 1 to {target - 1}) and keeping the current revision {current} and the {current - target} revisions before it", plan.Describe());

        var done = await Compaction.CompactAsync(cluster, plan, physical: true);
        Assert.Equal(target, done.Revision);
        Assert.Equal(0, done.PreviousCompactRevision);
        Assert.Equal(current, done.CurrentRevision);
        Assert.True(done.Physical);
        Assert.Equal(sandbox.ClusterId, done.ClusterId);
        // The witness: etcdctl cannot read before the compaction, but can read at it.
        var old = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "get", "/compaction/key", $"--rev={target - 1}");
        Assert.Contains("required revision has been compacted", old.StandardError);
        var kept = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "get", "/compaction/key", $"--rev={target}", "--print-value-only");
        Assert.Equal("v9", kept.StandardOutput);

        // Keep the last 3 revisions: the compaction found is the one just made.
        var keep = await Compaction.PlanAsync(cluster, null, 3);
        Assert.Equal(target, keep.CompactRevision);
        Assert.Equal(current - 3, keep.TargetRevision);
        Assert.Equal(current - 3 - target, keep.DiscardedRevisions);
        Assert.Contains($"(revisions {target} to {current - 4})", keep.Describe());
        var again = await Compaction.CompactAsync(cluster, keep, physical: false);
        Assert.Equal(target, again.PreviousCompactRevision);
        Assert.False(again.Physical);

        // Keeping more than there is since the compaction: nothing to do.
        Assert.True((await Compaction.PlanAsync(cluster, null, 10)).NothingToDo);
    }

    [Fact]
    public async Task RevisionsInTheFutureOrCompactedAlreadyAreRefusedWithEtcdsErrors()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        // A fresh cluster is at revision 1, where history starts: nothing to compact.
        var fresh = await Compaction.PlanAsync(cluster, null, 0);
        Assert.Equal(1, fresh.CurrentRevision);
        Assert.True(fresh.NothingToDo);
        Assert.Equal(0, fresh.DiscardedRevisions);
        for (var i = 0; i < 5; i++) await client.PutAsync("/compaction/key", $"v{i}");
        var current = (await client.PutAsync("/compaction/key", "last")).Header.Revision;

        var future = await Assert.ThrowsAsync<EtcdException>(() => Compaction.PlanAsync(cluster, current + 10, null));
        Assert.Equal(EtcdServerError.FutureRevision, future.ServerError);
        Assert.Equal(EtcdErrorKind.InvalidArgument, future.Kind);
        Assert.Contains($"Revision {current + 10} is in the future: the cluster is at revision {current}.", future.Message);

        await client.CompactAsync(current - 1);
        var compacted = await Assert.ThrowsAsync<EtcdException>(() => Compaction.PlanAsync(cluster, current - 2, null));
        Assert.Equal(EtcdServerError.Compacted, compacted.ServerError);
        Assert.Equal(EtcdErrorKind.Compacted, compacted.Kind);
        Assert.Contains($"The history up to revision {current - 1} has been compacted already", compacted.Message);
        Assert.Equal(EtcdServerError.Compacted, (await Assert.ThrowsAsync<EtcdException>(() => Compaction.PlanAsync(cluster, current - 1, null))).ServerError);

        // Planned before someone else compacted past it: etcd's own refusal, explained.
        var plan = await Compaction.PlanAsync(cluster, current, null);
        await client.CompactAsync(current);
        var raced = await Assert.ThrowsAsync<EtcdException>(() => Compaction.CompactAsync(cluster, plan, physical: false));
        Assert.Equal(EtcdErrorKind.Compacted, raced.Kind);
        Assert.Contains("by another client since the plan was made", raced.Message);

        await Assert.ThrowsAsync<ArgumentException>(() => Compaction.PlanAsync(cluster, null, null));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Compaction.PlanAsync(cluster, null, -1));
    }
}
