using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Sandbox;

[Collection("tls-cluster")]
public sealed class TlsSandboxTests(TlsClusterFixture fixture)
{
    private EtcdSandbox Sandbox => fixture.Sandbox;

    // A rejected handshake makes etcdctl retry until its deadline: keep that short.
    private static readonly string[] QuickFailure = ["--dial-timeout=1s", "--command-timeout=2s"];

    [Fact]
    public async Task StartsHealthyAccordingToEtcdctlWithClientCertificate()
    {
        var health = await Etcdctl.RunAsync(Sandbox.ConnectionSettings, "endpoint", "health");
        Assert.True(health.ExitCode == 0, health.ToString());
        Assert.Equal(3, Sandbox.ConnectionSettings.Endpoints.Count);
    }

    [Fact]
    public void DescribesTlsMaterialAndHttpsUrls()
    {
        Assert.True(Sandbox.Tls);
        Assert.All(Sandbox.Members, m =>
        {
            Assert.StartsWith("https://127.0.0.1:", m.ClientUrl);
            Assert.StartsWith("https://127.0.0.1:", m.PeerUrl);
            Assert.StartsWith("http://127.0.0.1:", m.MetricsUrl);
            Assert.Equal("etcd", ProcFacts.CommandName(m.ProcessId));
        });
        var settings = Sandbox.ConnectionSettings;
        Assert.True(settings.UsesTls);
        Assert.Equal(Sandbox.CaCertificatePath, settings.CaCertificatePath);
        Assert.Equal(Sandbox.ClientCertificatePath, settings.CertificatePath);
        Assert.Equal(Sandbox.ClientKeyPath, settings.KeyPath);
        Assert.True(File.Exists(settings.CaCertificatePath));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(settings.KeyPath!));
        Assert.Equal([Sandbox.Members[2].ClientUrl], Sandbox.GetConnectionSettings(2).Endpoints);
        Assert.Equal(Sandbox.CaCertificatePath, Sandbox.GetConnectionSettings(2).CaCertificatePath);
    }

    [Fact]
    public async Task PeersTalkTlsWithEachOther()
    {
        // Writes commit only through the peers' TLS connections; member list shows https peer URLs.
        var key = "/sandbox-test/" + Guid.NewGuid().ToString("N");
        var put = await Etcdctl.RunAsync(Sandbox.GetConnectionSettings(0), "put", key, "across-peers");
        Assert.True(put.ExitCode == 0, put.ToString());
        var get = await Etcdctl.RunAsync(Sandbox.GetConnectionSettings(2), "get", key, "--print-value-only");
        Assert.Equal("across-peers", get.StandardOutput);
        var members = await Etcdctl.RunAsync(Sandbox.GetConnectionSettings(1), "member", "list");
        Assert.All(Sandbox.Members, m => Assert.Contains(m.PeerUrl, members.StandardOutput));
    }

    [Fact]
    public async Task MetricsUrlNeedsNoClientCertificate()
    {
        using var http = new HttpClient();
        foreach (var member in Sandbox.Members)
            Assert.Contains("\"health\":\"true\"", await http.GetStringAsync(member.MetricsUrl + "/health"));
    }

    [Fact]
    public async Task RejectsClientWithoutCertificate()
    {
        var settings = Sandbox.GetConnectionSettings(0) with { CertificatePath = null, KeyPath = null };
        var health = await Etcdctl.RunAsync(settings, ["endpoint", "health", .. QuickFailure]);
        Assert.NotEqual(0, health.ExitCode);
    }

    [Fact]
    public async Task RejectsExpiredClientCertificate()
    {
        var expired = Sandbox.GetCertificateAuthority()!.IssueClientCertificate(
            "expired-client",
            notBefore: DateTimeOffset.UtcNow.AddDays(-2),
            notAfter: DateTimeOffset.UtcNow.AddDays(-1),
            fileName: "expired-" + Guid.NewGuid().ToString("N"));
        Assert.True(expired.NotAfter < DateTimeOffset.UtcNow);
        Assert.True(expired.Certificate.NotAfter < DateTime.Now);

        var settings = Sandbox.GetConnectionSettings(0) with { CertificatePath = expired.CertificatePath, KeyPath = expired.KeyPath };
        var health = await Etcdctl.RunAsync(settings, ["endpoint", "health", .. QuickFailure]);
        Assert.NotEqual(0, health.ExitCode);
    }

    [Fact]
    public async Task RejectsClientCertificateFromAnotherCa()
    {
        using var otherCa = CertificateAuthority.Create("some other CA", Path.Combine(Sandbox.Directory, "other-ca-" + Guid.NewGuid().ToString("N")));
        var stranger = otherCa.IssueClientCertificate("stranger");

        var settings = Sandbox.GetConnectionSettings(0) with { CertificatePath = stranger.CertificatePath, KeyPath = stranger.KeyPath };
        var health = await Etcdctl.RunAsync(settings, ["endpoint", "health", .. QuickFailure]);
        Assert.NotEqual(0, health.ExitCode);
    }

    [Fact]
    public async Task AcceptsAnotherValidClientCertificateFromTheSandboxCa()
    {
        // The control for the rejections above: a fresh certificate from the same CA works.
        var valid = Sandbox.GetCertificateAuthority()!.IssueClientCertificate("another-client", fileName: "another-" + Guid.NewGuid().ToString("N"));
        var settings = Sandbox.GetConnectionSettings(1) with { CertificatePath = valid.CertificatePath, KeyPath = valid.KeyPath };
        var health = await Etcdctl.RunAsync(settings, "endpoint", "health");
        Assert.True(health.ExitCode == 0, health.ToString());
    }
}
