using System.Diagnostics;
using System.Text.Json;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Health;
using EtcdTools.Sandbox;
using static EtcdTools.Core.Tests.Health.HealthTestHelpers;

namespace EtcdTools.Core.Tests.Health;

/// <summary>Inventory, health and checks on the shared healthy 3-member TLS cluster, with etcdctl as the witness.</summary>
[Collection("tls-cluster")]
public sealed class TlsClusterHealthTests(TlsClusterFixture fixture)
{
    private EtcdSandbox Sandbox => fixture.Sandbox;

    [Fact]
    public async Task MembersMergeMemberListAndStatusAsEtcdctlSeesThem()
    {
        using var cluster = new EtcdCluster(Sandbox.ConnectionSettings);
        var reports = await InventoryAsync(cluster);

        var witness = await Etcdctl.RunAsync(Sandbox.ConnectionSettings, "endpoint", "status", "-w", "json", "--cluster");
        Assert.True(witness.ExitCode == 0, witness.ToString());
        using var json = JsonDocument.Parse(witness.StandardOutput);
        var statuses = json.RootElement.EnumerateArray().Select(e => e.GetProperty("Status")).ToList();
        var witnessIds = statuses.Select(s => MemberId.Format(s.GetProperty("header").GetProperty("member_id").GetUInt64())).Order().ToList();
        var witnessLeader = MemberId.Format(statuses[0].GetProperty("leader").GetUInt64());
        var witnessCluster = MemberId.Format(statuses[0].GetProperty("header").GetProperty("cluster_id").GetUInt64());

        Assert.All(reports, r => Assert.Null(r.Error));
        var members = reports.Select(r => r.Report).ToList();
        Assert.Equal(witnessIds, members.Select(m => m.MemberId).Order().ToList());
        Assert.Equal(witnessLeader, Assert.Single(members, m => m.IsLeader).MemberId);
        Assert.All(members, m =>
        {
            Assert.Equal(witnessCluster, m.ClusterId);
            Assert.Equal("3.4.23", m.Version);
            Assert.False(m.IsLearner);
            Assert.Equal("", m.Errors);
            Assert.Equal("", m.Alarms);
            var sandboxMember = Sandbox.Members.Single(s => s.Name == m.Name);
            Assert.Equal(sandboxMember.ClientUrl, m.Endpoint);
            Assert.Equal(sandboxMember.ClientUrl, m.ClientUrls);
            Assert.Equal(sandboxMember.PeerUrl, m.PeerUrls);
            Assert.True(m.DbSizeBytes > 0);
            Assert.True(m.DbSizeInUseBytes > 0 && m.DbSizeInUseBytes <= m.DbSizeBytes);
            Assert.Equal(m.DbSizeBytes - m.DbSizeInUseBytes, m.FragmentedBytes);
            Assert.InRange(m.FragmentedPercent!.Value, 0, 100);
            // etcd 3.4 has no quota in Status: this came from /metrics over TLS with the client certificate.
            Assert.Equal(2L * 1024 * 1024 * 1024, m.QuotaBytes);
            Assert.True(m.RaftTerm >= 2);
            Assert.True(m.RaftAppliedIndex > 0 && m.RaftIndex >= m.RaftAppliedIndex - 1);
        });
        var term = statuses[0].GetProperty("raftTerm").GetInt64();
        Assert.All(members, m => Assert.Equal(term, m.RaftTerm));
    }

