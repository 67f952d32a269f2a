using System.Globalization;
using System.Management.Automation;
using System.Text.Json.Nodes;
using EtcdTools.FakeKubernetes;
using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Kubernetes;

/// <summary>
/// An OpenShift-flavored etcd for the cmdlets: a 3-member TLS sandbox (Start-EtcdSandbox, zap logs)
/// behind the fake API server in this test process, its pods recorded JSON bound to the members,
/// the Secret and ConfigMap holding the sandbox's client certificate and CA, and a kubeconfig
/// with an admin and a limited context.
/// </summary>
public sealed class KubernetesFixture : IAsyncLifetime, IDisposable
{
    private readonly PowerShellSession _owner = new();
    private string _directory = "";

    public FakeKubernetesApiServer Server { get; private set; } = null!;
    public PSObject Sandbox { get; private set; } = null!;
    public string Kubeconfig => Path.Combine(_directory, "kubeconfig");

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("hosted-k8s-").FullName;
        var started = _owner.Invoke("Start-EtcdSandbox -Members 3 -Tls -Name master -BaseDirectory $args[0] -ExtraArgument '--logger=zap'", _directory).ThrowOnError();
        Sandbox = Assert.Single(started.Output);
        Server = await FakeKubernetesApiServer.StartAsync();
        var members = ((System.Collections.IEnumerable)Sandbox.Get("Members")!).Cast<object>().Select(m => new PSObject(m)).ToList();
        Server.AddRecordedPods(OnThisHost(members));
        foreach (var member in members)
        {
            var client = new Uri(member.Get<string>("ClientUrl")).Port;
            var ports = new Dictionary<int, int>
            {
                [2379] = client,
                [2380] = new Uri(member.Get<string>("PeerUrl")).Port,
                [9978] = client,
                // The sandbox's members advertise their loopback URLs: the pods serve those ports too.
                [client] = client,
            };
            var exec = new Dictionary<string, string>
            {
                ["ETCDCTL_ENDPOINTS"] = member.Get<string>("ClientUrl"),
                ["ETCDCTL_CACERT"] = Sandbox.Get<string>("CaCertificatePath"),
                ["ETCDCTL_CERT"] = Sandbox.Get<string>("CertificatePath"),
                ["ETCDCTL_KEY"] = Sandbox.Get<string>("KeyPath"),
            };
            var state = member.BaseObject.GetType().GetProperty("State")!;
            var instance = member.BaseObject;
            Server.BindPod("openshift-etcd", "etcd-" + member.Get<string>("Name"),
                new FakePodBinding(member.Get<string>("LogPath"), ports, exec, () => state.GetValue(instance)!.ToString() == "Running"));
        }
        Server.AddSecret("openshift-etcd", "etcd-client", new Dictionary<string, string>
        {
            ["tls.crt"] = await File.ReadAllTextAsync(Sandbox.Get<string>("CertificatePath")),
            ["tls.key"] = await File.ReadAllTextAsync(Sandbox.Get<string>("KeyPath")),
        }, "kubernetes.io/tls");
        Server.AddConfigMap("openshift-etcd", "etcd-ca-bundle", new Dictionary<string, string> { ["ca-bundle.crt"] = await File.ReadAllTextAsync(Sandbox.Get<string>("CaCertificatePath")) });
        Server.WriteKubeconfig(Kubeconfig);
        Server.Deny(FakeKubernetesApiServer.LimitedUser, "get", "secrets");
        Server.Deny(FakeKubernetesApiServer.LimitedUser, "create", "pods/portforward");
    }

    /// <summary>
    /// The recorded OpenShift pods as if their nodes were this host: node IP 127.0.0.1 and etcd
    /// listening on the sandbox member's client port (for the client and the metrics URL), which
    /// the member's certificate and advertised URL match. Returns the path of the rewritten PodList.
    /// </summary>
    private string OnThisHost(IReadOnlyList<PSObject> members)
    {
        var list = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Recorded", "openshift-pods.json")))!.AsObject();
        foreach (var member in members)
        {
            var port = new Uri(member.Get<string>("ClientUrl")).Port.ToString(CultureInfo.InvariantCulture);
            var pod = list["items"]!.AsArray().Single(p => p!["metadata"]!["name"]!.GetValue<string>() == "etcd-" + member.Get<string>("Name"))!.AsObject();
            pod["status"]!["podIP"] = "127.0.0.1";
            pod["status"]!["hostIP"] = "127.0.0.1";
            pod["status"]!["podIPs"] = new JsonArray(new JsonObject { ["ip"] = "127.0.0.1" });
            foreach (var container in pod["spec"]!["containers"]!.AsArray())
            {
                var command = container!["command"]?.AsArray();
                if (command is null) continue;
                for (var i = 0; i < command.Count; i++)
                    command[i] = command[i]!.GetValue<string>().Replace("0.0.0.0:2379", "0.0.0.0:" + port, StringComparison.Ordinal).Replace("0.0.0.0:9978", "0.0.0.0:" + port, StringComparison.Ordinal);
            }
        }
        var path = Path.Combine(_directory, "openshift-pods-on-this-host.json");
        File.WriteAllText(path, list.ToJsonString());
        return path;
    }

    /// <summary>A session with $kubeconfig and $sandbox set.</summary>
    public PowerShellSession NewSession()
    {
        var session = new PowerShellSession();
        session.SetVariable("kubeconfig", Kubeconfig);
        session.SetVariable("sandbox", Sandbox);
        return session;
    }

    public void Dispose() => _owner.Dispose();

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _owner.Invoke("$args[0] | Stop-EtcdSandbox -Confirm:$false", Sandbox);
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class KubernetesGroup : ICollectionFixture<KubernetesFixture>
{
    public const string Name = "fake-kubernetes";
}
