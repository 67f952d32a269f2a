using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Protocol.Etcdserverpb;
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
    public async Task AWrongCANamesTheCertificateProblem()
    {
        using var other = CertificateAuthority.Create("other-ca", Path.Combine(_sandbox.Directory, "other-ca-" + Guid.NewGuid().ToString("N")[..6]));
        using var client = new EtcdClient(Member0 with { CaCertificatePath = other.CertificatePath });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.Equal(EtcdErrorKind.ServerCertificate, error.Kind);
        Assert.Contains("does not chain to the CA bundle", error.Message);
        Assert.Contains(other.CertificatePath, error.Message);
    }

    [Fact]
    public async Task AServerNameTheCertificateDoesNotHoldIsRefused()
    {
        using var client = new EtcdClient(Member0 with { ServerName = "etcd.example.com" });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.Equal(EtcdErrorKind.ServerCertificate, error.Kind);
        Assert.Contains("not valid for this host name", error.Message);
    }

    [Fact]
    public async Task AMissingClientCertificateSaysSo()
    {
        using var client = new EtcdClient(Member0 with { CertificatePath = null, KeyPath = null });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.Equal(EtcdErrorKind.ClientCertificateRequired, error.Kind);
        Assert.Contains("requires a client certificate", error.Message);
        Assert.DoesNotContain("HTTP/2 handshake", error.Message);
    }

    [Fact]
    public async Task AClientCertificateFromAnotherCAIsReportedAsRejected()
    {
        using var other = CertificateAuthority.Create("rogue-ca", Path.Combine(_sandbox.Directory, "rogue-ca-" + Guid.NewGuid().ToString("N")[..6]));
        var rogue = other.IssueClientCertificate("rogue-client");
        using var client = new EtcdClient(Member0 with { CertificatePath = rogue.CertificatePath, KeyPath = rogue.KeyPath });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.Equal(EtcdErrorKind.ClientCertificateRejected, error.Kind);
        Assert.Contains("CN=rogue-ca", error.Message);
    }

    [Fact]
    public async Task AnExpiredClientCertificateIsReportedAsExpired()
    {
        var expired = _sandbox.GetCertificateAuthority()!.IssueClientCertificate("expired-client",
            DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1), fileName: "expired-" + Guid.NewGuid().ToString("N")[..6]);
        // TLS 1.3 servers refuse a client certificate after the handshake, with an alert or by hanging
        // up, and what the client sees of that (the alert, a reset, a failed TLS write before or after
        // the HTTP/2 preface, a disposed stream) is a race: every fresh connection must name the expired certificate.
        for (var attempt = 0; attempt < 200; attempt++)
        {
            using var client = new EtcdClient(Member0 with { CertificatePath = expired.CertificatePath, KeyPath = expired.KeyPath });

            var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

            Assert.True(error.Kind == EtcdErrorKind.ClientCertificateRejected, $"Expected ClientCertificateRejected on attempt {attempt}, got {error}");
            Assert.Contains("expired on", error.Message);
        }
    }

    [Fact]
    public async Task MissingOrMismatchedTLSFilesFailBeforeAnyNetworkCall()
    {
        var missing = Assert.Throws<EtcdException>(() => new EtcdClient(Member0 with { CaCertificatePath = "/nonexistent/ca.pem" }));
        var mismatched = Assert.Throws<EtcdException>(() => new EtcdClient(Member0 with { KeyPath = _sandbox.GetCertificateAuthority()!.KeyPath }));
        var half = Assert.Throws<EtcdException>(() => new EtcdClient(Member0 with { KeyPath = null }));

        Assert.Equal(EtcdErrorKind.TlsConfiguration, missing.Kind);
        Assert.Contains("/nonexistent/ca.pem", missing.Message);
        Assert.Equal(EtcdErrorKind.TlsConfiguration, mismatched.Kind);
        Assert.Equal(EtcdErrorKind.TlsConfiguration, half.Kind);
        Assert.Contains("without its key", half.Message);
    }

    [Fact]
    public async Task PlainHttpToATLSPortIsAProtocolErrorWithAHint()
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
    public async Task HttpsToAPlaintextPortIsAProtocolErrorWithAHint()
    {
        var url = _sandbox.Members[0].ClientUrl.Replace("http://", "https://");
        using var client = new EtcdClient(new EtcdConnectionSettings { Endpoints = [url], SkipCertificateCheck = true });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

        Assert.True(error.Kind == EtcdErrorKind.Protocol, error.ToString());
        Assert.Contains("use http://", error.Message);
    }

    [Fact]
    public async Task CallerCancellationIsAnOperationCanceledExceptionNotAnError()
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
    public async Task ConnectionRefusedFailsFastAndSaysNothingListens()
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
    public async Task AnEndpointThatNeverCompletesTheHandshakeFailsWithinTheDialTimeout()
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
    public void AMalformedEndpointIsRejectedWithTheUrlInTheMessage()
    {
        foreach (var bad in new[] { "htp:/127.0.0.1:2379", "ftp://127.0.0.1:2379", "http://127.0.0.1:2379/v3/kv", "", "http://" })
        {
            var error = Assert.Throws<ArgumentException>(() => new EtcdClient(new EtcdConnectionSettings { Endpoints = [bad] }));
            Assert.Contains("endpoint", error.Message);
        }
    }

    [Fact]
    public async Task AHungMemberEndsEachCallAtItsDeadline()
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
    public async Task AHungTLSMemberFailsANewConnectionWithinTheDialTimeout()
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
    public async Task AWrongPasswordIsAnAuthenticationErrorAndFast()
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
    public async Task TheClusterViewFailsOverPastAStoppedMemberAndNamesEveryFailure()
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
    public async Task AFanOutWithOneHungMemberTakesOneTimeoutAndReportsTheOthers()
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
            var results = new List<MemberResult<StatusResponse>>();
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