    [Fact]
    public async Task EveryMemberIsHealthyAndTheProbeIsQuick()
    {
        using var cluster = new EtcdCluster(Sandbox.ConnectionSettings);
        var reports = await HealthAsync(cluster);

        Assert.Equal(3, reports.Count);
        Assert.All(reports, r =>
        {
            Assert.Null(r.Error);
            Assert.True(r.Report.Healthy, r.Report.Error);
            Assert.Equal("", r.Report.Error);
            Assert.Equal("", r.Report.Alarms);
            Assert.InRange(r.Report.TookMs, 0.01, 2000);
            Assert.InRange(r.Report.CheckedAt, DateTimeOffset.Now.AddMinutes(-1), DateTimeOffset.Now);
        });
        Assert.Equal(Sandbox.Members.Select(m => m.ClientUrl).Order(), reports.Select(r => r.Report.Endpoint).Order());
        var witness = await Etcdctl.RunAsync(Sandbox.ConnectionSettings, "endpoint", "health", "--cluster");
        Assert.True(witness.ExitCode == 0, witness.ToString());
    }

    [Fact]
    public async Task SelectionByNameAndHexIdReportsUnknownOnes()
    {
        using var cluster = new EtcdCluster(Sandbox.ConnectionSettings);
        var list = await ListMembersAsync(cluster);
        var second = list.Members[1];

        var selected = MemberDiscovery.Select(list, [second.Name.ToUpperInvariant(), MemberId.Format(list.Members[0].ID), "no-such-member"], out var unknown);

        Assert.Equal([second.ID, list.Members[0].ID], selected.Select(m => m.ID));
        Assert.Equal(["no-such-member"], unknown);
        var error = MemberDiscovery.MemberNotFound(list, "no-such-member");
        Assert.Equal(EtcdErrorKind.MemberNotFound, error.Kind);
        Assert.Contains(second.Name, error.Message);
    }

    [Fact]
    public async Task HealthyClusterPassesEveryCheckIncludingFreshCertificates()
    {
        using var cluster = new EtcdCluster(Sandbox.ConnectionSettings);
        var snapshot = await EtcdClusterInspector.InspectAsync(cluster);
        var results = EtcdClusterChecks.Evaluate(snapshot);

        Assert.True(EtcdClusterChecks.AllPassed(results), string.Join("\n", results.Where(r => r.Status != EtcdCheckStatus.Pass)));
        Assert.All(results, r => Assert.Equal(EtcdCheckStatus.Pass, r.Status));
        Assert.Equal("1 failure(s) tolerated", Single(results, EtcdClusterChecks.FaultTolerance).Value);
        Assert.Equal(3, results.Count(r => r.Check == EtcdClusterChecks.ServerCertificate));
        foreach (var member in Sandbox.Members)
        {
            var certificate = Single(results, EtcdClusterChecks.ServerCertificate, member.Name);
            Assert.Contains($"CN={member.Name}", certificate.Message);
            Assert.Matches(@"\((36[45]) days\)", certificate.Value);
        }
        var client = Single(results, EtcdClusterChecks.ClientCertificate);
        Assert.Contains(EtcdSandbox.ClientCommonName, client.Message);
        Assert.Equal("cluster", client.Member);

        var leaderId = await LeaderIdAsync(Sandbox.ConnectionSettings);
        Assert.Contains(MemberId.Format(leaderId), Single(results, EtcdClusterChecks.Leader).Message);
        Assert.All(snapshot.Members, m => Assert.Equal(2L * 1024 * 1024 * 1024, m.QuotaBytes));
    }

    [Fact]
    public async Task ServerCertificateProbeReadsWhatTheMemberServes()
    {
        var member = Sandbox.Members[2];
        var info = await ServerCertificateProbe.GetAsync(new Uri(member.ClientUrl), Sandbox.ConnectionSettings, CancellationToken.None);
        using var onDisk = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(
            Path.Combine(Sandbox.GetCertificateAuthority()!.Directory, member.Name + ".pem"));
        Assert.Equal(onDisk.Thumbprint, info.Thumbprint);
        Assert.Equal(new DateTimeOffset(onDisk.NotAfter.ToUniversalTime()), info.NotAfter);

        // Without a client certificate the member still shows its own during the handshake.
        var anonymous = Sandbox.ConnectionSettings with { CertificatePath = null, KeyPath = null };
        Assert.Equal(onDisk.Thumbprint, (await ServerCertificateProbe.GetAsync(new Uri(member.ClientUrl), anonymous, CancellationToken.None)).Thumbprint);
    }

