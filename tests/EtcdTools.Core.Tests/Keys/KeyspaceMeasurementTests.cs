using System.Text.Json;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Keys;
using EtcdTools.Protocol.Etcdserverpb;
using EtcdTools.Sandbox;
using EtcdTools.Snapshots;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Keys;

/// <summary>A member of its own holding a small Kubernetes-like keyspace (etcd's /registry/ layout) and a few other keys.</summary>
public sealed class KeyspaceCluster : IAsyncLifetime
{
    private EtcdSandbox? _sandbox;

    public EtcdSandbox Sandbox => _sandbox!;

    public async Task InitializeAsync()
    {
        _sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        using var client = new EtcdClient(_sandbox.ConnectionSettings);
        foreach (var (key, size) in new (string, int)[]
        {
            ("/registry/pods/default/web-1", 100), ("/registry/pods/default/web-2", 300), ("/registry/pods/kube-system/dns", 50),
            ("/registry/namespaces/default", 20), ("/registry/namespaces/kube-system", 20),
            ("/registry/services/specs/default/web", 40), ("/registry/services/endpoints/default/web", 60),
            ("/registry/apps.openshift.io/deploymentconfigs/default/web", 500),
            ("/registry/apiregistration.k8s.io/apiservices/v1.apps", 30),
            ("/app/config/a", 5), ("/app/config/b/c", 7), ("health", 4), ("/registry/pods/default/gone", 10),
        })
        {
            await client.PutAsync(key, new string('v', size));
        }
        for (var i = 0; i < 9; i++) await client.PutAsync("/registry/pods/kube-system/dns", new string('v', 50));
        await client.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8("/registry/pods/default/gone") });
    }

    public async Task DisposeAsync()
    {
        if (_sandbox is not null) await _sandbox.DisposeAsync();
    }
}

/// <summary>Measure-EtcdKeyspace's core: prefixes, top lists, paging at one revision, and the same numbers offline from a snapshot.</summary>
public sealed class KeyspaceMeasurementTests(KeyspaceCluster fixture) : IClassFixture<KeyspaceCluster>
{
    [Fact]
    public async Task RegistryKeysGroupByResourceAndNamespaceOthersByTheirFirstSegment()
    {
        using var cluster = new EtcdCluster(fixture.Sandbox.ConnectionSettings);
        var report = await KeyspaceMeasurement.MeasureAsync(cluster, new KeyspaceOptions());

        var rows = report.Prefixes.ToDictionary(p => p.Prefix);
        Assert.Equal(
            ["", "/app/", "/registry/apiregistration.k8s.io/apiservices/", "/registry/apps.openshift.io/deploymentconfigs/default/", "/registry/namespaces/",
             "/registry/pods/default/", "/registry/pods/kube-system/", "/registry/services/endpoints/default/", "/registry/services/specs/default/"],
            rows.Keys.Order(StringComparer.Ordinal));
        AssertRow(rows["/registry/pods/default/"], "pods", "default", keys: 2, keyBytes: Length("/registry/pods/default/web-1", "/registry/pods/default/web-2"), valueBytes: 400);
        AssertRow(rows["/registry/pods/kube-system/"], "pods", "kube-system", keys: 1, keyBytes: Length("/registry/pods/kube-system/dns"), valueBytes: 50);
        AssertRow(rows["/registry/namespaces/"], "namespaces", "", keys: 2, keyBytes: Length("/registry/namespaces/default", "/registry/namespaces/kube-system"), valueBytes: 40);
        AssertRow(rows["/registry/services/specs/default/"], "services/specs", "default", keys: 1, keyBytes: Length("/registry/services/specs/default/web"), valueBytes: 40);
        AssertRow(rows["/registry/apps.openshift.io/deploymentconfigs/default/"], "apps.openshift.io/deploymentconfigs", "default", keys: 1,
            keyBytes: Length("/registry/apps.openshift.io/deploymentconfigs/default/web"), valueBytes: 500);
        AssertRow(rows["/registry/apiregistration.k8s.io/apiservices/"], "apiregistration.k8s.io/apiservices", "", keys: 1,
            keyBytes: Length("/registry/apiregistration.k8s.io/apiservices/v1.apps"), valueBytes: 30);
        AssertRow(rows["/app/"], "", "", keys: 2, keyBytes: Length("/app/config/a", "/app/config/b/c"), valueBytes: 12);
        AssertRow(rows[""], "", "", keys: 1, keyBytes: Length("health"), valueBytes: 4);
        Assert.Equal("/registry/pods/default/web-2", rows["/registry/pods/default/"].LargestKey);
        Assert.Equal(300, rows["/registry/pods/default/"].LargestValueBytes);
        Assert.Equal(10, rows["/registry/pods/kube-system/"].MostVersions);
        Assert.Equal(report.Prefixes.OrderByDescending(p => p.TotalBytes).Select(p => p.Prefix), report.Prefixes.Select(p => p.Prefix));
        Assert.Equal(100, Math.Round(report.Prefixes.Sum(p => p.PercentOfBytes)), 0);
        Assert.Equal(12, report.Keys);
    }

