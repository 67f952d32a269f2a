using EtcdTools.Client;
using EtcdTools.Kubernetes;

namespace EtcdTools.Core.Tests.Kubernetes;

/// <summary>Reading pod logs through the fake API server: tail and since as kubectl sees them, and maintenance categories from real etcd.</summary>
[Collection("openshift-fake")]
public sealed class PodLogReadingTests(OpenShiftFixture fixture)
{
    private FakeEtcdDeployment Deployment => fixture.Deployment;

    private async Task<List<EtcdLogEntry>> ReadAsync(int member, EtcdLogQuery query)
    {
        using var client = EtcdKubernetesClient.Create(Deployment.Target());
        var pod = (await client.GetPodsAsync()).Single(p => p.Name == Deployment.PodName(member));
        var entries = new List<EtcdLogEntry>();
        await foreach (var entry in client.ReadLogAsync(pod, query)) entries.Add(entry);
        return entries;
    }

    [Fact]
    public async Task TailGivesTheSameLastLinesKubectlLogsGives()
    {
        var ours = await ReadAsync(1, new EtcdLogQuery { Tail = 7, IncludeOther = true });
        var kubectl = await Kubectl.RunAsync(Deployment.KubeconfigPath, "logs", "-n", "openshift-etcd", "etcd-master-1", "-c", "etcd", "--tail=7");
        Assert.True(kubectl.ExitCode == 0, kubectl.ToString());
        Assert.Equal(kubectl.StandardOutput.Split('\n'), ours.Select(e => e.Line));
        Assert.Equal(7, ours.Count);
        Assert.All(ours, e => Assert.NotNull(e.Time));
    }

    [Fact]
    public async Task SinceKeepsOnlyTheRecentLinesAndTailZeroNone()
    {
        var all = await ReadAsync(0, new EtcdLogQuery { IncludeOther = true });
        var cutoff = DateTimeOffset.UtcNow;
        await Task.Delay(1500);
        using (var client = new EtcdClient(Deployment.Sandbox.ConnectionSettings))
            await client.CompactAsync((await client.StatusAsync()).Header.Revision);
        var recent = await ReadAsync(0, new EtcdLogQuery { Since = TimeSpan.FromSeconds(1), IncludeOther = true });
        Assert.True(recent.Count < all.Count + 5, $"{recent.Count} recent of {all.Count}");
        Assert.All(recent, e => Assert.True(e.Time >= cutoff.AddSeconds(-1), $"{e.Time:O} is older than the second asked for"));
        Assert.Empty(await ReadAsync(0, new EtcdLogQuery { Tail = 0, IncludeOther = true }));
    }

    [Fact]
    public async Task CompactionDefragmentationAndSnapshotsShowAsTheirCategories()
    {
        using var client = new EtcdClient(Deployment.Sandbox.GetConnectionSettings(2) with { CommandTimeout = TimeSpan.FromSeconds(30) });
        await client.PutAsync("/maintenance/key", "value");
        await client.CompactAsync((await client.StatusAsync()).Header.Revision, physical: true);
        await client.DefragmentAsync();
        await using (var sink = new MemoryStream())
            await client.SnapshotAsync(sink);
        List<EtcdLogEntry> log = [];
        for (var i = 0; i < 50; i++)
        {
            log = await ReadAsync(2, new EtcdLogQuery());
            if (new[] { EtcdLogCategory.Compaction, EtcdLogCategory.Defrag, EtcdLogCategory.Snapshot }.All(c => log.Any(e => e.Category == c))) break;
            await Task.Delay(200);
        }
        Assert.Contains(log, e => e.Category == EtcdLogCategory.Compaction);
        Assert.Contains(log, e => e.Category == EtcdLogCategory.Defrag);
        Assert.Contains(log, e => e.Category == EtcdLogCategory.Snapshot);
        Assert.DoesNotContain(log, e => e.Category == EtcdLogCategory.Other);
    }
}