    [Fact]
    public async Task ExpiredClientCertificateIsRejectedByEveryMemberAndFailsItsCheck()
    {
        var expired = Sandbox.GetCertificateAuthority()!.IssueClientCertificate("expired-health-client",
            notBefore: DateTimeOffset.UtcNow.AddDays(-10), notAfter: DateTimeOffset.UtcNow.AddDays(-2), fileName: "expired-health-" + Guid.NewGuid().ToString("N"));
        var settings = Sandbox.ConnectionSettings with { CertificatePath = expired.CertificatePath, KeyPath = expired.KeyPath };

        // The member list as a working client sees it; then every probe with the expired certificate.
        using var good = new EtcdCluster(Sandbox.ConnectionSettings);
        var members = (await ListMembersAsync(good)).Members;
        using var cluster = new EtcdCluster(settings);
        var watch = Stopwatch.StartNew();
        var reports = await HealthAsync(cluster, members);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(3, reports.Count);
        Assert.All(reports, r =>
        {
            Assert.False(r.Report.Healthy);
            Assert.Equal(EtcdErrorKind.ClientCertificateRejected, r.Error!.Kind);
            Assert.Contains("expired", r.Report.Error);
        });

        // With nothing answering the member list, Get-EtcdHealth reports each configured endpoint instead.
        var discovery = await MemberDiscovery.DiscoverAsync(cluster);
        Assert.False(discovery.Succeeded);
        var fallback = EtcdHealthProbe.FromDiscoveryFailures(discovery).ToList();
        Assert.Equal(Sandbox.GetClientEndpoints().Order(), fallback.Select(r => r.Report.Endpoint).Order());
        Assert.All(fallback, r =>
        {
            Assert.False(r.Report.Healthy);
            Assert.Equal("", r.Report.MemberId);
            Assert.Equal(EtcdErrorKind.ClientCertificateRejected, r.Error!.Kind);
        });

        var snapshot = await EtcdClusterInspector.InspectAsync(cluster);
        var results = EtcdClusterChecks.Evaluate(snapshot);
        Assert.False(EtcdClusterChecks.AllPassed(results));
        var connection = Single(results, EtcdClusterChecks.Connection);
        Assert.Equal(EtcdCheckStatus.Fail, connection.Status);
        Assert.Contains("client certificate", connection.Recommendation);
        var client = Single(results, EtcdClusterChecks.ClientCertificate);
        Assert.Equal(EtcdCheckStatus.Fail, client.Status);
        Assert.Contains("expired", client.Message);
        Assert.All(snapshot.DiscoveryFailures, f => Assert.Equal(EtcdErrorKind.ClientCertificateRejected, f.Kind));
        Assert.Equal(EtcdErrorKind.ClientCertificateRejected, new MemberDiscoveryResult(null, null, snapshot.DiscoveryFailures).ToException().Kind);
    }

    [Fact]
    public async Task DiscoveryIgnoresAnEndpointThatIsNotListening()
    {
        // A dead endpoint listed first costs nothing: the live ones answer the race.
        var dead = $"https://127.0.0.1:{LoopbackPorts.Allocate(1)[0]}";
        var settings = Sandbox.ConnectionSettings with { Endpoints = [dead, .. Sandbox.GetClientEndpoints()] };
        using var cluster = new EtcdCluster(settings);
        var discovery = await MemberDiscovery.DiscoverAsync(cluster);
        Assert.True(discovery.Succeeded);
        Assert.Equal(3, discovery.MemberList!.Members.Count);
        Assert.Contains(discovery.AnsweredBy!.GetLeftPart(UriPartial.Authority), Sandbox.GetClientEndpoints());
    }
}
