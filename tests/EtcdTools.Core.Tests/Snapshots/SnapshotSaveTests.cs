using System.Security.Cryptography;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Protocol.Etcdserverpb;
using EtcdTools.Sandbox;
using EtcdTools.Snapshots;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Snapshots;

/// <summary>A 3-member cluster of its own with about 48 MB of data, so a snapshot takes long enough to be interrupted.</summary>
public sealed class SnapshotSaveCluster : IAsyncLifetime
{
    private EtcdSandbox? _sandbox;

    public EtcdSandbox Sandbox => _sandbox!;

    public async Task InitializeAsync()
    {
        _sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3, QuotaBackendBytes = 1L << 30 });
        using var client = new EtcdClient(_sandbox.ConnectionSettings with { CommandTimeout = TimeSpan.FromSeconds(60) });
        var value = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(64 * 1024));
        await Parallel.ForAsync(0, 750, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"/fill/{i:D5}"), Value = value }, cancellationToken: ct));
    }

    public async Task DisposeAsync()
    {
        if (_sandbox is not null) await _sandbox.DisposeAsync();
    }
}

/// <summary>
/// Save-EtcdSnapshot's core against real members: a follower's snapshot byte for byte what etcdctl
/// saves; and a member killed, a cancellation, or an existing file never leaving a partial file.
/// </summary>
public sealed class SnapshotSaveTests(SnapshotSaveCluster fixture) : IClassFixture<SnapshotSaveCluster>, IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("etcdtools-save-");

    private EtcdSandbox Sandbox => fixture.Sandbox;

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task TheSnapshotComesFromAFollowerAndIsEtcdctlsByteForByte()
    {
        using var cluster = new EtcdCluster(Sandbox.ConnectionSettings);
        var members = await cluster.GetClient(cluster.Endpoints[0]).StatusAsync();
        var source = await SnapshotSaver.ChooseMemberAsync(cluster);
        var ours = Path.Combine(_directory.FullName, "ours.db");
        var theirs = Path.Combine(_directory.FullName, "etcdctl.db");

        var snapshot = await SnapshotSaver.SaveAsync(cluster, source, ours, overwrite: false);
        var run = await Etcdctl.RunAsync(["--endpoints=" + source.EndpointUri.GetLeftPart(UriPartial.Authority), "snapshot", "save", theirs]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.NotEqual(MemberId.Format(members.Leader), source.MemberId);
        Assert.Equal("a healthy follower (the leader is spared)", source.Reason);
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(theirs)), SHA256.HashData(File.ReadAllBytes(ours)));
        Assert.Equal(new FileInfo(ours).Length, snapshot.SizeBytes);
        Assert.Equal(Convert.ToHexStringLower(File.ReadAllBytes(ours)[^32..]), snapshot.Sha256);
        Assert.Equal(SnapshotInspector.Read(ours).Revision, snapshot.Revision);
        Assert.Equal(source.Name, snapshot.Member);
        Assert.Equal(Sandbox.ClusterId, snapshot.ClusterId);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ours));
        Assert.Equal(["etcdctl.db", "ours.db"], _directory.GetFiles().Select(f => f.Name).Order());
    }

    [Fact]
    public async Task ANamedMemberIsUsedEvenWhenItLeads()
    {
        using var cluster = new EtcdCluster(Sandbox.ConnectionSettings);
        var leader = (await cluster.GetClient(cluster.Endpoints[0]).StatusAsync()).Leader;
        var name = (await cluster.GetMembersAsync()).Members.Single(m => m.ID == leader).Name;

        var source = await SnapshotSaver.ChooseMemberAsync(cluster, name);
        var snapshot = await SnapshotSaver.SaveAsync(cluster, source, Path.Combine(_directory.FullName, "leader.db"), overwrite: false);

        Assert.Equal(MemberId.Format(leader), snapshot.MemberId);
        Assert.Equal("named by -MemberId", source.Reason);
        var unknown = await Assert.ThrowsAsync<EtcdException>(() => SnapshotSaver.ChooseMemberAsync(cluster, "no-such-member"));
        Assert.Equal(EtcdErrorKind.MemberNotFound, unknown.Kind);
    }

    [Fact]
    public async Task AStoppedFollowerIsPassedOverForTheOtherFollower()
    {
        using var cluster = new EtcdCluster(Sandbox.ConnectionSettings);
        var leader = MemberId.Format((await cluster.GetClient(cluster.Endpoints[0]).StatusAsync()).Leader);
        var members = (await cluster.GetMembersAsync()).Members;
        var followers = members.Where(m => MemberId.Format(m.ID) != leader).Select(m => m.Name).ToList();
        var stopped = Sandbox.Members.Single(m => m.Name == followers[0]).Index;
        await Sandbox.StopMemberAsync(stopped);
        try
        {
            var source = await SnapshotSaver.ChooseMemberAsync(cluster);
            Assert.Equal(followers[1], source.Name);
        }
        finally
        {
            await Sandbox.RestartMemberAsync(stopped);
        }
    }

    [Fact]
    public async Task KillingTheMemberMidStreamLeavesNoFileAndNoTemporaryFile()
    {
        // A member of a cluster of its own, killed once the stream is flowing.
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1, QuotaBackendBytes = 1L << 30 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings with { CommandTimeout = TimeSpan.FromSeconds(60) });
        var value = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(64 * 1024));
        var client = cluster.GetClient(cluster.Endpoints[0]);
        await Parallel.ForAsync(0, 1000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"/fill/{i:D5}"), Value = value }, cancellationToken: ct));
        var source = await SnapshotSaver.ChooseMemberAsync(cluster);
        var target = Path.Combine(_directory.FullName, "killed.db");
        long receivedWhenKilled = 0, total = 0;
        var progress = new Progress(p =>
        {
            total = p.BytesReceived + p.BytesRemaining;
            if (receivedWhenKilled != 0 || p.BytesReceived < 4 << 20) return;
            receivedWhenKilled = p.BytesReceived;
            sandbox.KillMember(0);
        });

        var error = await Assert.ThrowsAsync<EtcdException>(() => SnapshotSaver.SaveAsync(cluster, source, target, overwrite: false, progress));

        Assert.True(receivedWhenKilled > 0 && receivedWhenKilled < total, $"killed at {receivedWhenKilled} of {total} bytes");
        Assert.True(error.Kind == EtcdErrorKind.Unavailable, error.ToString());
        Assert.Empty(_directory.GetFileSystemInfos());
    }

    [Fact]
    public async Task CancellingMidStreamLeavesNoFileAndNoTemporaryFile()
    {
        using var cluster = new EtcdCluster(Sandbox.ConnectionSettings);
        var source = await SnapshotSaver.ChooseMemberAsync(cluster);
        using var cancel = new CancellationTokenSource();
        long cancelledAt = 0;
        var progress = new Progress(p =>
        {
            if (p.BytesReceived < 4 << 20 || cancelledAt != 0) return;
            cancelledAt = p.BytesReceived;
            cancel.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            SnapshotSaver.SaveAsync(cluster, source, Path.Combine(_directory.FullName, "cancelled.db"), overwrite: false, progress, cancel.Token));

        Assert.True(cancelledAt > 0);
        Assert.Empty(_directory.GetFileSystemInfos());
    }

    [Fact]
    public async Task AnExistingFileIsKeptUnlessOverwriting()
    {
        using var cluster = new EtcdCluster(Sandbox.ConnectionSettings);
        var source = await SnapshotSaver.ChooseMemberAsync(cluster);
        var target = Path.Combine(_directory.FullName, "existing.db");
        await File.WriteAllTextAsync(target, "an older backup");

        var refused = await Assert.ThrowsAsync<IOException>(() => SnapshotSaver.SaveAsync(cluster, source, target, overwrite: false));
        Assert.Contains("exists already", refused.Message, StringComparison.Ordinal);
        Assert.Equal("an older backup", await File.ReadAllTextAsync(target));

        var snapshot = await SnapshotSaver.SaveAsync(cluster, source, target, overwrite: true);
        Assert.Equal(snapshot.SizeBytes, new FileInfo(target).Length);
        Assert.True(SnapshotInspector.Inspect(target).Passed);
        Assert.Single(_directory.GetFileSystemInfos());
    }

    [Fact]
    public async Task AMissingDirectoryIsAnErrorBeforeAnythingIsStreamed()
    {
        using var cluster = new EtcdCluster(Sandbox.ConnectionSettings);
        var source = await SnapshotSaver.ChooseMemberAsync(cluster);

        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() =>
            SnapshotSaver.SaveAsync(cluster, source, Path.Combine(_directory.FullName, "no", "such", "dir", "s.db"), overwrite: false));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Delete(recursive: true);

    /// <summary>Reports on the stream's own thread, so the test acts at an exact point of it.</summary>
    private sealed class Progress(Action<SnapshotProgress> report) : IProgress<SnapshotProgress>
    {
        public void Report(SnapshotProgress value) => report(value);
    }
}
