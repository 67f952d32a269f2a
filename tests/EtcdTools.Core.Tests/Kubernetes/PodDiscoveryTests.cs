using EtcdTools.FakeKubernetes;
using EtcdTools.Kubernetes;

namespace EtcdTools.Core.Tests.Kubernetes;

/// <summary>Discovery of the three flavors from recorded pod JSON served by the fake API server, decoys included.</summary>
public sealed class PodDiscoveryTests : IAsyncLifetime
{
    private FakeKubernetesApiServer _server = null!;
    private string _directory = null!;
    private string _kubeconfig = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesApiServer.StartAsync();
        _server.AddRecordedPods("openshift-pods.json");
        _server.AddRecordedPods("kubeadm-pods.json");
        _server.AddRecordedPods("bitnami-pods.json");
        _directory = Directory.CreateTempSubdirectory("discovery-").FullName;
        _kubeconfig = _server.WriteKubeconfig(Path.Combine(_directory, "kubeconfig"), "databases");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<IReadOnlyList<EtcdPod>> DiscoverAsync(EtcdPodFlavor flavor, string? ns = null, string? context = null)
    {
        using var client = EtcdKubernetesClient.Create(new KubernetesTarget { KubeconfigPath = _kubeconfig, Flavor = flavor, Namespace = ns, Context = context });
        return await client.GetPodsAsync();
    }

    [Fact]
    public async Task OpenShiftPodsAreTheEtcdStaticPodsWithoutGuardInstallerPrunerOrBackupPods()
    {
        var pods = await DiscoverAsync(EtcdPodFlavor.OpenShift);
        Assert.Equal(["etcd-master-0", "etcd-master-1", "etcd-master-2"], pods.Select(p => p.Name));
        var second = pods[1];
        Assert.Equal(EtcdPodFlavor.OpenShift, second.Flavor);
        Assert.Equal("openshift-etcd", second.Namespace);
        Assert.Equal("master-1", second.Node);
        Assert.Equal("master-1", second.MemberName);
        Assert.Equal("Running", second.Phase);
        Assert.True(second.Ready);
        Assert.Equal(1, second.Restarts);
        Assert.Equal("OOMKilled", second.LastTerminationReason);
        Assert.Equal(137, second.LastExitCode);
        Assert.Equal("https://127.0.10.11:2379", second.ClientUrl);
        Assert.Equal("https://127.0.10.11:9978", second.MetricsUrl);
        Assert.Equal("etcd", second.EtcdContainer);
        Assert.Equal("fake-admin", second.Context);
        Assert.NotNull(second.Age);
        Assert.True(second.Age > TimeSpan.Zero);
    }

    [Fact]
    public async Task KubeadmPodsTakeTheirClientUrlFromTheAnnotationAndMetricsFromPort2381()
    {
        var pods = await DiscoverAsync(EtcdPodFlavor.Kubeadm);
        Assert.Equal(["etcd-cp-0", "etcd-cp-1", "etcd-cp-2"], pods.Select(p => p.Name));
        Assert.All(pods, p => Assert.Equal("kube-system", p.Namespace));
        Assert.Equal(["cp-0", "cp-1", "cp-2"], pods.Select(p => p.MemberName));
        Assert.Equal("https://127.0.10.22:2379", pods[2].ClientUrl);
        Assert.Equal("http://127.0.10.22:2381", pods[2].MetricsUrl);
        Assert.Equal("", pods[0].LastTerminationReason);
    }

    [Fact]
    public async Task BitnamiPodsAreTheStatefulSetsPodsNamedAfterThemselvesNotTheSnapshotterOrOperator()
    {
        var pods = await DiscoverAsync(EtcdPodFlavor.Bitnami);
        Assert.Equal(["etcd-0", "etcd-1", "etcd-2"], pods.Select(p => p.Name));
        Assert.Equal(["etcd-0", "etcd-1", "etcd-2"], pods.Select(p => p.MemberName));
        Assert.Equal("databases", pods[0].Namespace); // the context's namespace
        Assert.Equal("http://etcd-1.etcd-headless.databases.svc.cluster.local:2379", pods[1].ClientUrl);
        Assert.Equal("", pods[1].MetricsUrl);
        Assert.False(pods[2].Ready);
        Assert.Equal(3, pods[2].Restarts);
        Assert.Equal("Error", pods[2].LastTerminationReason);
        Assert.Equal("worker-2", pods[2].Node);
    }

