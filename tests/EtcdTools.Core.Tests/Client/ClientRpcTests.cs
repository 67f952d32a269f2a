using System.Security.Cryptography;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;
using EtcdTools.Protocol.Mvccpb;
using EtcdTools.Sandbox;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Client;

/// <summary>
/// Every RPC the client speaks, against real etcd: the same tests run over plaintext (one member)
/// and over TLS with client certificates (three members). Keys live under a per-test prefix;
/// anything that changes the cluster itself runs in <see cref="ClusterRpcTests"/> on its own sandbox.
/// </summary>
public abstract class ClientRpcTests : IDisposable
{
    private readonly EtcdClient _client;
    private readonly string _prefix = $"/client-rpc/{Guid.NewGuid():N}/";

    protected ClientRpcTests(EtcdSandbox sandbox)
    {
        Sandbox = sandbox;
        _client = new EtcdClient(sandbox.ConnectionSettings);
    }

    protected EtcdSandbox Sandbox { get; }

    private static ByteString Bytes(string s) => ByteString.CopyFromUtf8(s);

    [Fact]
    public async Task PutThenRangeReturnsTheValueAndRevisions()
    {
        var put = await _client.PutAsync(_prefix + "a", "alpha");
        var got = await _client.GetAsync(_prefix + "a");

        Assert.Single(got.Kvs);
        Assert.Equal("alpha", got.Kvs[0].Value.ToStringUtf8());
        Assert.Equal(put.Header.Revision, got.Kvs[0].ModRevision);
        Assert.Equal(1, got.Kvs[0].Version);
        Assert.NotEqual(0UL, got.Header.ClusterId);
    }

    [Fact]
    public async Task RangeOverAPrefixHonoursLimitCountAndKeysOnly()
    {
        for (var i = 0; i < 5; i++) await _client.PutAsync($"{_prefix}r/{i}", new string('x', 10 + i));
        var request = new RangeRequest { Key = Bytes(_prefix + "r/"), RangeEnd = Bytes(_prefix + "r0"), Limit = 2, KeysOnly = true };

        var page = await _client.RangeAsync(request);

        Assert.Equal(2, page.Kvs.Count);
        Assert.True(page.More);
        Assert.Equal(5, page.Count);
        Assert.All(page.Kvs, kv => Assert.True(kv.Value.IsEmpty));
        var count = await _client.RangeAsync(new RangeRequest { Key = Bytes(_prefix + "r/"), RangeEnd = Bytes(_prefix + "r0"), CountOnly = true });
        Assert.Equal(5, count.Count);
        Assert.Empty(count.Kvs);
    }

    [Fact]
    public async Task DeleteRangeRemovesKeysAndReturnsPreviousValues()
    {
        await _client.PutAsync(_prefix + "d/1", "one");
        await _client.PutAsync(_prefix + "d/2", "two");

        var deleted = await _client.DeleteRangeAsync(new DeleteRangeRequest { Key = Bytes(_prefix + "d/"), RangeEnd = Bytes(_prefix + "d0"), PrevKv = true });

        Assert.Equal(2, deleted.Deleted);
        Assert.Equal(["one", "two"], deleted.PrevKvs.Select(kv => kv.Value.ToStringUtf8()).Order());
        Assert.Empty((await _client.GetAsync(_prefix + "d/1")).Kvs);
    }

