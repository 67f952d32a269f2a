using System.Diagnostics;
using EtcdTools.Client;
using EtcdTools.Kubernetes;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Kubernetes;

/// <summary>
/// Real faults on real etcd members, read back through the fake API server's /log and classified:
/// each fault must show up as its category. Each test has its own deployment.
/// </summary>
public sealed class PodLogFaultTests
{
    private static readonly TimeSpan LogWait = TimeSpan.FromSeconds(30);

    private static async Task<List<EtcdLogEntry>> ReadAsync(FakeEtcdDeployment deployment, int member, EtcdLogQuery? query = null)
    {
        using var client = EtcdKubernetesClient.Create(deployment.Target());
        var pod = (await client.GetPodsAsync()).Single(p => p.Name == deployment.PodName(member));
        var entries = new List<EtcdLogEntry>();
        await foreach (var entry in client.ReadLogAsync(pod, query)) entries.Add(entry);
        return entries;
    }

    /// <summary>Polls a member's classified log until one of <paramref name="categories"/> shows up (etcd logs a moment after the fact).</summary>
    private static async Task<List<EtcdLogEntry>> WaitForAsync(FakeEtcdDeployment deployment, int member, params EtcdLogCategory[] categories)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var entries = await ReadAsync(deployment, member);
            if (entries.Any(e => categories.Contains(e.Category))) return entries;
            if (watch.Elapsed > LogWait)
                Assert.Fail($"No {string.Join(" or ", categories)} line in {deployment.PodName(member)}'s log after {LogWait}; categories seen: "
                    + string.Join(", ", entries.GroupBy(e => e.Category).Select(g => $"{g.Key}={g.Count()}")));
            await Task.Delay(300);
        }
    }

    private static async Task<int> LeaderIndexAsync(EtcdSandbox sandbox)
    {
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var status = await client.StatusAsync();
        var members = await client.MemberListAsync();
        var leaderName = members.Members.Single(m => m.ID == status.Leader).Name;
        return sandbox.Members.Single(m => m.Name == leaderName).Index;
    }

    [Fact]
    public async Task ASuspendedLeaderShowsAsLostAndElectedLeaderThenAsLateHeartbeatsOrALeaderChangeAndItsRestartAsThePreviousLog()
    {
        await using var deployment = await FakeEtcdDeployment.StartAsync(EtcdPodFlavor.OpenShift);
        var leader = await LeaderIndexAsync(deployment.Sandbox);
        var follower = (leader + 1) % 3;
        deployment.Sandbox.SuspendMember(leader);
        await Task.Delay(TimeSpan.FromSeconds(3));
        deployment.Sandbox.ResumeMember(leader);

        var followerLog = await WaitForAsync(deployment, follower, EtcdLogCategory.LeaderLost);
        Assert.Contains(followerLog, e => e.Category == EtcdLogCategory.LeaderElected || e.Category == EtcdLogCategory.LeaderChanged);
        Assert.All(followerLog, e => Assert.Equal($"master-{follower}", e.MemberName));
        var lost = followerLog.First(e => e.Category == EtcdLogCategory.LeaderLost);
        Assert.NotNull(lost.Time);
        Assert.Equal("info", lost.Level);
        // Thawed, the old leader either notices its heartbeats went out late, or hears of the new leader
        // (changed leader), or first of a higher term without a leader (lost leader): which comes first
        // is a race of raft's ticker and the peers' messages.
        EtcdLogCategory[] afterThaw = [EtcdLogCategory.HeartbeatLate, EtcdLogCategory.LeaderChanged, EtcdLogCategory.LeaderLost];
        var leaderLog = await WaitForAsync(deployment, leader, afterThaw);
        var late = leaderLog.First(e => afterThaw.Contains(e.Category));
        Assert.Equal(late.Category == EtcdLogCategory.HeartbeatLate ? "warn" : "info", late.Level);

        // A restart: the pod counts it, and -Previous reads the instance before.
        await deployment.Sandbox.StopMemberAsync(leader);
        await deployment.Sandbox.RestartMemberAsync(leader);
        using var client = EtcdKubernetesClient.Create(deployment.Target());
        var pod = (await client.GetPodsAsync()).Single(p => p.Name == deployment.PodName(leader));
        Assert.Equal(leader == 1 ? 2 : 1, pod.Restarts); // etcd-master-1 was recorded with one restart already
        var previous = await ReadAsync(deployment, leader, new EtcdLogQuery { Previous = true, IncludeOther = true });
        Assert.Contains(previous, e => e.Line == late.Line);
        var current = await ReadAsync(deployment, leader, new EtcdLogQuery { IncludeOther = true });
        Assert.DoesNotContain(current, e => e.Line == late.Line);
        var none = await Assert.ThrowsAsync<KubernetesException>(() => ReadAsync(deployment, follower, new EtcdLogQuery { Previous = true }));
        Assert.Contains("previous terminated container", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASmallQuotaShowsAsTheNoSpaceAlarm()
    {
        await using var deployment = await FakeEtcdDeployment.StartAsync(EtcdPodFlavor.OpenShift, new FakeEtcdOptions { QuotaBackendBytes = 1024 * 1024 });
        using var client = new EtcdClient(deployment.Sandbox.GetConnectionSettings(0));
        var value = new string('q', 64 * 1024);
        var full = false;
        for (var i = 0; i < 200 && !full; i++)
        {
            try { await client.PutAsync($"/fill/{i}", value); }
            catch (EtcdException e) when (e.Kind == EtcdErrorKind.NoSpace) { full = true; }
        }
        Assert.True(full, "the 1 MiB quota was never reached");
        var log = await WaitForAsync(deployment, 0, EtcdLogCategory.NoSpaceAlarm);
        Assert.Contains(log, e => e.Category == EtcdLogCategory.NoSpaceAlarm && e.Level == "warn");
    }

    [Fact]
    public async Task ARogueMemberOfAnotherClusterShowsAsClusterIdMismatch()
    {
        await using var deployment = await FakeEtcdDeployment.StartAsync(EtcdPodFlavor.OpenShift);
        var target = deployment.Sandbox.Members[0];
        var pki = Path.Combine(deployment.Directory, "rogue");
        Directory.CreateDirectory(pki);
        var certificate = deployment.Sandbox.GetCertificateAuthority()!.IssueServerCertificate("rogue", fileName: "rogue-member");
        var ports = Enumerable.Range(0, 2).Select(_ => FreePort()).ToArray();
        // A member of another cluster (another token, so another cluster ID) that believes master-0 is its peer.
        var start = new ProcessStartInfo(deployment.Sandbox.EtcdPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "--name=rogue", $"--data-dir={Path.Combine(pki, "data")}", "--logger=zap",
            $"--listen-client-urls=https://127.0.0.1:{ports[0]}", $"--advertise-client-urls=https://127.0.0.1:{ports[0]}",
            $"--listen-peer-urls=https://127.0.0.1:{ports[1]}", $"--initial-advertise-peer-urls=https://127.0.0.1:{ports[1]}",
            $"--initial-cluster=rogue=https://127.0.0.1:{ports[1]},{target.Name}={target.PeerUrl}", "--initial-cluster-token=another-cluster",
            $"--cert-file={certificate.CertificatePath}", $"--key-file={certificate.KeyPath}", $"--trusted-ca-file={certificate.CaCertificatePath}",
            $"--peer-cert-file={certificate.CertificatePath}", $"--peer-key-file={certificate.KeyPath}", $"--peer-trusted-ca-file={certificate.CaCertificatePath}",
            "--peer-client-cert-auth=true",
        })
            start.ArgumentList.Add(argument);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ETCD", StringComparison.Ordinal)).ToArray()) start.Environment.Remove(key);
        using var rogue = Process.Start(start)!;
        rogue.OutputDataReceived += (_, _) => { };
        rogue.ErrorDataReceived += (_, _) => { };
        rogue.BeginOutputReadLine();
        rogue.BeginErrorReadLine();
        try
        {
            var log = await WaitForAsync(deployment, 0, EtcdLogCategory.ClusterIdMismatch);
            Assert.Contains(log, e => e.Category == EtcdLogCategory.ClusterIdMismatch && e.Level == "warn");
        }
        finally
        {
            rogue.Kill();
            await rogue.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task DelayedFdatasyncShowsAsSlowFdatasyncAndSlowApply()
    {
        await using var deployment = await FakeEtcdDeployment.StartAsync(EtcdPodFlavor.OpenShift);
        var member = deployment.Sandbox.Members[await LeaderIndexAsync(deployment.Sandbox)];
        // Every fdatasync of the leader waits 1.2 s first: etcd warns of syncs above 1 s.
        var strace = new ProcessStartInfo("strace") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync", "-e", "inject=fdatasync:delay_enter=1200000", "-p", member.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            strace.ArgumentList.Add(argument);
        using var tracer = Process.Start(strace)!;
        tracer.ErrorDataReceived += (_, _) => { };
        tracer.BeginErrorReadLine();
        try
        {
            await Task.Delay(1000);
            // Writes keep coming until both lines are found: a slow apply needs an apply that waits
            // on a delayed backend commit, and the slow member may lose its leadership on the way.
            using var writing = new CancellationTokenSource();
            var writer = WriteUntilCancelledAsync(deployment.Sandbox, member.Index, writing.Token);
            try
            {
                var log = await WaitForAsync(deployment, member.Index, EtcdLogCategory.SlowFdatasync);
                var slow = log.First(e => e.Category == EtcdLogCategory.SlowFdatasync);
                Assert.True(slow.TookMs >= 1000, $"took {slow.TookMs} ms");
                Assert.Equal(1000, slow.ExpectedMs);
                await WaitForAsync(deployment, member.Index, EtcdLogCategory.SlowApply);
            }
            finally
            {
                await writing.CancelAsync();
                await writer;
            }
        }
        finally
        {
            tracer.Kill();
            await tracer.WaitForExitAsync();
        }
    }

    /// <summary>Puts a key every 200 ms through the given member until cancelled; a write that fails on the way (a leader election) is retried by the next.</summary>
    private static async Task WriteUntilCancelledAsync(EtcdSandbox sandbox, int member, CancellationToken cancel)
    {
        using var client = new EtcdClient(sandbox.GetConnectionSettings(member) with { CommandTimeout = TimeSpan.FromSeconds(20) });
        for (var i = 0; !cancel.IsCancellationRequested; i++)
        {
            try
            {
                await client.PutAsync($"/slow/{i % 16}", "value", cancellationToken: cancel);
                await Task.Delay(200, cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested) { return; }
            catch (EtcdException) { /* an election under the delayed disk: the next write tries again */ }
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
