using System.Diagnostics;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Metrics;
using EtcdTools.Kubernetes;

namespace EtcdTools.Core.Tests.Kubernetes;

/// <summary>The etcd client over port-forwards of the fake API server, with the certificate from the Secret, against real etcd.</summary>
[Collection("openshift-fake")]
public sealed class PortForwardConnectionTests(OpenShiftFixture fixture)
{
    private FakeEtcdDeployment Deployment => fixture.Deployment;

    private async Task<EtcdKubernetesConnection> ConnectAsync(bool limited = false, KubernetesCredentialOptions? credentials = null)
    {
        var client = EtcdKubernetesClient.Create(Deployment.Target(limited));
        try
        {
            return await client.ConnectAsync(credentials);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    [Fact]
    public async Task MembersAreReachedOnlyThroughThePortForwardWithTheCertificateFromTheSecret()
    {
        using var connection = await ConnectAsync();
        var settings = connection.Settings;
        Assert.Null(settings.CertificatePath);
        Assert.Null(settings.KeyPath);
        Assert.NotNull(settings.CertificatePem);
        Assert.Contains("Secret openshift-etcd/etcd-client", settings.PemSource, StringComparison.Ordinal);
        Assert.Equal(["https://127.0.10.10:2379", "https://127.0.10.11:2379", "https://127.0.10.12:2379"], settings.Endpoints);

        using var cluster = new EtcdCluster(settings);
        var members = await cluster.GetMembersAsync();
        Assert.Equal(["master-0", "master-1", "master-2"], members.Members.Select(m => m.Name).Order(StringComparer.Ordinal));
        foreach (var member in members.Members)
        {
            var client = cluster.GetMemberClient(member)!;
            Assert.Equal($"https://127.0.10.1{member.Name[^1]}:2379/", client.Endpoint.ToString());
            var status = await client.StatusAsync();
            Assert.Equal(member.ID, status.Header.MemberId);
        }

        // Nothing listens on the advertised addresses: without the connector the same settings reach nothing.
        using var direct = new EtcdClient(settings with { Connector = null, DialTimeout = TimeSpan.FromSeconds(1) });
        var refused = await Assert.ThrowsAsync<EtcdException>(() => direct.StatusAsync());
        Assert.Equal(EtcdErrorKind.Unavailable, refused.Kind);
    }

    [Fact]
    public async Task WritesThroughThePortForwardAreWhatEtcdctlReadsDirectly()
    {
        using var connection = await ConnectAsync();
        using var cluster = new EtcdCluster(connection.Settings);
        var key = "/k8s-test/" + Guid.NewGuid().ToString("N");
        await cluster.InvokeAsync((c, token) => c.PutAsync(key, "through the API server", cancellationToken: token));
        var witness = await Etcdctl.RunAsync(Deployment.Sandbox.ConnectionSettings, "get", key, "--print-value-only");
        Assert.True(witness.ExitCode == 0, witness.ToString());
        Assert.Equal("through the API server", witness.StandardOutput);
        var read = await cluster.InvokeAsync((c, token) => c.GetAsync(key, cancellationToken: token));
        Assert.Equal("through the API server", read.Kvs.Single().Value.ToStringUtf8());
    }

    [Fact]
    public async Task ASnapshotStreamsThroughThePortForwardByteForByteAsEtcdctlSavesIt()
    {
        using var connection = await ConnectAsync();
        using var cluster = new EtcdCluster(connection.Settings);
        for (var i = 0; i < 200; i++)
            await cluster.InvokeAsync((c, token) => c.PutAsync($"/snap/{i:D4}", new string('x', 2048), cancellationToken: token));
        var ours = Path.Combine(Deployment.Directory, $"ours-{Guid.NewGuid():N}.db");
        var theirs = Path.Combine(Deployment.Directory, $"theirs-{Guid.NewGuid():N}.db");
        var client = cluster.GetClient(new Uri("https://127.0.10.10:2379"));
        await using (var file = File.Create(ours))
        {
            var result = await client.SnapshotAsync(file);
            Assert.True(result.Bytes > 200 * 2048);
        }
        var saved = await Etcdctl.RunAsync(Deployment.Sandbox.GetConnectionSettings(0), "snapshot", "save", theirs);
        Assert.True(saved.ExitCode == 0, saved.ToString());
        // Two snapshots of the same idle member are the same bytes.
        Assert.Equal(await File.ReadAllBytesAsync(theirs), await File.ReadAllBytesAsync(ours));
    }

    [Fact]
    public async Task MetricsAreReadThroughThePortForwardOfEachMembersMetricsPort()
    {
        using var connection = await ConnectAsync();
        var metricsUrls = connection.Settings.MetricsUrls!;
        Assert.Equal(new Uri("https://127.0.10.12:9978"), metricsUrls["master-2"]);
        using var reader = new EtcdMetricsScraper(connection.Settings);
        foreach (var (_, url) in metricsUrls)
        {
            var quota = await reader.ReadGaugeAsync(url, EtcdMetricsScraper.QuotaMetric, CancellationToken.None);
            Assert.True(quota is > 0, $"no quota gauge at {url}");
        }
        Assert.Contains(Deployment.Server.Requests, r => r.Contains("/pods/etcd-master-2/portforward?ports=9978", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AForbiddenSecretNamesTheSecretAndTheAlternatives()
    {
        var e = await Assert.ThrowsAsync<KubernetesException>(() => ConnectAsync(limited: true));
        Assert.Equal(KubernetesErrorKind.Forbidden, e.Kind);
        Assert.Equal(("get", "secrets", "openshift-etcd", "etcd-client"), (e.Verb, e.Resource, e.Namespace, e.Name));
        Assert.Contains("Secret openshift-etcd/etcd-client", e.Message, StringComparison.Ordinal);
        Assert.Contains("-CertificatePath", e.Message, StringComparison.Ordinal);
        Assert.Contains("-CaCertificatePath", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AForbiddenPortForwardIsAnAuthorizationErrorNamingVerbResourceAndNamespace()
    {
        var files = new KubernetesCredentialOptions
        {
            CaCertificatePath = Deployment.Sandbox.CaCertificatePath,
            CertificatePath = Deployment.Sandbox.ClientCertificatePath,
            KeyPath = Deployment.Sandbox.ClientKeyPath,
        };
        using var connection = await ConnectAsync(limited: true, files);
        using var client = new EtcdClient(connection.Settings);
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());
        Assert.Equal(EtcdErrorKind.PermissionDenied, e.Kind);
        Assert.Contains("create pods/portforward in namespace openshift-etcd", e.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 403", e.Message, StringComparison.Ordinal);
        Assert.Contains("master-0", e.Message, StringComparison.Ordinal);
        var kubernetes = Assert.Single(Chain(e).OfType<KubernetesException>());
        Assert.Equal("pods/portforward", kubernetes.Resource);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task APortForwardSlowerThanTheDialTimeoutIsATimeoutThatNamesIt()
    {
        using var connection = await ConnectAsync();
        Assert.Equal(EtcdKubernetesConnection.DefaultDialTimeout, connection.Settings.DialTimeout);
        Deployment.Server.PortForwardDelay = TimeSpan.FromSeconds(3);
        try
        {
            // A relay 3 s slow fits in a Kubernetes connection's own dial timeout, beyond etcdctl's 2 s...
            using (var patient = new EtcdClient(connection.Settings with { CommandTimeout = TimeSpan.FromSeconds(30) }))
                await patient.StatusAsync();

            // ...and with a shorter one it is a timeout that says where the time went, once that time is up.
            using var hasty = new EtcdClient(connection.Settings with { DialTimeout = TimeSpan.FromSeconds(1) });
            var watch = Stopwatch.StartNew();
            var e = await Assert.ThrowsAsync<EtcdException>(() => hasty.StatusAsync());
            Assert.Equal(EtcdErrorKind.Timeout, e.Kind);
            Assert.True(e.Message.Contains("the port-forward through the API server did not open within the dial timeout.", StringComparison.Ordinal), e.Message);
            Assert.Contains("master-0", e.Message, StringComparison.Ordinal);
            Assert.Contains("-DialTimeout", e.Message, StringComparison.Ordinal);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2.5), $"took {watch.Elapsed}");
        }
        finally
        {
            Deployment.Server.PortForwardDelay = TimeSpan.Zero;
        }
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }

    [Fact]
    public async Task LocalPortForwardsServeEtcdctl()
    {
        using var connection = await ConnectAsync();
        var forwards = connection.StartLocalPortForwards();
        Assert.Equal(3, forwards.Count);
        Assert.Equal(["master-0", "master-1", "master-2"], forwards.Select(f => f.MemberName));
        var settings = Deployment.Sandbox.ConnectionSettings with { Endpoints = forwards.Select(f => f.Endpoint).ToArray() };
        var status = await Etcdctl.RunAsync(settings, "endpoint", "status", "-w", "simple");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal(3, status.StandardOutput.Split('\n').Length);
        Assert.All(forwards, f => Assert.True(f.Connections >= 1));
        Assert.All(forwards, f => Assert.Contains(f, EtcdLocalPortForward.Running));
        foreach (var forward in forwards) forward.Dispose();
        Assert.All(forwards, f => Assert.False(f.IsRunning));
        var after = await Etcdctl.RunAsync(settings with { Endpoints = [forwards[0].Endpoint] }, "endpoint", "health", "--dial-timeout=1s", "--command-timeout=2s");
        Assert.NotEqual(0, after.ExitCode);
    }

    [Fact]
    public async Task KubectlExecRunsEtcdctlInTheEtcdctlContainer()
    {
        var result = await Kubectl.RunAsync(Deployment.KubeconfigPath, "exec", "-n", "openshift-etcd", "etcd-master-1", "-c", "etcdctl", "--", "etcdctl", "endpoint", "health");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("is healthy", result.StandardOutput + result.StandardError, StringComparison.Ordinal);
        var failing = await Kubectl.RunAsync(Deployment.KubeconfigPath, "exec", "-n", "openshift-etcd", "etcd-master-1", "-c", "etcdctl", "--", "etcdctl", "get", "--no-such-flag");
        Assert.NotEqual(0, failing.ExitCode);
        var forbidden = await Kubectl.RunAsync(Deployment.KubeconfigPath, "--context=fake-limited", "exec", "-n", "openshift-etcd", "etcd-master-1", "-c", "etcdctl", "--", "etcdctl", "endpoint", "health");
        Assert.NotEqual(0, forbidden.ExitCode);
        Assert.Contains("forbidden", forbidden.StandardError, StringComparison.OrdinalIgnoreCase);
    }
}
