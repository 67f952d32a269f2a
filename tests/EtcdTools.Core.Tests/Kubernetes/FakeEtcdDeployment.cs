using EtcdTools.Client;
using EtcdTools.FakeKubernetes;
using EtcdTools.Kubernetes;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Kubernetes;

/// <summary>How to start the etcd behind a <see cref="FakeEtcdDeployment"/>: faults that need flags at start.</summary>
public sealed record FakeEtcdOptions
{
    public long? QuotaBackendBytes { get; init; }
    public TimeSpan? HeartbeatInterval { get; init; }
    public TimeSpan? ElectionTimeout { get; init; }
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}

/// <summary>
/// One flavor's etcd as a cluster would show it: a real 3-member sandbox (zap JSON logs, members
/// advertising the node or pod addresses of the recorded pods, which nothing on this machine
/// listens on), the recorded pods bound to its members, the flavor's Secrets and ConfigMaps, a
/// kubeconfig, and a limited user who may neither read Secrets nor port-forward nor exec.
/// </summary>
public sealed class FakeEtcdDeployment : IAsyncDisposable
{
    public const string BitnamiRootPassword = "bitnami-root-Pa55";

    private FakeEtcdDeployment(FakeKubernetesApiServer server, EtcdSandbox sandbox, EtcdPodFlavor flavor, string directory)
    {
        Server = server;
        Sandbox = sandbox;
        Flavor = flavor;
        Directory = directory;
    }

    public FakeKubernetesApiServer Server { get; }
    public EtcdSandbox Sandbox { get; }
    public EtcdPodFlavor Flavor { get; }

    /// <summary>Holds the kubeconfig and, for kubeadm, a control-plane host's pki/etcd directory.</summary>
    public string Directory { get; }
    public string KubeconfigPath => Path.Combine(Directory, "kubeconfig");
    public string KubeadmPkiDirectory => Path.Combine(Directory, "pki", "etcd");

    public string Namespace => Flavor switch
    {
        EtcdPodFlavor.OpenShift => "openshift-etcd",
        EtcdPodFlavor.Kubeadm => "kube-system",
        _ => "databases",
    };

    /// <summary>The pod running sandbox member <paramref name="index"/>.</summary>
    public string PodName(int index) => Flavor switch
    {
        EtcdPodFlavor.OpenShift => $"etcd-master-{index}",
        EtcdPodFlavor.Kubeadm => $"etcd-cp-{index}",
        _ => $"etcd-{index}",
    };

    /// <summary>A target for the admin context (or the limited one).</summary>
    public KubernetesTarget Target(bool limited = false) => new()
    {
        KubeconfigPath = KubeconfigPath,
        Context = limited ? "fake-limited" : "fake-admin",
        Flavor = EtcdPodFlavor.Auto,
    };

