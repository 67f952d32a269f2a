using EtcdTools.Client;
using EtcdTools.Keys;
using EtcdTools.Protocol.Etcdserverpb;
using EtcdTools.Sandbox;
using EtcdTools.Snapshots;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Snapshots;

/// <summary>A 3-member TLS cluster of its own with history and a compaction, and a snapshot of it with what the cluster served then.</summary>
public sealed class RestoreSource : IAsyncLifetime
{
    private EtcdSandbox? _sandbox;

    public EtcdSandbox Sandbox => _sandbox!;
    public DirectoryInfo Directory { get; } = System.IO.Directory.CreateTempSubdirectory("etcdtools-restore-");
    public string SnapshotPath => Path.Combine(Directory.FullName, "source.db");
    public EtcdSnapshot Snapshot { get; private set; } = null!;

    /// <summary>The source cluster's key count and HashKV at the snapshot's revision.</summary>
    public long Keys { get; private set; }
    public uint HashKV { get; private set; }

    public async Task InitializeAsync()
    {
        _sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3, Tls = true });
        using var cluster = new EtcdCluster(_sandbox.ConnectionSettings);
        var client = cluster.GetClient(cluster.Endpoints[0]);
        for (var i = 0; i < 120; i++) await client.PutAsync($"/restore/{i % 40}", $"value {i}");
        await client.CompactAsync((await client.StatusAsync()).Header.Revision - 20, physical: true);
        await client.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8("/restore/1"), RangeEnd = ByteString.CopyFromUtf8("/restore/2") });
        await client.PutAsync("/restore/last", "x");
        Snapshot = await SnapshotSaver.SaveAsync(cluster, await SnapshotSaver.ChooseMemberAsync(cluster), SnapshotPath, overwrite: false);
        // Writes after the snapshot: the comparison must be at the snapshot's revision, not the latest.
        await client.PutAsync("/restore/after", "not in the snapshot");
        Keys = (await KeyReader.CountAsync(cluster, KeyRange.ForPrefix(""), Snapshot.Revision)).Count;
        HashKV = (await client.HashKVAsync(Snapshot.Revision)).Hash;
    }

    public async Task DisposeAsync()
    {
        if (_sandbox is not null) await _sandbox.DisposeAsync();
        Directory.Delete(recursive: true);
    }
}