    [Fact]
    public async Task AutoFindsTheFirstFlavorWithPodsAndAsksTheApiServerWithTheFlavorsSelector()
    {
        var pods = await DiscoverAsync(EtcdPodFlavor.Auto);
        Assert.All(pods, p => Assert.Equal(EtcdPodFlavor.OpenShift, p.Flavor));
        Assert.Contains(_server.Requests, r => r.Contains("/api/v1/namespaces/openshift-etcd/pods?labelSelector=app%3Detcd%2Cetcd%3Dtrue", StringComparison.Ordinal));

        var kubeadm = await DiscoverAsync(EtcdPodFlavor.Auto, ns: "kube-system");
        Assert.All(kubeadm, p => Assert.Equal(EtcdPodFlavor.Kubeadm, p.Flavor));
        var bitnami = await DiscoverAsync(EtcdPodFlavor.Auto, ns: "databases");
        Assert.All(bitnami, p => Assert.Equal(EtcdPodFlavor.Bitnami, p.Flavor));
    }

    [Fact]
    public async Task NoPodsNamesWhereDiscoveryLooked()
    {
        var e = await Assert.ThrowsAsync<KubernetesException>(() => DiscoverAsync(EtcdPodFlavor.Auto, ns: "empty"));
        Assert.Equal(KubernetesErrorKind.NoEtcdPods, e.Kind);
        Assert.Contains("app=etcd,etcd=true in empty", e.Message, StringComparison.Ordinal);
        Assert.Contains("component=etcd,tier=control-plane in empty", e.Message, StringComparison.Ordinal);
        Assert.Contains("-Namespace", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AForbiddenPodListNamesVerbResourceAndNamespace()
    {
        _server.Deny(FakeKubernetesApiServer.LimitedUser, "list", "pods", "openshift-etcd");
        var e = await Assert.ThrowsAsync<KubernetesException>(() => DiscoverAsync(EtcdPodFlavor.OpenShift, context: "fake-limited"));
        Assert.Equal(KubernetesErrorKind.Forbidden, e.Kind);
        Assert.Equal(("list", "pods", "openshift-etcd"), (e.Verb, e.Resource, e.Namespace));
        Assert.Contains("context 'fake-limited'", e.Message, StringComparison.Ordinal);
        Assert.Contains("kubectl auth can-i list pods -n openshift-etcd", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWrongTokenIsUnauthorizedAndAMissingKubeconfigIsAConfigurationError()
    {
        var broken = Path.Combine(_directory, "broken-kubeconfig");
        File.WriteAllText(broken, File.ReadAllText(_kubeconfig).Replace(_server.TokenOf(FakeKubernetesApiServer.AdminUser), "not-a-token", StringComparison.Ordinal));
        using (var client = EtcdKubernetesClient.Create(new KubernetesTarget { KubeconfigPath = broken, Flavor = EtcdPodFlavor.OpenShift }))
        {
            var e = await Assert.ThrowsAsync<KubernetesException>(() => client.GetPodsAsync());
            Assert.Equal(KubernetesErrorKind.Unauthorized, e.Kind);
        }
        var missing = Assert.Throws<KubernetesException>(() => EtcdKubernetesClient.Create(new KubernetesTarget { KubeconfigPath = Path.Combine(_directory, "nope") }));
        Assert.Equal(KubernetesErrorKind.Configuration, missing.Kind);
        var context = Assert.Throws<KubernetesException>(() => EtcdKubernetesClient.Create(new KubernetesTarget { KubeconfigPath = _kubeconfig, Context = "no-such-context" }));
        Assert.Equal(KubernetesErrorKind.Configuration, context.Kind);
        Assert.Contains("no-such-context", context.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KubectlSeesTheSamePodsAsTheDiscovery()
    {
        var result = await Kubectl.RunAsync(_kubeconfig, "get", "pods", "-n", "openshift-etcd", "-l", "app=etcd,etcd=true", "-o", "jsonpath={.items[*].metadata.name}");
        Assert.True(result.ExitCode == 0, result.ToString());
        var pods = await DiscoverAsync(EtcdPodFlavor.OpenShift);
        // kubectl also lists the backup job's pod, which carries the labels but runs no etcd member.
        Assert.Equal(["etcd-backup-29123456-x7k2p", "etcd-master-0", "etcd-master-1", "etcd-master-2"], result.StandardOutput.Split(' ').Order(StringComparer.Ordinal));
        Assert.Equal(3, pods.Count);
    }
}