    public static async Task<FakeEtcdDeployment> StartAsync(EtcdPodFlavor flavor, FakeEtcdOptions? options = null, FakeKubernetesApiServer? server = null)
    {
        options ??= new FakeEtcdOptions();
        var (name, advertised, recorded) = flavor switch
        {
            EtcdPodFlavor.OpenShift => ("master", Enumerable.Range(0, 3).Select(i => $"https://127.0.10.{10 + i}:2379").ToArray(), "openshift-pods.json"),
            EtcdPodFlavor.Kubeadm => ("cp", Enumerable.Range(0, 3).Select(i => $"https://127.0.10.{20 + i}:2379").ToArray(), "kubeadm-pods.json"),
            EtcdPodFlavor.Bitnami => ("etcd", Enumerable.Range(0, 3).Select(i => $"http://etcd-{i}.etcd-headless.databases.svc.cluster.local:2379").ToArray(), "bitnami-pods.json"),
            _ => throw new ArgumentOutOfRangeException(nameof(flavor), flavor, "Give a concrete flavor."),
        };
        var directory = System.IO.Directory.CreateTempSubdirectory($"fake-k8s-{flavor.ToString().ToLowerInvariant()}-").FullName;
        var ownsServer = server is null;
        server ??= await FakeKubernetesApiServer.StartAsync().ConfigureAwait(false);
        EtcdSandbox? sandbox = null;
        try
        {
            sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions
            {
                Members = 3,
                Tls = flavor != EtcdPodFlavor.Bitnami,
                Name = name,
                AdvertisedClientUrls = advertised,
                QuotaBackendBytes = options.QuotaBackendBytes,
                HeartbeatInterval = options.HeartbeatInterval,
                ElectionTimeout = options.ElectionTimeout,
                ExtraArguments = ["--logger=zap", .. options.ExtraArguments],
            }).ConfigureAwait(false);
            var deployment = new FakeEtcdDeployment(server, sandbox, flavor, directory);
            server.AddRecordedPods(recorded);
            deployment.Bind();
            await deployment.AddCredentialsAsync().ConfigureAwait(false);
            server.WriteKubeconfig(deployment.KubeconfigPath, flavor == EtcdPodFlavor.Bitnami ? "databases" : null);
            server.Deny(FakeKubernetesApiServer.LimitedUser, "get", "secrets");
            server.Deny(FakeKubernetesApiServer.LimitedUser, "create", "pods/portforward");
            server.Deny(FakeKubernetesApiServer.LimitedUser, "create", "pods/exec");
            return deployment;
        }
        catch
        {
            if (sandbox is not null) await sandbox.DisposeAsync().ConfigureAwait(false);
            if (ownsServer) await server.DisposeAsync().ConfigureAwait(false);
            System.IO.Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    private static int PortOf(string url) => new Uri(url).Port;

    private void Bind()
    {
        foreach (var member in Sandbox.Members)
        {
            var client = PortOf(member.ClientUrl);
            var ports = new Dictionary<int, int> { [2379] = client, [2380] = PortOf(member.PeerUrl) };
            // OpenShift's etcd serves /metrics on 9978 with its client TLS; the sandbox's client port does the same.
            if (Flavor == EtcdPodFlavor.OpenShift) ports[9978] = client;
            // kubeadm's plain-HTTP metrics listener (http://127.0.0.1:2381), as the sandbox's metrics port is.
            if (Flavor == EtcdPodFlavor.Kubeadm) ports[2381] = PortOf(member.MetricsUrl);
            var exec = new Dictionary<string, string> { ["ETCDCTL_ENDPOINTS"] = member.ClientUrl, ["ETCDCTL_API"] = "3" };
            if (Sandbox.Tls)
            {
                exec["ETCDCTL_CACERT"] = Sandbox.CaCertificatePath!;
                exec["ETCDCTL_CERT"] = Sandbox.ClientCertificatePath!;
                exec["ETCDCTL_KEY"] = Sandbox.ClientKeyPath!;
            }
            if (Flavor == EtcdPodFlavor.Bitnami) exec["ETCDCTL_USER"] = $"root:{BitnamiRootPassword}";
            Server.BindPod(Namespace, PodName(member.Index), new FakePodBinding(member.LogPath, ports, exec, () => member.State == EtcdSandboxMemberState.Running));
        }
    }

    private async Task AddCredentialsAsync()
    {
        switch (Flavor)
        {
            case EtcdPodFlavor.OpenShift:
                Server.AddSecret(Namespace, "etcd-client", new Dictionary<string, string>
                {
                    ["tls.crt"] = await File.ReadAllTextAsync(Sandbox.ClientCertificatePath!).ConfigureAwait(false),
                    ["tls.key"] = await File.ReadAllTextAsync(Sandbox.ClientKeyPath!).ConfigureAwait(false),
                }, "kubernetes.io/tls");
                Server.AddConfigMap(Namespace, "etcd-ca-bundle", new Dictionary<string, string>
                {
                    ["ca-bundle.crt"] = await File.ReadAllTextAsync(Sandbox.CaCertificatePath!).ConfigureAwait(false),
                });
                break;
            case EtcdPodFlavor.Kubeadm:
                System.IO.Directory.CreateDirectory(KubeadmPkiDirectory);
                File.Copy(Sandbox.CaCertificatePath!, Path.Combine(KubeadmPkiDirectory, "ca.crt"));
                File.Copy(Sandbox.ClientCertificatePath!, Path.Combine(KubeadmPkiDirectory, "healthcheck-client.crt"));
                File.Copy(Sandbox.ClientKeyPath!, Path.Combine(KubeadmPkiDirectory, "healthcheck-client.key"));
                break;
            case EtcdPodFlavor.Bitnami:
                Server.AddSecret(Namespace, "etcd", new Dictionary<string, string> { ["etcd-root-password"] = BitnamiRootPassword });
                // The chart enables authentication with a root user, as its setup script does.
                using (var client = new EtcdClient(Sandbox.ConnectionSettings))
                {
                    await client.UserAddAsync("root", BitnamiRootPassword).ConfigureAwait(false);
                    await client.RoleAddAsync("root").ConfigureAwait(false);
                    await client.UserGrantRoleAsync("root", "root").ConfigureAwait(false);
                    await client.AuthEnableAsync().ConfigureAwait(false);
                }
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync().ConfigureAwait(false);
        await Sandbox.DisposeAsync().ConfigureAwait(false);
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}
