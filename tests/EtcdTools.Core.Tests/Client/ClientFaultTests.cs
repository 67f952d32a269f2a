using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Client;

/// <summary>
/// Bad input and broken members: every failure is an <see cref="EtcdException"/> of the right kind
/// with a message that names the problem, and nothing waits past its timeout.
/// </summary>
[Collection("tls-cluster")]
public sealed class ClientTlsFaultTests(TlsClusterFixture fixture)
{
    private readonly EtcdSandbox _sandbox = fixture.Sandbox;

    private EtcdConnectionSettings Member0 => _sandbox.GetConnectionSettings(0);

    [Fact]
    public async Task A_wrong_CA_names_the_certificate_problem()
    {
        using var other = CertificateAuthority.Create("other-ca", Path.Combine(_sandbox.Directory, "other-ca-" + Guid.NewGuid().ToString("N")[..6]));
        using var client = new EtcdClient(Member0 with { CaCertificatePath = other.CertificatePath });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.Equal(EtcdErrorKind.ServerCertificate, error.Kind);
        Assert.Contains("does not chain to the CA bundle", error.Message);
        Assert.Contains(other.CertificatePath, error.Message);
    }

    [Fact]
    public async Task A_server_name_the_certificate_does_not_hold_is_refused()
    {
        using var client = new EtcdClient(Member0 with { ServerName = "etcd.example.com" });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.Equal(EtcdErrorKind.ServerCertificate, error.Kind);
        Assert.Contains("not valid for this host name", error.Message);
    }

    [Fact]
    public async Task A_missing_client_certificate_says_so()
    {
        using var client = new EtcdClient(Member0 with { CertificatePath = null, KeyPath = null });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.Equal(EtcdErrorKind.ClientCertificateRequired, error.Kind);
        Assert.Contains("requires a client certificate", error.Message);
        Assert.DoesNotContain("HTTP/2 handshake", error.Message);
    }

    [Fact]
    public async Task A_client_certificate_from_another_CA_is_reported_as_rejected()
    {
        using var other = CertificateAuthority.Create("rogue-ca", Path.Combine(_sandbox.Directory, "rogue-ca-" + Guid.NewGuid().ToString("N")[..6]));
        var rogue = other.IssueClientCertificate("rogue-client");
        using var client = new EtcdClient(Member0 with { CertificatePath = rogue.CertificatePath, KeyPath = rogue.KeyPath });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.Equal(EtcdErrorKind.ClientCertificateRejected, error.Kind);
        Assert.Contains("CN=rogue-ca", error.Message);
    }

    [Fact]
    public async Task An_expired_client_certificate_is_reported_as_expired()
    {
        var expired = _sandbox.CertificateAuthority!.IssueClientCertificate("expired-client",
            DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1), fileName: "expired-" + Guid.NewGuid().ToString("N")[..6]);
        using var client = new EtcdClient(Member0 with { CertificatePath = expired.CertificatePath, KeyPath = expired.KeyPath });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.Equal(EtcdErrorKind.ClientCertificateRejected, error.Kind);
        Assert.Contains("expired on", error.Message);
    }

    [Fact]
    public async Task Missing_or_mismatched_TLS_files_fail_before_any_network_call()
    {
        var missing = Assert.Throws<EtcdException>(() => new EtcdClient(Member0 with { CaCertificatePath = "/nonexistent/ca.pem" }));
        var mismatched = Assert.Throws<EtcdException>(() => new EtcdClient(Member0 with { KeyPath = _sandbox.CertificateAuthority!.KeyPath }));
        var half = Assert.Throws<EtcdException>(() => new EtcdClient(Member0 with { KeyPath = null }));

        Assert.Equal(EtcdErrorKind.TlsConfiguration, missing.Kind);
        Assert.Contains("/nonexistent/ca.pem", missing.Message);
        Assert.Equal(EtcdErrorKind.TlsConfiguration, mismatched.Kind);
        Assert.Equal(EtcdErrorKind.TlsConfiguration, half.Kind);
        Assert.Contains("without its key", half.Message);
    }

    [Fact]
    public async Task Plain_http_to_a_TLS_port_is_a_protocol_error_with_a_hint()
    {
        using var client = new EtcdClient(new EtcdConnectionSettings { Endpoints = [_sandbox.Members[0].ClientUrl.Replace("https://", "http://")] });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.Equal(EtcdErrorKind.Protocol, error.Kind);
        Assert.Contains("use https://", error.Message);
    }
}

