using System.Text.Json;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Keys;
using EtcdTools.Protocol.Etcdserverpb;
using EtcdTools.Sandbox;
using EtcdTools.Snapshots;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Snapshots;

/// <summary>What etcdctl and the live cluster said when a snapshot was taken.</summary>
public sealed record SnapshotScenario(string Name, string Path, JsonElement EtcdctlStatus, long LiveKeys, uint LiveHashKV, long LiveRevision)
{
    public override string ToString() => Name;
}

/// <summary>
/// One etcd member of its own taken through a history (empty, many revisions and deletions, leases,
/// a physical compaction, large values on overflow pages, a compaction still running), with a
/// snapshot after each step and what etcdctl snapshot status, the key count and HashKV said then;
/// finally the member is stopped so its own db file can be read too.
/// </summary>
public sealed class SnapshotScenarios : IAsyncLifetime
{
    public static readonly string[] Names = ["empty", "history", "compacted", "overflow", "pending-compaction"];

    private readonly Dictionary<string, SnapshotScenario> _scenarios = [];
    private EtcdSandbox? _sandbox;

    public DirectoryInfo Directory { get; } = System.IO.Directory.CreateTempSubdirectory("etcdtools-snapshots-");

    public SnapshotScenario this[string name] => _scenarios[name];

    /// <summary>The stopped member's member/snap/db and what etcdctl snapshot status says of it.</summary>
    public string DbFile { get; private set; } = "";
    public JsonElement DbFileStatus { get; private set; }

    public async Task InitializeAsync()
    {
        _sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1, QuotaBackendBytes = 1L << 30 });
        using var cluster = new EtcdCluster(_sandbox.ConnectionSettings with { CommandTimeout = TimeSpan.FromSeconds(60) });
        var client = cluster.GetClient(cluster.Endpoints[0]);
        await TakeAsync(cluster, "empty");

        for (var i = 0; i < 200; i++) await client.PutAsync($"/history/{i % 17}", $"value {i}");
        var lease = await client.LeaseGrantAsync(600);
        await client.PutAsync("/history/leased", "held", lease.ID);
        await client.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8("/history/3") });
        await client.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8("/history/1"), RangeEnd = ByteString.CopyFromUtf8("/history/2") });
        await client.PutAsync("/history/3", "back");
        await TakeAsync(cluster, "history");

        var middle = (await client.StatusAsync()).Header.Revision - 50;
        await client.CompactAsync(middle, physical: true);
        for (var i = 0; i < 30; i++) await client.PutAsync($"/history/{i % 5}", $"after compaction {i}");
        await client.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8("/history/4") });
        await TakeAsync(cluster, "compacted");

        var large = ByteString.CopyFrom(new byte[20_000].Select((_, i) => (byte)i).ToArray());
        for (var i = 0; i < 300; i++) await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"/large/{i}"), Value = large });
        await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/large/huge"), Value = ByteString.CopyFrom(new byte[1 << 20]) });
        await TakeAsync(cluster, "overflow");

        // Enough old revisions that the compaction (1000 per batch, with pauses) is still deleting when the snapshot is taken.
        for (var round = 0; round < 2; round++)
        {
            for (var batch = 0; batch < 300; batch++)
            {
                var txn = new TxnRequest();
                for (var i = 0; i < 100; i++)
                    txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8($"/pending/{batch * 100 + i}"), Value = ByteString.CopyFromUtf8($"round {round}") } });
                await client.TxnAsync(txn);
            }
        }
        await client.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8("/pending/1"), RangeEnd = ByteString.CopyFromUtf8("/pending/2") });
        await client.PutAsync("/pending/last", "x");
        await client.CompactAsync((await client.StatusAsync()).Header.Revision - 1);
        await TakeAsync(cluster, "pending-compaction");

        await _sandbox.StopMemberAsync(0);
        DbFile = Path.Combine(_sandbox.Members[0].DataDirectory, "member", "snap", "db");
        DbFileStatus = await StatusAsync(DbFile);
    }

    private async Task TakeAsync(EtcdCluster cluster, string name)
    {
        var source = await SnapshotSaver.ChooseMemberAsync(cluster);
        var snapshot = await SnapshotSaver.SaveAsync(cluster, source, Path.Combine(Directory.FullName, name + ".db"), overwrite: false);
        // Nothing writes between the snapshot and these reads.
        var count = await KeyReader.CountAsync(cluster, KeyRange.ForPrefix(""));
        var hash = await cluster.GetClient(cluster.Endpoints[0]).HashKVAsync();
        _scenarios[name] = new SnapshotScenario(name, snapshot.Path, await StatusAsync(snapshot.Path), count.Count, hash.Hash, hash.Header.Revision);
    }

    private static async Task<JsonElement> StatusAsync(string path)
    {
        var run = await Etcdctl.RunAsync(["snapshot", "status", path, "-w", "json"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.StandardOutput).RootElement.Clone();
    }

    public async Task DisposeAsync()
    {
        if (_sandbox is not null) await _sandbox.DisposeAsync();
        Directory.Delete(recursive: true);
    }
}
