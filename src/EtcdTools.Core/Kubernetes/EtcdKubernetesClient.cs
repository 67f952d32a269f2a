using System.Runtime.CompilerServices;
using EtcdTools.Client;

namespace EtcdTools.Kubernetes;

/// <summary>
/// The Kubernetes side of EtcdTools for one kubeconfig context (or the in-cluster configuration):
/// finds the etcd pods, reads their logs, and connects to the members through the API server.
/// </summary>
public sealed class EtcdKubernetesClient : IDisposable
{
    private readonly KubernetesApi _api;
    private int _disposed;

    private EtcdKubernetesClient(KubernetesApi api, KubernetesTarget target)
    {
        _api = api;
        Target = target;
    }

    /// <summary>Builds the client from the kubeconfig (or in-cluster configuration); throws <see cref="KubernetesException"/> (Configuration).</summary>
    public static EtcdKubernetesClient Create(KubernetesTarget target) => new(KubernetesApi.Connect(target), target);

    /// <summary>As <see cref="Create(KubernetesTarget)"/> with the environment given (tests: KUBECONFIG, HOME, KUBERNETES_SERVICE_*).</summary>
    internal static EtcdKubernetesClient Create(KubernetesTarget target, IDictionary<string, string?> environment) => new(KubernetesApi.Connect(target, environment), target);

    public KubernetesTarget Target { get; }

    /// <summary>The API server's URL.</summary>
    public string Server => _api.Server;

    /// <summary>The context used; null for the in-cluster configuration.</summary>
    public string? Context => _api.ContextName;

    /// <summary>"in-cluster" or the kubeconfig's path.</summary>
    public string ConfigurationSource => _api.Source;

    internal KubernetesApi Api => _api;

    /// <summary>The etcd pods by the target's flavor rules, sorted by name.</summary>
    public Task<IReadOnlyList<EtcdPod>> GetPodsAsync(CancellationToken cancellationToken = default) =>
        EtcdPodDiscovery.DiscoverAsync(_api, Target, DateTimeOffset.UtcNow, cancellationToken);

    /// <summary>
    /// The lines of a pod's etcd container log, parsed and classified, in log order; only known
    /// categories unless <see cref="EtcdLogQuery.IncludeOther"/>.
    /// </summary>
    public async IAsyncEnumerable<EtcdLogEntry> ReadLogAsync(EtcdPod pod, EtcdLogQuery? query = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        query ??= new EtcdLogQuery();
        if (query.Tail is < 0) throw new ArgumentOutOfRangeException(nameof(query), query.Tail, "Tail must not be negative.");
        if (query.Since is { } s && s <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(query), s, "Since must be positive.");
        int? sinceSeconds = query.Since is { } since ? (int)Math.Min(int.MaxValue, Math.Ceiling(since.TotalSeconds)) : null;
        var stream = await _api.ReadLogAsync(pod.Namespace, pod.Name, pod.EtcdContainer, sinceSeconds, query.Tail, query.Previous, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (EtcdLogParser.Parse(line, pod) is not { } entry) continue;
                if (entry.Category == EtcdLogCategory.Other && !query.IncludeOther) continue;
                yield return entry;
            }
        }
    }

    /// <summary>
    /// Connects to the etcd of the discovered pods: credentials from the flavor's Secret and
    /// ConfigMap (or <paramref name="credentials"/>), every member reached through a port-forward of
    /// the API server, and the member list checked. <paramref name="baseSettings"/> supplies timeouts
    /// (without it, a dial timeout of <see cref="EtcdKubernetesConnection.DefaultDialTimeout"/>).
    /// </summary>
    public async Task<EtcdKubernetesConnection> ConnectAsync(KubernetesCredentialOptions? credentials = null, EtcdConnectionSettings? baseSettings = null,
        CancellationToken cancellationToken = default)
    {
        var pods = await GetPodsAsync(cancellationToken).ConfigureAwait(false);
        return await EtcdKubernetesConnection.OpenAsync(this, pods, credentials ?? new KubernetesCredentialOptions(), baseSettings ?? new EtcdConnectionSettings { DialTimeout = EtcdKubernetesConnection.DefaultDialTimeout }, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _api.Dispose();
    }
}
