using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Sandbox;

[Collection("single-member")]
public sealed class SingleMemberSandboxTests(SingleMemberFixture fixture)
{
    private EtcdSandbox Sandbox => fixture.Sandbox;

    [Fact]
    public async Task StartsHealthyAccordingToEtcdctl()
    {
        var health = await Etcdctl.RunAsync(Sandbox.ConnectionSettings, "endpoint", "health");
        Assert.True(health.ExitCode == 0, health.ToString());
        Assert.Contains("is healthy", health.StandardError + health.StandardOutput);
    }

    [Fact]
    public void DescribesOnePlaintextMember()
    {
        var member = Assert.Single(Sandbox.Members);
        Assert.Equal(EtcdSandboxMemberState.Running, member.State);
        Assert.StartsWith("http://127.0.0.1:", member.ClientUrl);
        Assert.StartsWith("http://127.0.0.1:", member.PeerUrl);
        Assert.StartsWith("http://127.0.0.1:", member.MetricsUrl);
        Assert.Equal([member.ClientUrl], Sandbox.GetClientEndpoints());
        Assert.False(Sandbox.Tls);
        Assert.Null(Sandbox.CaCertificatePath);
        Assert.Null(Sandbox.ClientCertificatePath);
        Assert.Null(Sandbox.ClientKeyPath);
        Assert.Equal([member.ClientUrl], Sandbox.ConnectionSettings.Endpoints);
        Assert.False(Sandbox.ConnectionSettings.UsesTls);
        Assert.Equal([member.ClientUrl], Sandbox.GetConnectionSettings(0).Endpoints);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sandbox.GetConnectionSettings(1));
        Assert.True(Directory.Exists(member.DataDirectory));
        Assert.StartsWith(Sandbox.Directory, member.DataDirectory);
        Assert.Contains("etcd Version:", File.ReadAllText(member.LogPath));
    }

    [Fact]
    public void ProcessIdIsEtcdItselfInItsOwnSession()
    {
        var pid = Sandbox.Members[0].ProcessId;
        Assert.Equal("etcd", ProcFacts.CommandName(pid));
        var (_, parentId, sessionId) = ProcFacts.Stat(pid);
        // setsid and sh exec'd in place: etcd is our direct child and leads its own session.
        Assert.Equal(Environment.ProcessId, parentId);
        Assert.Equal(pid, sessionId);
    }

    [Fact]
    public async Task ServesDataThroughEtcdctl()
    {
        var key = "/sandbox-test/" + Guid.NewGuid().ToString("N");
        var put = await Etcdctl.RunAsync(Sandbox.ConnectionSettings, "put", key, "value-1");
        Assert.True(put.ExitCode == 0, put.ToString());
        var get = await Etcdctl.RunAsync(Sandbox.ConnectionSettings, "get", key, "--print-value-only");
        Assert.Equal("value-1", get.StandardOutput);
    }

    [Fact]
    public async Task MetricsUrlServesHealthAndMetricsOverPlainHttp()
    {
        using var http = new HttpClient();
        var health = await http.GetStringAsync(Sandbox.Members[0].MetricsUrl + "/health");
        Assert.Contains("\"health\":\"true\"", health);
        var metrics = await http.GetStringAsync(Sandbox.Members[0].MetricsUrl + "/metrics");
        Assert.Contains("etcd_server_has_leader 1", metrics);
        Assert.True(await Sandbox.IsMemberHealthyAsync(0));
    }
}

public sealed class MultiMemberPlaintextSandboxTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public async Task StartsHealthyAccordingToEtcdctl(int members)
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = members });

        Assert.Equal(members, sandbox.Members.Count);
        Assert.Equal(members, sandbox.GetClientEndpoints().Distinct().Count());
        Assert.All(sandbox.Members, m => Assert.Equal("etcd", ProcFacts.CommandName(m.ProcessId)));

        var health = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "endpoint", "health");
        Assert.True(health.ExitCode == 0, health.ToString());

        var memberList = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "member", "list");
        Assert.True(memberList.ExitCode == 0, memberList.ToString());
        Assert.All(sandbox.Members, m => Assert.Contains(m.Name, memberList.StandardOutput));
        Assert.Equal(members, memberList.StandardOutput.Split('\n').Length);
    }

    [Fact]
    public async Task PassesQuotaBackendBytesToEtcd()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { QuotaBackendBytes = 3 * 1024 * 1024 });
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(sandbox.Members[0].MetricsUrl + "/metrics");
        var quotaLine = metrics.Split('\n').Single(l => l.StartsWith("etcd_server_quota_backend_bytes ", StringComparison.Ordinal));
        Assert.Equal(3 * 1024 * 1024, double.Parse(quotaLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