/// <summary>Restore-EtcdSnapshot's core and Start-EtcdSandbox -FromSnapshot: etcd's own tool, driven, and the result proven.</summary>
public sealed class SnapshotRestoreTests(RestoreSource source) : IClassFixture<RestoreSource>
{
    [Fact]
    public async Task AClusterRestoredFromTheSnapshotServesTheSourcesKeysAndHashKV()
    {
        await using var restored = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3, Tls = true, FromSnapshot = source.SnapshotPath });
        using var cluster = new EtcdCluster(restored.ConnectionSettings);

        var verification = restored.RestoreVerification!;
        Assert.True(verification.Matches, verification.Message);
        Assert.Equal(3, verification.Members);
        Assert.Equal(source.Snapshot.Revision, verification.RestoredRevision);
        // The restored cluster against the source itself, at the snapshot's revision.
        Assert.Equal(source.Keys, (await KeyReader.CountAsync(cluster, KeyRange.ForPrefix(""), source.Snapshot.Revision)).Count);
        await foreach (var member in cluster.ForEachMemberAsync((await cluster.GetMembersAsync()).Members, (client, _, ct) => client.HashKVAsync(source.Snapshot.Revision, cancellationToken: ct)))
            Assert.Equal(source.HashKV, member.Value!.Hash);
        Assert.Equal("value 119", (await cluster.GetClient(cluster.Endpoints[0]).GetAsync("/restore/39")).Kvs[0].Value.ToStringUtf8());
        Assert.NotEqual(source.Sandbox.ClusterId, restored.ClusterId);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task RestoreFillsAnEmptyDataDirectoryKeepingItsModeWithAMemberWhoseDbIsTheSnapshots()
    {
        var info = SnapshotInspector.Read(source.SnapshotPath);
        var dataDirectory = Directory.CreateDirectory(Path.Combine(source.Directory.FullName, "empty-data-dir"));
        File.SetUnixFileMode(dataDirectory.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        var member = new SnapshotRestoreMember("etcd-0", ["https://10.0.0.1:2380"], dataDirectory.FullName);

        var restore = await SnapshotRestorer.RestoreAsync(SnapshotRestorer.LocateTool(), source.SnapshotPath, info, member,
            "etcd-0=https://10.0.0.1:2380,etcd-1=https://10.0.0.2:2380", "prod-restore");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute,
            File.GetUnixFileMode(dataDirectory.FullName));
        Assert.Equal(["member"], dataDirectory.GetDirectories().Select(d => d.Name));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dataDirectory.FullName, "member", "wal")));
        Assert.Empty(source.Directory.GetDirectories("*.restore-*"));
        var db = SnapshotInspector.Read(Path.Combine(dataDirectory.FullName, "member", "snap", "db"));
        Assert.False(db.HasSha256);
        Assert.Equal(info.Revision, db.Revision);
        Assert.Equal(info.KeyCount, db.KeyCount);
        Assert.Equal(info.HashKV, db.HashKV);
        Assert.Equal("etcd-0", restore.Name);
        Assert.Equal("https://10.0.0.1:2380", restore.PeerUrls);
        Assert.Equal("prod-restore", restore.InitialClusterToken);
        Assert.Equal(info.KeyCount, restore.KeyCount);
        Assert.StartsWith("etcd", restore.Tool, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANonEmptyDataDirectoryIsRefusedAndLeftAlone()
    {
        var dataDirectory = Directory.CreateDirectory(Path.Combine(source.Directory.FullName, "in-use"));
        File.WriteAllText(Path.Combine(dataDirectory.FullName, "keep.txt"), "a member's data");

        var error = await Assert.ThrowsAsync<IOException>(() => SnapshotRestorer.RestoreAsync(SnapshotRestorer.LocateTool(), source.SnapshotPath,
            SnapshotInspector.Read(source.SnapshotPath), new SnapshotRestoreMember("m", ["http://127.0.0.1:2380"], dataDirectory.FullName), "m=http://127.0.0.1:2380", "t"));

        Assert.Contains("is not empty", error.Message, StringComparison.Ordinal);
        Assert.Equal(["keep.txt"], dataDirectory.GetFiles().Select(f => f.Name));
    }

    [Fact]
    public async Task TheToolsOwnErrorIsReportedAndNothingIsLeftBehind()
    {
        var dataDirectory = Path.Combine(source.Directory.FullName, "refused-by-tool");
        // The member is not in the initial cluster: etcd's bootstrap check refuses it.
        var error = await Assert.ThrowsAsync<EtcdSnapshotRestoreException>(() => SnapshotRestorer.RestoreAsync(SnapshotRestorer.LocateTool(), source.SnapshotPath,
            SnapshotInspector.Read(source.SnapshotPath), new SnapshotRestoreMember("stranger", ["http://127.0.0.1:2380"], dataDirectory), "other=http://127.0.0.1:2390", "t"));

        Assert.Contains("snapshot restore failed (exit code", error.Message, StringComparison.Ordinal);
        Assert.Contains("stranger", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dataDirectory));
    }

    [Fact]
    public void AToolThatIsNeitherEtcdutlNorEtcdctlIsRefused()
    {
        var error = Assert.Throws<FileNotFoundException>(() => SnapshotRestorer.LocateTool("/bin/true"));

        Assert.Contains("neither etcdutl nor etcdctl", error.Message, StringComparison.Ordinal);
        Assert.Contains("-EtcdutlPath", error.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => SnapshotRestorer.LocateTool(Path.Combine(source.Directory.FullName, "no-such-tool")));
    }
}