    [Fact]
    public async Task KeyCountAndBytesAreEtcdctlsForTheWholeKeyspace()
    {
        using var cluster = new EtcdCluster(fixture.Sandbox.ConnectionSettings);
        var report = await KeyspaceMeasurement.MeasureAsync(cluster, new KeyspaceOptions());
        var run = await Etcdctl.RunAsync(fixture.Sandbox.ConnectionSettings, "get", "", "--from-key", "-w", "json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var kvs = JsonDocument.Parse(run.StandardOutput).RootElement.GetProperty("kvs").EnumerateArray().ToList();
        Assert.Equal(kvs.Count, report.Keys);
        Assert.Equal(kvs.Sum(kv => Convert.FromBase64String(kv.GetProperty("key").GetString()!).Length + Convert.FromBase64String(kv.GetProperty("value").GetString()!).Length), report.Bytes);
    }

    [Fact]
    public async Task TopListsRankTheLargestValuesAndTheMostVersions()
    {
        using var cluster = new EtcdCluster(fixture.Sandbox.ConnectionSettings);
        var report = await KeyspaceMeasurement.MeasureAsync(cluster, new KeyspaceOptions { Top = 3 });

        Assert.Equal(["/registry/apps.openshift.io/deploymentconfigs/default/web", "/registry/pods/default/web-2", "/registry/pods/default/web-1"],
            report.LargestKeys.Select(k => k.Key));
        Assert.Equal([1, 2, 3], report.LargestKeys.Select(k => k.Rank));
        Assert.Equal([500L, 300, 100], report.LargestKeys.Select(k => k.ValueBytes));
        var most = report.MostVersions[0];
        Assert.Equal(("/registry/pods/kube-system/dns", 10L, "MostVersions", "/registry/pods/kube-system/"), (most.Key, most.Version, most.RankedBy, most.Prefix));
        Assert.True(most.ModRevision > most.CreateRevision);
        Assert.Equal(3, report.MostVersions.Count);
    }

    [Fact]
    public async Task DepthAndPrefixChooseTheGroups()
    {
        using var cluster = new EtcdCluster(fixture.Sandbox.ConnectionSettings);

        var depthOne = await KeyspaceMeasurement.MeasureAsync(cluster, new KeyspaceOptions { Depth = 1 });
        var underApp = await KeyspaceMeasurement.MeasureAsync(cluster, new KeyspaceOptions { Prefix = "/app/", Depth = 3 });

        Assert.Equal(["", "/app/", "/registry/"], depthOne.Prefixes.Select(p => p.Prefix).Order(StringComparer.Ordinal));
        Assert.Equal(9, depthOne.Prefixes.Single(p => p.Prefix == "/registry/").Keys);
        Assert.Equal(["/app/config/", "/app/config/b/"], underApp.Prefixes.Select(p => p.Prefix).Order(StringComparer.Ordinal));
        Assert.Equal(2, underApp.Keys);
    }

    [Fact]
    public async Task SmallPagesAtOneRevisionWhileKeysAreWrittenGiveTheNumbersOfThatRevision()
    {
        using var cluster = new EtcdCluster(fixture.Sandbox.ConnectionSettings);
        using var stop = new CancellationTokenSource();
        using var client = new EtcdClient(fixture.Sandbox.ConnectionSettings);
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++) await client.PutAsync($"/registry/pods/default/new-{i}", "written while measuring");
        });
        KeyspaceReport paged;
        try
        {
            paged = await KeyspaceMeasurement.MeasureAsync(cluster, new KeyspaceOptions { Prefix = "/registry/", PageBytes = 64 });
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }
        // The same revision read in one page, after the writes.
        var whole = await KeyspaceMeasurement.MeasureAsync(cluster, new KeyspaceOptions { Prefix = "/registry/", Revision = paged.Revision });
        await client.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8("/registry/pods/default/new-"), RangeEnd = ByteString.CopyFromUtf8("/registry/pods/default/new.") });

        Assert.True(paged.Pages >= 5, $"{paged.Pages} pages");
        Assert.Equal(1, whole.Pages);
        // Every page at the first page's revision: the keys written meanwhile are not counted.
        Assert.Equal((await KeyReader.CountAsync(cluster, KeyRange.ForPrefix("/registry/"), paged.Revision)).Count, paged.Keys);
        Assert.Equal(Rows(whole), Rows(paged));
        Assert.Equal(paged.Revision, whole.Revision);
    }

    [Fact]
    public async Task ASnapshotMeasuresAsTheClusterItCameFrom()
    {
        using var cluster = new EtcdCluster(fixture.Sandbox.ConnectionSettings);
        var directory = Directory.CreateTempSubdirectory("etcdtools-keyspace-");
        try
        {
            var snapshot = await SnapshotSaver.SaveAsync(cluster, await SnapshotSaver.ChooseMemberAsync(cluster), Path.Combine(directory.FullName, "s.db"), overwrite: false);
            var online = await KeyspaceMeasurement.MeasureAsync(cluster, new KeyspaceOptions { Top = 5 });
            var offline = KeyspaceMeasurement.Measure(snapshot.Path, new KeyspaceOptions { Top = 5 });

            Assert.Equal(online.Revision, offline.Revision);
            Assert.Equal(Rows(online), Rows(offline));
            Assert.Equal(online.LargestKeys.Select(k => (k.Key, k.ValueBytes, k.Version, k.ModRevision)), offline.LargestKeys.Select(k => (k.Key, k.ValueBytes, k.Version, k.ModRevision)));
            Assert.Equal(online.MostVersions.Select(k => (k.Key, k.Version)), offline.MostVersions.Select(k => (k.Key, k.Version)));
            Assert.Equal(snapshot.Path, offline.Source);
            Assert.Equal(0, offline.Pages);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static List<(string, long, long, long, string, long, string, long)> Rows(KeyspaceReport report) =>
        report.Prefixes.Select(p => (p.Prefix, p.Keys, p.KeyBytes, p.ValueBytes, p.LargestKey, p.LargestValueBytes, p.MostVersionsKey, p.MostVersions)).ToList();

    private static long Length(params string[] keys) => keys.Sum(k => (long)k.Length);

    private static void AssertRow(EtcdKeyspaceUsage row, string resource, string ns, long keys, long keyBytes, long valueBytes) =>
        Assert.Equal((resource, ns, keys, keyBytes, valueBytes), (row.Resource, row.Namespace, row.Keys, row.KeyBytes, row.ValueBytes));
}