    [Fact]
    public async Task TxnComparesAndSwaps()
    {
        var key = Bytes(_prefix + "txn");
        await _client.PutAsync(_prefix + "txn", "v1");
        TxnRequest Swap(string expected, string next) => new()
        {
            Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = Bytes(expected) } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = Bytes(next) } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = key } } },
        };

        var first = await _client.TxnAsync(Swap("v1", "v2"));
        var second = await _client.TxnAsync(Swap("v1", "v3"));

        Assert.True(first.Succeeded);
        Assert.False(second.Succeeded);
        Assert.Equal("v2", second.Responses[0].ResponseRange.Kvs[0].Value.ToStringUtf8());
    }

    [Fact]
    public async Task WatchStreamsPutAndDeleteEventsInOrder()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var events = new List<Event>();
        // Start from the next revision, so no write below can slip in before the watch is live.
        var next = (await _client.StatusAsync()).Header.Revision + 1;
        var watching = Task.Run(async () =>
        {
            var request = new WatchCreateRequest { Key = Bytes(_prefix + "w/"), RangeEnd = Bytes(_prefix + "w0"), PrevKv = true, StartRevision = next };
            await foreach (var response in _client.WatchAsync(request, cts.Token))
            {
                events.AddRange(response.Events);
                if (events.Count >= 3) return;
            }
        });
        await _client.PutAsync(_prefix + "w/a", "1");
        await _client.PutAsync(_prefix + "w/a", "2");
        await _client.DeleteRangeAsync(new DeleteRangeRequest { Key = Bytes(_prefix + "w/a") });
        await watching.WaitAsync(cts.Token);

        Assert.Equal([Event.Types.EventType.Put, Event.Types.EventType.Put, Event.Types.EventType.Delete], events.Select(e => e.Type));
        Assert.Equal("2", events[1].Kv.Value.ToStringUtf8());
        Assert.Equal("1", events[1].PrevKv.Value.ToStringUtf8());
        Assert.True(events[0].Kv.ModRevision < events[1].Kv.ModRevision);
    }

    [Fact]
    public async Task WatchFromAPastRevisionReplaysHistoryAndStopsWhenCancelled()
    {
        var first = await _client.PutAsync(_prefix + "h", "1");
        await _client.PutAsync(_prefix + "h", "2");
        using var cts = new CancellationTokenSource();
        var values = new List<string>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var response in _client.WatchAsync(new WatchCreateRequest { Key = Bytes(_prefix + "h"), StartRevision = first.Header.Revision }, cts.Token))
            {
                values.AddRange(response.Events.Select(e => e.Kv.Value.ToStringUtf8()));
                if (values.Count == 2) cts.Cancel();
            }
        });
        Assert.Equal(["1", "2"], values);
    }

    [Fact]
    public async Task LeaseGrantAndRevokeTakeTheLeasedKeysWithIt()
    {
        var lease = await _client.LeaseGrantAsync(60);
        Assert.Equal(60, lease.TTL);
        await _client.PutAsync(_prefix + "leased", "x", lease.ID);
        Assert.Equal(lease.ID, Assert.Single((await _client.GetAsync(_prefix + "leased")).Kvs).Lease);

        await _client.LeaseRevokeAsync(lease.ID);
        Assert.Empty((await _client.GetAsync(_prefix + "leased")).Kvs);
        var again = await Assert.ThrowsAsync<EtcdException>(() => _client.LeaseRevokeAsync(lease.ID));
        Assert.Equal(EtcdServerError.LeaseNotFound, again.ServerError);
    }

    [Fact]
    public async Task MemberListAndStatusDescribeEveryMember()
    {
        var members = await _client.MemberListAsync();
        Assert.Equal(Sandbox.Members.Count, members.Members.Count);
        Assert.Equal(Sandbox.Members.Select(m => m.Name).Order(), members.Members.Select(m => m.Name).Order());

        var status = await _client.StatusAsync();
        Assert.Equal("3.4.23", status.Version);
        Assert.Contains(members.Members, m => m.ID == status.Leader);
        Assert.True(status.DbSize >= status.DbSizeInUse && status.DbSizeInUse > 0);
        Assert.True(status.RaftAppliedIndex > 0);
    }

    [Fact]
    public async Task HashKVIsStableAtAFixedRevision()
    {
        var put = await _client.PutAsync(_prefix + "hash", "x");
        var first = await _client.HashKVAsync(put.Header.Revision);
        var second = await _client.HashKVAsync(put.Header.Revision);

        Assert.Equal(first.Hash, second.Hash);
        Assert.NotEqual(0U, first.Hash);
    }

    [Fact]
    public async Task AlarmListIsEmptyOnAHealthyCluster()
    {
        var alarms = await _client.AlarmListAsync();
        Assert.Empty(alarms.Alarms);
    }

    [Fact]
    public async Task DefragmentKeepsTheData()
    {
        await _client.PutAsync(_prefix + "defrag", "kept");
        await _client.DefragmentAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("kept", (await _client.GetAsync(_prefix + "defrag")).Kvs[0].Value.ToStringUtf8());
    }

    /// <summary>The snapshot is etcdctl's byte for byte: same SHA-256 of the whole file, taken at the same revision.</summary>
    [Fact]
    public async Task SnapshotIsByteIdenticalToEtcdctlSnapshotSave()
    {
        for (var i = 0; i < 200; i++) await _client.PutAsync($"{_prefix}snap/{i}", new string('s', 512));
        var member = Sandbox.GetConnectionSettings(0);
        var dir = Directory.CreateTempSubdirectory("etcdtools-snap-");
        try
        {
            var etcdctlFile = Path.Combine(dir.FullName, "etcdctl.db");
            var ours = Path.Combine(dir.FullName, "ours.db");
            var before = (await _client.StatusAsync()).Header.Revision;
            var run = await Etcdctl.RunAsync(member, "snapshot", "save", etcdctlFile);
            Assert.True(run.ExitCode == 0, run.ToString());
            SnapshotResult result;
            using (var client = new EtcdClient(member))
            await using (var file = File.Create(ours))
                result = await client.SnapshotAsync(file);
            var after = (await _client.StatusAsync()).Header.Revision;

            Assert.Equal(before, after);
            Assert.Equal(new FileInfo(etcdctlFile).Length, result.Bytes);
            Assert.Equal(Sha256(etcdctlFile), Sha256(ours));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(ours).AsSpan(0, (int)result.Bytes - 32))), result.Sha256);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task SnapshotReportsProgressUpToTheFullSize()
    {
        var reports = new List<SnapshotProgress>();
        var progress = new SynchronousProgress<SnapshotProgress>(reports.Add);
        var result = await _client.SnapshotAsync(Stream.Null, progress);

        Assert.NotEmpty(reports);
        Assert.Equal(result.Bytes, reports[^1].BytesReceived);
        Assert.Equal(0, reports[^1].BytesRemaining);
    }

    [Fact]
    public async Task EtcdErrorsCarryTheStatusAndEtcdsText()
    {
        var status = await _client.StatusAsync();
        var error = await Assert.ThrowsAsync<EtcdException>(() => _client.CompactAsync(status.Header.Revision + 1000));

        Assert.Equal(EtcdErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(GrpcStatusCode.OutOfRange, error.StatusCode);
        Assert.Equal("etcdserver: mvcc: required revision is a future revision", error.EtcdMessage);
        Assert.Equal("KV.Compact", error.Method);
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    public void Dispose()
    {
        _client.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

[Collection("single-member")]
public sealed class PlaintextClientRpcTests(SingleMemberFixture fixture) : ClientRpcTests(fixture.Sandbox);

[Collection("tls-cluster")]
public sealed class TlsClientRpcTests(TlsClusterFixture fixture) : ClientRpcTests(fixture.Sandbox);
