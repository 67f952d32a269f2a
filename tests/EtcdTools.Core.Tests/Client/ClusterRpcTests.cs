using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Protocol.Etcdserverpb;
using EtcdTools.Sandbox;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Client;

/// <summary>RPCs that change the cluster itself (membership, leadership, alarms, compaction, auth): each on its own sandbox.</summary>
public sealed class ClusterRpcTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MemberAddUpdatePromoteAndRemove(bool tls)
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1, Tls = tls });
        using var client = new EtcdClient(sandbox.ConnectionSettings);

        // A learner does not count towards quorum, so a single member keeps working while it is added.
        var added = await client.MemberAddAsync(["http://127.0.0.1:1"], isLearner: true);
        Assert.True(added.Member.IsLearner);
        Assert.Equal(2, added.Members.Count);

        var updated = await client.MemberUpdateAsync(added.Member.ID, ["http://127.0.0.1:2"]);
        Assert.Equal(["http://127.0.0.1:2"], updated.Members.Single(m => m.ID == added.Member.ID).PeerURLs);

        // A learner that never started cannot be in sync: etcd refuses, and says why.
        var refused = await Assert.ThrowsAsync<EtcdException>(() => client.MemberPromoteAsync(added.Member.ID));
        Assert.Contains("learner", refused.EtcdMessage);

        var removed = await client.MemberRemoveAsync(added.Member.ID);
        Assert.Single(removed.Members);
        Assert.Single((await client.MemberListAsync()).Members);
    }

    [Fact]
    public async Task MemberPromoteMakesASyncedLearnerAVoter()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        await client.PutAsync("/promote/key", "v");
        var learnerDir = Directory.CreateTempSubdirectory("etcdtools-learner-");
        var ports = Enumerable.Range(0, 2).Select(_ => FreePort()).ToArray();
        var peerUrl = $"http://127.0.0.1:{ports[0]}";
        var added = await client.MemberAddAsync([peerUrl], isLearner: true);
        var initialCluster = string.Join(",", added.Members.Select(m => m.ID == added.Member.ID ? $"learner={peerUrl}" : $"{m.Name}={m.PeerURLs[0]}"));
        using var learner = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("etcd")
        {
            ArgumentList = { "--name", "learner", "--data-dir", Path.Combine(learnerDir.FullName, "data"),
                "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                "--listen-client-urls", $"http://127.0.0.1:{ports[1]}", "--advertise-client-urls", $"http://127.0.0.1:{ports[1]}",
                "--initial-cluster", initialCluster, "--initial-cluster-state", "existing" },
            RedirectStandardError = true, RedirectStandardOutput = true,
        })!;
        learner.ErrorDataReceived += (_, _) => { };
        learner.BeginErrorReadLine();
        learner.BeginOutputReadLine();
        try
        {
            MemberPromoteResponse? promoted = null;
            // A learner is promotable once it has caught up with the leader's log.
            for (var attempt = 0; attempt < 60 && promoted is null; attempt++)
            {
                try { promoted = await client.MemberPromoteAsync(added.Member.ID); }
                catch (EtcdException e) when (e.EtcdMessage?.Contains("in sync") == true) { await Task.Delay(250); }
            }
            Assert.NotNull(promoted);
            Assert.False(promoted.Members.Single(m => m.ID == added.Member.ID).IsLearner);
        }
        finally
        {
            learner.Kill();
            await learner.WaitForExitAsync();
            learnerDir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task MoveLeaderHandsLeadershipToAFollower()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3, Tls = true });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var members = (await cluster.GetMembersAsync()).Members;
        var leaderId = (await cluster.GetClient(cluster.Endpoints[0]).StatusAsync()).Leader;
        var leader = members.Single(m => m.ID == leaderId);
        var target = members.First(m => m.ID != leaderId);

        await cluster.GetMemberClient(leader)!.MoveLeaderAsync(target.ID, TimeSpan.FromSeconds(10));

        var witness = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "endpoint", "status", "-w", "json");
        Assert.Equal(0, witness.ExitCode);
        Assert.Contains($"\"leader\":{target.ID}", witness.StandardOutput);
        Assert.Equal(target.ID, (await cluster.GetMemberClient(target)!.StatusAsync()).Leader);
    }

    [Fact]
    public async Task AlarmActivateListAndDisarm()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var memberId = (await client.StatusAsync()).Header.MemberId;

        await client.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = memberId, Alarm = AlarmType.Nospace });
        var active = await client.AlarmListAsync();
        var writeRefused = await Assert.ThrowsAsync<EtcdException>(() => client.PutAsync("/alarm/key", "v"));
        await client.AlarmDisarmAsync(memberId, AlarmType.Nospace);

        var alarm = Assert.Single(active.Alarms);
        Assert.Equal(AlarmType.Nospace, alarm.Alarm);
        Assert.Equal(memberId, alarm.MemberID);
        Assert.Equal(EtcdErrorKind.NoSpace, writeRefused.Kind);
        Assert.Equal("etcdserver: mvcc: database space exceeded", writeRefused.EtcdMessage);
        Assert.Empty((await client.AlarmListAsync()).Alarms);
        await client.PutAsync("/alarm/key", "v");
    }

    [Fact]
    public async Task CompactRemovesHistoryBeforeTheRevision()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var first = await client.PutAsync("/compact/key", "old");
        var second = await client.PutAsync("/compact/key", "new");

        await client.CompactAsync(second.Header.Revision, physical: true);

        var error = await Assert.ThrowsAsync<EtcdException>(() =>
            client.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/compact/key"), Revision = first.Header.Revision }));
        Assert.Equal(EtcdErrorKind.Compacted, error.Kind);
        Assert.Equal("etcdserver: mvcc: required revision has been compacted", error.EtcdMessage);
        // HashKV at the compaction revision itself is already "compacted"; after it, it reports where compaction stands.
        var third = await client.PutAsync("/compact/key", "newer");
        Assert.Equal(second.Header.Revision, (await client.HashKVAsync(third.Header.Revision)).CompactRevision);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AuthenticateWithUserAndPasswordSendsTheToken(bool tls)
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1, Tls = tls });
        await AuthSetup.EnableAsync(sandbox.ConnectionSettings, "s3cret");

        using var root = new EtcdClient(sandbox.ConnectionSettings with { Username = "root", Password = "s3cret" });
        var token = await root.AuthenticateAsync("root", "s3cret");
        await root.PutAsync("/auth/key", "v");

        Assert.False(string.IsNullOrEmpty(token));
        Assert.Equal("v", (await root.GetAsync("/auth/key")).Kvs[0].Value.ToStringUtf8());
        if (!tls)
        {
            // Without a client certificate to name the user, a call without credentials is refused.
            using var anonymous = new EtcdClient(sandbox.ConnectionSettings);
            var refused = await Assert.ThrowsAsync<EtcdException>(() => anonymous.GetAsync("/auth/key"));
            Assert.Equal(EtcdErrorKind.AuthenticationFailed, refused.Kind);
        }
    }

    [Fact]
    public async Task AnExpiredTokenIsRenewedOnceTransparently()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1, ExtraArguments = ["--auth-token-ttl", "1"] });
        await AuthSetup.EnableAsync(sandbox.ConnectionSettings, "pw");
        using var client = new EtcdClient(sandbox.ConnectionSettings with { Username = "root", Password = "pw" });
        await client.PutAsync("/ttl/key", "v1");

        // Simple tokens expire after --auth-token-ttl seconds without use.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await client.PutAsync("/ttl/key", "v2");

        Assert.Equal("v2", (await client.GetAsync("/ttl/key")).Kvs[0].Value.ToStringUtf8());
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Turns authentication on the way an operator does: a root user with the root role, then auth enable.</summary>
internal static class AuthSetup
{
    public static async Task EnableAsync(EtcdConnectionSettings settings, string rootPassword)
    {
        using var client = new EtcdClient(settings);
        await client.UserAddAsync("root", rootPassword);
        await client.RoleAddAsync("root");
        await client.UserGrantRoleAsync("root", "root");
        await client.AuthEnableAsync();
    }
}
