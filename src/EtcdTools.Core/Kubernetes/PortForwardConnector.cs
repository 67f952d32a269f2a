using System.Collections.Concurrent;
using EtcdTools.Protocol;

namespace EtcdTools.Kubernetes;

/// <summary>
/// Reaches etcd members through port-forwards over the API server's WebSocket: each member URL (its
/// client URL and its metrics URL) maps to a pod and a port, and every connection the transport
/// opens is a new port-forward to it. No local port is involved.
/// </summary>
internal sealed class PortForwardConnector : IEndpointConnector
{
    private readonly KubernetesApi _api;
    private readonly ConcurrentDictionary<string, PortForwardRoute> _routes = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> _podUids = new(StringComparer.Ordinal);

    public PortForwardConnector(KubernetesApi api) => _api = api;

    /// <summary>The connection these routes belong to, so settings carrying this connector lead back to its pods.</summary>
    public EtcdKubernetesConnection? Owner { get; set; }

    /// <summary>Routes <paramref name="url"/>'s host and port to a port of <paramref name="pod"/>.</summary>
    public void AddRoute(Uri url, EtcdPod pod, int port)
    {
        _routes[Key(url)] = new PortForwardRoute(pod.Namespace, pod.Name, pod.MemberName, port);
        _podUids[$"{pod.Namespace}/{pod.Name}"] = pod.Uid;
    }

    public bool HasRoute(Uri url) => _routes.ContainsKey(Key(url));

    public IReadOnlyCollection<string> RoutedEndpoints => _routes.Keys.ToList();

    internal PortForwardRoute? FindRoute(Uri url) => _routes.TryGetValue(Key(url), out var route) ? route : null;

    private static string Key(Uri url) => $"{url.IdnHost}:{url.Port}";

    public async ValueTask<Stream> ConnectAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        var route = FindRoute(endpoint) ?? throw new EndpointConnectionException(EtcdErrorKind.Unavailable,
            $"No etcd pod of this Kubernetes connection serves {endpoint.GetLeftPart(UriPartial.Authority)}: the pods serve {string.Join(", ", _routes.Keys.Order(StringComparer.Ordinal))}. Is it a member outside Kubernetes, or a pod added since? Connect again.");
        return await OpenAsync(route, cancellationToken).ConfigureAwait(false);
    }

    internal async Task<Stream> OpenAsync(PortForwardRoute route, CancellationToken cancellationToken)
    {
        try
        {
            var socket = await _api.OpenPortForwardAsync(route.Namespace, route.Pod, route.Port, cancellationToken).ConfigureAwait(false);
            return new PortForwardStream(socket, route, token => ExplainEndAsync(route, token));
        }
        catch (KubernetesException e)
        {
            var kind = e.Kind switch
            {
                KubernetesErrorKind.Forbidden => EtcdErrorKind.PermissionDenied,
                KubernetesErrorKind.Unauthorized => EtcdErrorKind.AuthenticationFailed,
                KubernetesErrorKind.Unreachable when e.InnerException is OperationCanceledException => EtcdErrorKind.Timeout,
                _ => EtcdErrorKind.Unavailable,
            };
            if (kind == EtcdErrorKind.Timeout && cancellationToken.IsCancellationRequested) throw DialTimedOut(route, e);
            throw new EndpointConnectionException(kind, $"Member {route.MemberName} ({route}): {e.Message}", e);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            throw DialTimedOut(route, e);
        }
    }

    /// <summary>
    /// The dial timeout cancelled the port-forward while it opened. (A cancellation by the caller
    /// comes through the same token; the transport tells it apart and reports it as such.)
    /// </summary>
    private static EndpointConnectionException DialTimedOut(PortForwardRoute route, Exception e) => new(EtcdErrorKind.Timeout,
        $"Member {route.MemberName} ({route}): the port-forward through the API server did not open within the dial timeout. The API server or the pod's node is slow or unreachable; -DialTimeout gives it longer (a Kubernetes connection's default is {Duration.Format(EtcdKubernetesConnection.DefaultDialTimeout)}).", e);

    /// <summary>Why a forward ended, when the pod says so: deleted, replaced, or no longer running; null when it still runs.</summary>
    private async Task<string?> ExplainEndAsync(PortForwardRoute route, CancellationToken cancellationToken)
    {
        try
        {
            var pod = await _api.ReadPodAsync(route.Namespace, route.Pod, cancellationToken).ConfigureAwait(false);
            if (_podUids.TryGetValue($"{route.Namespace}/{route.Pod}", out var uid) && uid.Length > 0 && pod.Metadata?.Uid is { } now && now != uid)
                return $"the pod was deleted and recreated (new UID {now}); connect again";
            if (pod.Metadata?.DeletionTimestamp is not null) return "the pod is being deleted";
            if (pod.Status?.Phase is { } phase && phase != "Running") return $"the pod is {phase}";
            return null;
        }
        catch (KubernetesException e) when (e.Kind == KubernetesErrorKind.NotFound)
        {
            return "the pod was deleted";
        }
        catch (KubernetesException)
        {
            return null;
        }
    }
}
