using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Sandbox;

/// <summary>Faults on a single member; each test starts its own sandbox since it damages it.</summary>
public sealed class SingleMemberFaultTests
{
    [Fact]
    public async Task SuspendMakesHealthTimeOutAndResumeBringsItBack()
    {
        await using var sandbox = await EtcdSandbox.StartAsync();
        var member = sandbox.Members[0];

        sandbox.SuspendMember(0);
        Assert.Equal(EtcdSandboxMemberState.Suspended, member.State);
        Assert.Equal('T', ProcFacts.Stat(member.ProcessId).State);
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) })
            await Assert.ThrowsAnyAsync<TaskCanceledException>(() => http.GetAsync(member.MetricsUrl + "/health"));
        Assert.False(await sandbox.IsMemberHealthyAsync(0));

        sandbox.ResumeMember(0);
        Assert.Equal(EtcdSandboxMemberState.Running, member.State);
        await sandbox.WaitReadyAsync(TimeSpan.FromSeconds(10));
        var health = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "endpoint", "health");
        Assert.True(health.ExitCode == 0, health.ToString());
    }

    [Fact]
    public async Task KillThenRestartKeepsTheData()
    {
        await using var sandbox = await EtcdSandbox.StartAsync();
        var put = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "put", "/kept", "across-restart");
        Assert.True(put.ExitCode == 0, put.ToString());
        var firstPid = sandbox.Members[0].ProcessId;

        sandbox.KillMember(0);
        Assert.Equal(EtcdSandboxMemberState.Stopped, sandbox.Members[0].State);
        Assert.Equal(137, sandbox.Members[0].ExitCode); // 128 + SIGKILL
        Assert.False(ProcFacts.Exists(firstPid));
        Assert.Throws<InvalidOperationException>(() => sandbox.SuspendMember(0));
        Assert.Throws<InvalidOperationException>(() => sandbox.ResumeMember(0));

        await sandbox.RestartMemberAsync(0);
        Assert.Equal(EtcdSandboxMemberState.Running, sandbox.Members[0].State);
        Assert.NotEqual(firstPid, sandbox.Members[0].ProcessId);
        Assert.Equal("etcd", ProcFacts.CommandName(sandbox.Members[0].ProcessId));
        var get = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "get", "/kept", "--print-value-only");
        Assert.Equal("across-restart", get.StandardOutput);
        await Assert.ThrowsAsync<InvalidOperationException>(() => sandbox.RestartMemberAsync(0));
    }

    [Fact]
    public async Task MemberWithNospaceAlarmStillRestartsReady()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { QuotaBackendBytes = 1_000_000 });
        var value = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(150_000));
        EtcdctlResult put = new(0, "", "");
        for (var i = 0; i < 20 && put.ExitCode == 0; i++)
            put = await Etcdctl.RunAsync([.. Etcdctl.ConnectionArguments(sandbox.ConnectionSettings), "put", $"/filler/{i}"], value);
        Assert.Contains("database space exceeded", put.StandardError);
        using (var http = new HttpClient())
        {
            // etcd's own /health counts the alarm; the sandbox's readiness does not.
            var response = await http.GetAsync(sandbox.Members[0].MetricsUrl + "/health");
            Assert.Contains("\"health\":\"false\"", await response.Content.ReadAsStringAsync());
        }

        sandbox.KillMember(0);
        await sandbox.RestartMemberAsync(0);
        Assert.True(await sandbox.IsMemberHealthyAsync(0));
        var alarms = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "alarm", "list");
        Assert.Contains("NOSPACE", alarms.StandardOutput);
    }

    [Fact]
    public async Task StopOfASuspendedMemberIsStillGraceful()
    {
        await using var sandbox = await EtcdSandbox.StartAsync();
        var pid = sandbox.Members[0].ProcessId;
        sandbox.SuspendMember(0);

        var watch = Stopwatch.StartNew();
        await sandbox.StopMemberAsync(0);
        // Under the grace period: SIGCONT let the SIGTERM act instead of waiting for SIGKILL.
        Assert.True(watch.Elapsed < EtcdSandbox.StopGracePeriod, $"took {watch.Elapsed}");
        Assert.Equal(EtcdSandboxMemberState.Stopped, sandbox.Members[0].State);
        Assert.False(ProcFacts.Exists(pid));
        await sandbox.StopMemberAsync(0); // already stopped: nothing to do
    }

    [Fact]
    public async Task DisposeKillsEveryMemberEvenSuspendedAndRemovesTheDirectory()
    {
        var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        var pids = sandbox.Members.Select(m => m.ProcessId).ToArray();
        var directory = sandbox.Directory;
        sandbox.SuspendMember(1);

        await sandbox.DisposeAsync();

        // No /proc entry at all: killed and reaped, not left as zombies.
        Assert.All(pids, pid => Assert.False(ProcFacts.Exists(pid), $"PID {pid} is still there"));
        Assert.False(Directory.Exists(directory));
        Assert.All(sandbox.Members, m => Assert.Equal(EtcdSandboxMemberState.Stopped, m.State));
        Assert.All(sandbox.Members, m => Assert.Equal(137, m.ExitCode)); // 128 + SIGKILL, the suspended one too
        Assert.Throws<ObjectDisposedException>(() => sandbox.KillMember(0));
        await sandbox.DisposeAsync(); // twice is harmless
        sandbox.Dispose();
    }

    [Fact]
    public async Task SynchronousDisposeAlsoKillsAndCleansUp()
    {
        var sandbox = await EtcdSandbox.StartAsync();
        var pid = sandbox.Members[0].ProcessId;
        var directory = sandbox.Directory;
        sandbox.Dispose();
        Assert.False(ProcFacts.Exists(pid));
        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public async Task FailedStartReportsTheLogAndLeavesNothingBehind()
    {
        var baseDirectory = Directory.CreateTempSubdirectory("sandbox-failure-");
        try
        {
            var failure = await Assert.ThrowsAsync<EtcdSandboxException>(() => EtcdSandbox.StartAsync(new EtcdSandboxOptions
            {
                BaseDirectory = baseDirectory.FullName,
                ExtraArguments = ["--no-such-flag"],
            }));
            Assert.Contains("flag provided but not defined", failure.Message);
            Assert.NotNull(failure.LogTail);
            Assert.Empty(baseDirectory.EnumerateFileSystemInfos());
        }
        finally
        {
            baseDirectory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task PortTakenOnEveryAttemptGivesUpCleanly()
    {
        // The override of --listen-metrics-urls points at a port we hold, so every retry on new ports fails too.
        using var occupied = new TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        var port = ((IPEndPoint)occupied.LocalEndpoint).Port;
        var baseDirectory = Directory.CreateTempSubdirectory("sandbox-port-taken-");
        try
        {
            var failure = await Assert.ThrowsAsync<EtcdSandboxException>(() => EtcdSandbox.StartAsync(new EtcdSandboxOptions
            {
                BaseDirectory = baseDirectory.FullName,
                ExtraArguments = [$"--listen-metrics-urls=http://127.0.0.1:{port}"],
            }));
            Assert.Contains("address already in use", failure.Message);
            Assert.Empty(baseDirectory.EnumerateFileSystemInfos());
        }
        finally
        {
            baseDirectory.Delete(recursive: true);
        }
    }
}

/// <summary>Faults in a three-member cluster: one member down while the others keep quorum.</summary>
public sealed class ClusterFaultTests
{
    [Fact]
    public async Task StopMemberThenRestartItRejoinsTheCluster()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        var stoppedPid = sandbox.Members[1].ProcessId;

        await sandbox.StopMemberAsync(1);
        Assert.Equal(EtcdSandboxMemberState.Stopped, sandbox.Members[1].State);
        Assert.True(await ProcFacts.IsGoneSoonAsync(stoppedPid));
        Assert.False(await sandbox.IsMemberHealthyAsync(1));
        await sandbox.WaitReadyAsync(TimeSpan.FromSeconds(10)); // skips the member stopped on purpose

        // The other two keep quorum and take writes while member 1 is down.
        var put = await Etcdctl.RunAsync(sandbox.GetConnectionSettings(0), "put", "/while-down", "written");
        Assert.True(put.ExitCode == 0, put.ToString());
        var stoppedHealth = await Etcdctl.RunAsync(sandbox.GetConnectionSettings(1), "endpoint", "health", "--dial-timeout=1s", "--command-timeout=2s");
        Assert.NotEqual(0, stoppedHealth.ExitCode);

        await sandbox.RestartMemberAsync(1);
        Assert.Equal(EtcdSandboxMemberState.Running, sandbox.Members[1].State);
        Assert.Contains("--initial-cluster-state=existing", File.ReadAllText(sandbox.Members[1].LogPath));

        var health = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "endpoint", "health");
        Assert.True(health.ExitCode == 0, health.ToString());
        // The restarted member caught up with the write it missed.
        var get = await Etcdctl.RunAsync(sandbox.GetConnectionSettings(1), "get", "/while-down", "--print-value-only");
        Assert.Equal("written", get.StandardOutput);
    }
}