[Collection("single-member")]
public sealed class ClientPlaintextFaultTests(SingleMemberFixture fixture)
{
    private readonly EtcdSandbox _sandbox = fixture.Sandbox;

    [Fact]
    public async Task Https_to_a_plaintext_port_is_a_protocol_error_with_a_hint()
    {
        var url = _sandbox.Members[0].ClientUrl.Replace("http://", "https://");
        using var client = new EtcdClient(new EtcdConnectionSettings { Endpoints = [url], SkipCertificateCheck = true });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.True(error.Kind == EtcdErrorKind.Protocol, error.ToString());
        Assert.Contains("use http://", error.Message);
    }

    [Fact]
    public async Task Caller_cancellation_is_an_OperationCanceledException_not_an_error()
    {
        using var client = new EtcdClient(_sandbox.ConnectionSettings);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.StatusAsync(cancellationToken: cts.Token));
    }
}

/// <summary>Faults that need a cluster of their own: nothing listening, members stopped or hung, auth.</summary>
public sealed class ClientUnavailableTests
{
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Connection_refused_fails_fast_and_says_nothing_listens()
    {
        var port = ClusterRpcTests.FreePort();
        using var client = new EtcdClient(new EtcdConnectionSettings { Endpoints = [$"http://127.0.0.1:{port}"] });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.Equal(EtcdErrorKind.Unavailable, error.Kind);
        Assert.Contains("nothing listens", error.Message);
        Assert.True(clock.Elapsed < EtcdConnectionSettings.DefaultDialTimeout + Margin, $"took {clock.Elapsed}");
    }

