using System.Diagnostics;
using EtcdTools.Client;
using EtcdTools.Metrics;
using EtcdTools.Kubernetes;
using EtcdTools.Performance;
using EtcdTools.Protocol.Etcdserverpb;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Kubernetes;

/// <summary>Each flavor's credentials and metrics path, and a pod deleted under a running forward; each test has its own deployment.</summary>
public sealed class FlavorConnectionTests
{
    [Fact]
    public async Task APortForwardWhosePodIsDeletedEndsWithAClearErrorNotAHang()
    {
        await using var deployment = await FakeEtcdDeployment.StartAsync(EtcdPodFlavor.OpenShift);
        using var connection = await EtcdKubernetesClient.Create(deployment.Target()).ConnectAsync();
        using var cluster = new EtcdCluster(connection.Settings);
        var client = cluster.GetClient(new Uri("https://127.0.10.10:2379"));
        await client.StatusAsync();

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var watching = Task.Run(async () =>
        {
            await foreach (var _ in client.WatchAsync(new WatchCreateRequest { Key = ByteString.CopyFromUtf8("/deleted-pod/") }, cancel.Token)) { }
        });
        await Task.Delay(500);
        var watch = Stopwatch.StartNew();
        Assert.True(deployment.Server.DeletePod("openshift-etcd", "etcd-master-0"));

        var ended = await Assert.ThrowsAsync<EtcdException>(() => watching);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"the watch ended {watch.Elapsed} after the deletion");
        Assert.Equal(EtcdErrorKind.Unavailable, ended.Kind);
        Assert.Contains("pod openshift-etcd/etcd-master-0", ended.Message, StringComparison.Ordinal);
        Assert.Contains("deleted", ended.Message, StringComparison.Ordinal);

        var again = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());
        Assert.Contains("etcd-master-0 no longer exists", again.Message, StringComparison.Ordinal);
        // The other members still answer.
        await cluster.GetClient(new Uri("https://127.0.10.11:2379")).StatusAsync();
    }

    [Fact]
    public async Task KubeadmTakesTheControlPlaneHostsFilesAndReadsMetricsOnPort2381()
    {
        await using var deployment = await FakeEtcdDeployment.StartAsync(EtcdPodFlavor.Kubeadm);
        using (var client = EtcdKubernetesClient.Create(deployment.Target()))
        {
            var missing = await Assert.ThrowsAsync<KubernetesException>(() => client.ConnectAsync(new KubernetesCredentialOptions { KubeadmPkiDirectory = Path.Combine(deployment.Directory, "none") }));
            Assert.Equal(KubernetesErrorKind.Configuration, missing.Kind);
            Assert.Contains("control-plane", missing.Message, StringComparison.Ordinal);
            Assert.Contains("-CertificatePath", missing.Message, StringComparison.Ordinal);
        }
        using var connection = await EtcdKubernetesClient.Create(deployment.Target()).ConnectAsync(new KubernetesCredentialOptions { KubeadmPkiDirectory = deployment.KubeadmPkiDirectory });
        Assert.Equal(Path.Combine(deployment.KubeadmPkiDirectory, "healthcheck-client.crt"), connection.Settings.CertificatePath);
        using var cluster = new EtcdCluster(connection.Settings);
        var members = await cluster.GetMembersAsync();
        Assert.Equal(["cp-0", "cp-1", "cp-2"], members.Members.Select(m => m.Name).Order(StringComparer.Ordinal));
        using var reader = new EtcdMetricsScraper(connection.Settings);
        foreach (var member in members.Members)
        {
            var url = connection.Settings.MetricsUrls![member.Name];
            Assert.Equal("http", url.Scheme);
            Assert.Equal(2381, url.Port);
            Assert.True(await reader.ReadGaugeAsync(url, EtcdMetricsScraper.QuotaMetric, CancellationToken.None) is > 0, $"no metrics at {url}");
        }
    }

    [Fact]
    public async Task APerformanceMeasurementOverKubeadmReadsEachMembersMetricsOn2381ThroughItsPortForward()
    {
        await using var deployment = await FakeEtcdDeployment.StartAsync(EtcdPodFlavor.Kubeadm);
        using var connection = await EtcdKubernetesClient.Create(deployment.Target()).ConnectAsync(new KubernetesCredentialOptions { KubeadmPkiDirectory = deployment.KubeadmPkiDirectory });
        using var cluster = new EtcdCluster(connection.Settings);
        using var monitor = await EtcdPerformanceMonitor.StartAsync(cluster, new EtcdPerformanceOptions { Interval = TimeSpan.FromSeconds(1) });
        // The pods' metrics URLs (kubeadm's --listen-metrics-urls on the pod IP), not the client URLs.
        Assert.All(monitor.MetricsUrls.Values, url => Assert.Equal(("http", 2381, "/metrics"), (url.Scheme, url.Port, url.AbsolutePath)));
        await monitor.RunAsync(TimeSpan.FromSeconds(2), _ => ValueTask.CompletedTask);

        var result = monitor.GetResult();
        Assert.Empty(result.Failures);
        Assert.Equal(["cp-0", "cp-1", "cp-2"], result.Members.Select(m => m.Member).Order(StringComparer.Ordinal));
        Assert.All(result.Members, m =>
        {
            Assert.EndsWith(":2381/metrics", m.MetricsUrl, StringComparison.Ordinal);
            Assert.Equal("3.4.23", m.Version);
            Assert.True(m.Scrapes >= 3);
            Assert.Equal(2L << 30, m.QuotaBytes);
        });
        for (var i = 0; i < 3; i++)
            Assert.Contains(deployment.Server.Requests, r => r.Contains($"/pods/{deployment.PodName(i)}/portforward?ports=2381", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BitnamiTakesTheRootPasswordFromTheReleasesSecretOrTheCredentialGiven()
    {
        await using var deployment = await FakeEtcdDeployment.StartAsync(EtcdPodFlavor.Bitnami);
        using (var connection = await EtcdKubernetesClient.Create(deployment.Target()).ConnectAsync())
        {
            Assert.Equal("root", connection.Settings.Username);
            using var cluster = new EtcdCluster(connection.Settings);
            await cluster.InvokeAsync((c, token) => c.PutAsync("/bitnami/key", "value", cancellationToken: token));
            var members = await cluster.GetMembersAsync();
            Assert.Equal(3, members.Members.Count);
            Assert.All(members.Members, m => Assert.StartsWith($"http://{m.Name}.etcd-headless.databases.svc.cluster.local:2379", m.ClientURLs[0], StringComparison.Ordinal));
        }

        var forbidden = await Assert.ThrowsAsync<KubernetesException>(() => EtcdKubernetesClient.Create(deployment.Target(limited: true)).ConnectAsync());
        Assert.Equal(KubernetesErrorKind.Forbidden, forbidden.Kind);
        Assert.Contains("Secret databases/etcd (key etcd-root-password)", forbidden.Message, StringComparison.Ordinal);
        Assert.Contains("-Credential", forbidden.Message, StringComparison.Ordinal);

        using (var wrong = await EtcdKubernetesClient.Create(deployment.Target()).ConnectAsync(new KubernetesCredentialOptions { Username = "root", Password = "wrong" }))
        {
            using var client = new EtcdClient(wrong.Settings);
            var refused = await Assert.ThrowsAsync<EtcdException>(() => client.GetAsync("/bitnami/key"));
            Assert.Equal(EtcdErrorKind.AuthenticationFailed, refused.Kind);
        }
    }
}
