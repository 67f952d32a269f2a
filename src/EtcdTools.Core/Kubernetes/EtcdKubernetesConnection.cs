using EtcdTools.Client;

namespace EtcdTools.Kubernetes;

/// <summary>
/// An etcd cluster reached through Kubernetes: the connection settings (every member's client URL,
/// its metrics URL, the credentials, a port-forward connector) that every EtcdTools call takes, and
/// the pods behind them. Disposing closes the Kubernetes client and every local port-forward started from it.
/// </summary>
public sealed class EtcdKubernetesConnection : IDisposable
{
    /// <summary>
    /// The dial timeout of a member reached through the API server: before etcd's own TLS handshake
    /// comes a TLS handshake with the API server and a WebSocket upgrade that the API server relays to
    /// the kubelet, which takes longer than etcdctl's 2 s budget for a direct TCP connect allows.
    /// </summary>
    public static readonly TimeSpan DefaultDialTimeout = TimeSpan.FromSeconds(10);

    private readonly EtcdKubernetesClient _client;
    private readonly PortForwardConnector _connector;
    private readonly List<EtcdLocalPortForward> _localForwards = [];

    private EtcdKubernetesConnection(EtcdKubernetesClient client, PortForwardConnector connector, IReadOnlyList<EtcdPod> pods, EtcdConnectionSettings settings)
    {
        _client = client;
        _connector = connector;
        Pods = pods;
        Settings = settings;
    }

    /// <summary>The settings to hand to <see cref="EtcdCluster"/> and every other client: the connector is in them.</summary>
    public EtcdConnectionSettings Settings { get; }

    public IReadOnlyList<EtcdPod> Pods { get; }

    public EtcdKubernetesClient Kubernetes => _client;

    /// <summary>
    /// The Kubernetes connection behind <paramref name="settings"/>, whether they came from the
    /// session or from a -Connection object; null for a cluster reached directly.
    /// </summary>
    public static EtcdKubernetesConnection? Of(EtcdConnectionSettings settings) =>
        settings.Connector is PortForwardConnector { Owner: { } owner } ? owner : null;

    internal static async Task<EtcdKubernetesConnection> OpenAsync(EtcdKubernetesClient client, IReadOnlyList<EtcdPod> pods, KubernetesCredentialOptions credentials,
        EtcdConnectionSettings baseSettings, CancellationToken cancellationToken)
    {
        var connector = new PortForwardConnector(client.Api);
        var metrics = new Dictionary<string, Uri>(StringComparer.OrdinalIgnoreCase);
        var endpoints = new List<string>();
        foreach (var pod in pods)
        {
            if (Uri.TryCreate(pod.ClientUrl, UriKind.Absolute, out var clientUrl))
            {
                connector.AddRoute(clientUrl, pod, clientUrl.Port);
                endpoints.Add(clientUrl.GetLeftPart(UriPartial.Authority));
            }
            if (Uri.TryCreate(pod.MetricsUrl, UriKind.Absolute, out var metricsUrl))
            {
                connector.AddRoute(metricsUrl, pod, metricsUrl.Port);
                metrics[pod.MemberName] = metricsUrl;
            }
        }
        if (endpoints.Count == 0)
            throw new KubernetesException(KubernetesErrorKind.NoEtcdPods, $"None of the etcd pods ({string.Join(", ", pods.Select(p => p.Name))}) tells its client URL: is it scheduled and has it an IP?");

        var settings = baseSettings with
        {
            Endpoints = endpoints,
            Connector = connector,
            MetricsUrls = metrics,
        };
        settings = await EtcdPodCredentials.ApplyAsync(client.Api, pods[0], credentials, settings, cancellationToken).ConfigureAwait(false);
        var connection = new EtcdKubernetesConnection(client, connector, pods, settings);
        connector.Owner = connection;
        await connection.RouteAdvertisedUrlsAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <summary>
    /// Members may advertise client URLs the pod spec does not spell out (a second URL, a service
    /// name): route each member's URLs to the pod of the same member name. Failures are left to the
    /// calls that follow, which report them per member.
    /// </summary>
    private async Task RouteAdvertisedUrlsAsync(CancellationToken cancellationToken)
    {
        using var cluster = new EtcdCluster(Settings);
        Protocol.Etcdserverpb.MemberListResponse members;
        try
        {
            members = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (EtcdException)
        {
            return;
        }
        foreach (var member in members.Members)
        {
            var pod = Pods.FirstOrDefault(p => string.Equals(p.MemberName, member.Name, StringComparison.Ordinal));
            if (pod is null) continue;
            foreach (var url in member.ClientURLs)
            {
                if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && !_connector.HasRoute(uri))
                    _connector.AddRoute(uri, pod, uri.Port);
            }
        }
    }

    /// <summary>
    /// A local TCP port per member (on 127.0.0.1), each forwarded to the member's client port, for
    /// tools such as etcdctl. <paramref name="localPorts"/> gives the ports in pod order; 0 or none picks free ones.
    /// </summary>
    public IReadOnlyList<EtcdLocalPortForward> StartLocalPortForwards(IReadOnlyList<int>? localPorts = null, IEnumerable<string>? memberNames = null)
    {
        var wanted = memberNames?.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var started = new List<EtcdLocalPortForward>();
        var index = 0;
        try
        {
            foreach (var pod in Pods)
            {
                if (wanted is not null && !wanted.Contains(pod.MemberName) && !wanted.Contains(pod.Name)) continue;
                if (!Uri.TryCreate(pod.ClientUrl, UriKind.Absolute, out var url) || _connector.FindRoute(url) is not { } route) continue;
                var port = localPorts is not null && index < localPorts.Count ? localPorts[index] : 0;
                index++;
                started.Add(EtcdLocalPortForward.Start(_connector, route, url.Scheme, port));
            }
        }
        catch
        {
            foreach (var forward in started) forward.Dispose();
            throw;
        }
        lock (_localForwards) _localForwards.AddRange(started);
        return started;
    }

    /// <summary>
    /// Stops the local TCP port-forwards. The member connections stay usable: an EtcdConnection made
    /// through this connection (-PassThru) keeps reaching the members after the session moves on.
    /// </summary>
    public void StopLocalPortForwards()
    {
        List<EtcdLocalPortForward> forwards;
        lock (_localForwards)
        {
            forwards = [.. _localForwards];
            _localForwards.Clear();
        }
        foreach (var forward in forwards) forward.Dispose();
    }

    public void Dispose()
    {
        StopLocalPortForwards();
        _client.Dispose();
    }
}