    /// <summary>A peer that accepts TCP but never finishes TLS: the dial timeout, not the command timeout, ends it.</summary>
    [Fact]
    public async Task An_endpoint_that_never_completes_the_handshake_fails_within_the_dial_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var dial = TimeSpan.FromSeconds(1);
        using var client = new EtcdClient(new EtcdConnectionSettings
        {
            Endpoints = [$"https://127.0.0.1:{port}"], SkipCertificateCheck = true, DialTimeout = dial, CommandTimeout = TimeSpan.FromSeconds(30),
        });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.Equal(EtcdErrorKind.Timeout, error.Kind);
        Assert.Contains("dial timeout", error.Message);
        Assert.True(clock.Elapsed < dial + Margin, $"took {clock.Elapsed}");
    }

    [Fact]
    public void A_malformed_endpoint_is_rejected_with_the_url_in_the_message()
    {
        foreach (var bad in new[] { "htp:/127.0.0.1:2379", "ftp://127.0.0.1:2379", "http://127.0.0.1:2379/v3/kv", "", "http://" })
        {
            var error = Assert.Throws<ArgumentException>(() => new EtcdClient(new EtcdConnectionSettings { Endpoints = [bad] }));
            Assert.Contains("endpoint", error.Message);
        }
    }

    [Fact]
    public async Task A_hung_member_ends_each_call_at_its_deadline()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        var timeout = TimeSpan.FromSeconds(2);
        using var client = new EtcdClient(sandbox.ConnectionSettings with { CommandTimeout = timeout });
        await client.StatusAsync();
        sandbox.SuspendMember(0);
        try
        {
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<EtcdException>(() => client.GetAsync("/hung"));

            Assert.Equal(EtcdErrorKind.Timeout, error.Kind);
            Assert.Contains("did not answer within 2s", error.Message);
            Assert.InRange(clock.Elapsed, timeout - TimeSpan.FromMilliseconds(100), timeout + Margin);

            // A snapshot has no overall deadline, but a hung member still ends it at the idle timeout.
            clock.Restart();
            var snapshot = await Assert.ThrowsAsync<EtcdException>(() => client.SnapshotAsync(Stream.Null, idleTimeout: timeout));
            Assert.Equal(EtcdErrorKind.Timeout, snapshot.Kind);
            Assert.True(clock.Elapsed < timeout + Margin, $"took {clock.Elapsed}");
        }
        finally
        {
            sandbox.ResumeMember(0);
        }
        Assert.Equal("3.4.23", (await client.StatusAsync()).Version);
    }

    [Fact]
    public async Task A_hung_TLS_member_fails_a_new_connection_within_the_dial_timeout()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1, Tls = true });
        sandbox.SuspendMember(0);
        try
        {
            var dial = TimeSpan.FromSeconds(1);
            using var client = new EtcdClient(sandbox.ConnectionSettings with { DialTimeout = dial, CommandTimeout = TimeSpan.FromSeconds(30) });
            var clock = Stopwatch.StartNew();

            var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

            Assert.Equal(EtcdErrorKind.Timeout, error.Kind);
            Assert.True(clock.Elapsed < dial + Margin, $"took {clock.Elapsed}");
        }
        finally
        {
            sandbox.ResumeMember(0);
        }
    }

    [Fact]
    public async Task A_wrong_password_is_an_authentication_error_and_fast()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        await AuthSetup.EnableAsync(sandbox.ConnectionSettings, "right");
        using var client = new EtcdClient(sandbox.ConnectionSettings with { Username = "root", Password = "wrong" });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.GetAsync("/x"));

        Assert.Equal(EtcdErrorKind.AuthenticationFailed, error.Kind);
        Assert.Contains("refused user 'root'", error.Message);
        Assert.Contains("authentication failed", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task The_cluster_view_fails_over_past_a_stopped_member_and_names_every_failure()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        await sandbox.StopMemberAsync(0);
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);

        var members = await cluster.GetMembersAsync();
        Assert.Equal(3, members.Members.Count);
        Assert.NotEqual(sandbox.Members[0].Name, members.Members.Single(m => m.ID == members.Header.MemberId).Name);

        var deadPorts = new[] { ClusterRpcTests.FreePort(), ClusterRpcTests.FreePort() };
        using var dead = new EtcdCluster(new EtcdConnectionSettings { Endpoints = deadPorts.Select(p => $"http://127.0.0.1:{p}").ToArray() });
        var error = await Assert.ThrowsAsync<EtcdException>(() => dead.GetMembersAsync());
        Assert.Equal(EtcdErrorKind.Unavailable, error.Kind);
        Assert.All(deadPorts, p => Assert.Contains($"127.0.0.1:{p}", error.Message));
    }

    [Fact]
    public async Task A_fan_out_with_one_hung_member_takes_one_timeout_and_reports_the_others()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var members = (await cluster.GetMembersAsync()).Members;
        var hungName = sandbox.Members[2].Name;
        sandbox.SuspendMember(2);
        try
        {
            var timeout = TimeSpan.FromSeconds(2);
            var clock = Stopwatch.StartNew();
            var results = new List<MemberResult<Protocol.Etcdserverpb.StatusResponse>>();
            await foreach (var result in cluster.ForEachMemberAsync(members, (client, _, ct) => client.StatusAsync(cancellationToken: ct), timeout))
                results.Add(result);

            Assert.True(clock.Elapsed < timeout + Margin, $"took {clock.Elapsed}");
            Assert.Equal(3, results.Count);
            Assert.Equal(2, results.Count(r => r.Succeeded));
            var hung = results.Single(r => !r.Succeeded);
            Assert.Equal(hungName, hung.Member.Name);
            Assert.Equal(EtcdErrorKind.Timeout, hung.Error!.Kind);
        }
        finally
        {
            sandbox.ResumeMember(2);
        }
    }
}
