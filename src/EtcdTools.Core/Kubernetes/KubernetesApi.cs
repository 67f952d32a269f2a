using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace EtcdTools.Kubernetes;

/// <summary>
/// The few API calls EtcdTools makes, on KubernetesClient, with every failure turned into a
/// <see cref="KubernetesException"/> that names the verb, resource and namespace. Internal: no
/// Kubernetes type leaves EtcdTools.Core.
/// </summary>
internal sealed partial class KubernetesApi : IDisposable
{
    private readonly k8s.Kubernetes _client;

    private KubernetesApi(KubernetesClientConfiguration configuration, string source, string? contextName, TimeSpan requestTimeout)
    {
        _client = new k8s.Kubernetes(configuration);
        Server = configuration.Host;
        Source = source;
        ContextName = contextName;
        DefaultNamespace = string.IsNullOrEmpty(configuration.Namespace) ? null : configuration.Namespace;
        RequestTimeout = requestTimeout;
    }

    /// <summary>The API server's URL.</summary>
    public string Server { get; }

    /// <summary>Where the configuration came from: a kubeconfig path, or "in-cluster".</summary>
    public string Source { get; }
    public string? ContextName { get; }

    /// <summary>The context's namespace (or the pod's own, in cluster); null when it names none.</summary>
    public string? DefaultNamespace { get; }
    public TimeSpan RequestTimeout { get; }

    /// <summary>
    /// The client for <paramref name="target"/>: its kubeconfig (or $KUBECONFIG, or ~/.kube/config)
    /// and context; inside a pod with no kubeconfig at all, the pod's service account.
    /// </summary>
    public static KubernetesApi Connect(KubernetesTarget target, IDictionary<string, string?>? environment = null)
    {
        string? Get(string name) => environment is null ? Environment.GetEnvironmentVariable(name) : environment.TryGetValue(name, out var v) ? v : null;
        var kubeconfig = target.KubeconfigPath;
        if (kubeconfig is null)
        {
            var fromEnvironment = Get("KUBECONFIG");
            if (!string.IsNullOrWhiteSpace(fromEnvironment))
                kubeconfig = fromEnvironment.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists);
            var home = Get("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var defaultPath = Path.Combine(home, ".kube", "config");
            if (kubeconfig is null && File.Exists(defaultPath)) kubeconfig = defaultPath;
        }
        if (kubeconfig is null)
        {
            if (Get("KUBERNETES_SERVICE_HOST") is { Length: > 0 } && Get("KUBERNETES_SERVICE_PORT") is { Length: > 0 })
            {
                if (target.Context is not null)
                    throw new KubernetesException(KubernetesErrorKind.Configuration,
                        $"The context '{target.Context}' was asked for, but there is no kubeconfig: inside a pod the service account's in-cluster configuration has no contexts.");
                try
                {
                    return new KubernetesApi(KubernetesClientConfiguration.InClusterConfig(), "in-cluster", null, target.RequestTimeout);
                }
                catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException or UnauthorizedAccessException)
                {
                    throw new KubernetesException(KubernetesErrorKind.Configuration,
                        $"Running inside a pod, but its service account cannot be used: {e.Message}", innerException: e);
                }
            }
            throw new KubernetesException(KubernetesErrorKind.Configuration,
                "No kubeconfig was found ($KUBECONFIG, ~/.kube/config) and this is not a pod: pass -Kubeconfig, or log in with 'kubectl config' / 'oc login' first.");
        }
        if (!File.Exists(kubeconfig))
            throw new KubernetesException(KubernetesErrorKind.Configuration, $"The kubeconfig file '{kubeconfig}' does not exist.");
        try
        {
            var configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig, target.Context);
            var context = target.Context ?? KubernetesClientConfiguration.LoadKubeConfig(kubeconfig).CurrentContext;
            return new KubernetesApi(configuration, kubeconfig, context, target.RequestTimeout);
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException or YamlDotNet.Core.YamlException or ArgumentException or UnauthorizedAccessException)
        {
            var what = target.Context is null ? "" : $" (context '{target.Context}')";
            throw new KubernetesException(KubernetesErrorKind.Configuration, $"The kubeconfig '{kubeconfig}'{what} cannot be used: {e.Message}", innerException: e);
        }
    }

    /// <summary>Who is asking, for messages: the context, else the configuration source.</summary>
    public string Identity => ContextName is null ? $"the {Source} configuration" : $"context '{ContextName}'";

    public Task<IList<V1Pod>> ListPodsAsync(string @namespace, string selector, CancellationToken cancellationToken) =>
        CallAsync("list", "pods", @namespace, null, async token => (IList<V1Pod>)(await _client.CoreV1.ListNamespacedPodAsync(@namespace, labelSelector: selector, cancellationToken: token).ConfigureAwait(false)).Items, cancellationToken);

    public Task<V1Pod> ReadPodAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        CallAsync("get", "pods", @namespace, name, token => _client.CoreV1.ReadNamespacedPodAsync(name, @namespace, cancellationToken: token), cancellationToken);

    public Task<V1Secret> ReadSecretAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        CallAsync("get", "secrets", @namespace, name, token => _client.CoreV1.ReadNamespacedSecretAsync(name, @namespace, cancellationToken: token), cancellationToken);

    public Task<V1ConfigMap> ReadConfigMapAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        CallAsync("get", "configmaps", @namespace, name, token => _client.CoreV1.ReadNamespacedConfigMapAsync(name, @namespace, cancellationToken: token), cancellationToken);

    /// <summary>A container's log as a stream (the request's timeout covers only its start).</summary>
    public Task<Stream> ReadLogAsync(string @namespace, string pod, string container, int? sinceSeconds, int? tailLines, bool previous, CancellationToken cancellationToken) =>
        CallAsync("get", "pods/log", @namespace, pod, token => _client.CoreV1.ReadNamespacedPodLogAsync(pod, @namespace, container: container,
            previous: previous ? true : null, sinceSeconds: sinceSeconds, tailLines: tailLines, cancellationToken: token), cancellationToken);

    /// <summary>
    /// Opens a port-forward WebSocket (v4.channel.k8s.io) to one port of a pod. A refusal of the
    /// upgrade arrives from KubernetesClient as a bare <see cref="WebSocketException"/>: its status is
    /// read from it and the failure named (403: the missing permission; 404: the pod is gone).
    /// </summary>
    public async Task<WebSocket> OpenPortForwardAsync(string @namespace, string pod, int port, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(RequestTimeout);
        try
        {
            return await _client.WebSocketNamespacedPodPortForwardAsync(pod, @namespace, [port], "v4.channel.k8s.io", cancellationToken: limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KubernetesException(KubernetesErrorKind.Unreachable,
                $"The API server at {Server} did not open the port-forward to pod {@namespace}/{pod} port {port} within {Duration.Format(RequestTimeout)}.",
                "create", "pods/portforward", @namespace, pod, innerException: e);
        }
        catch (WebSocketException e)
        {
            var status = UpgradeStatus(e);
            throw status switch
            {
                403 => Forbidden("create", "pods/portforward", @namespace, pod, null, e),
                401 => Unauthorized(e),
                404 => new KubernetesException(KubernetesErrorKind.NotFound,
                    $"The pod {@namespace}/{pod} no longer exists (deleted or replaced): the port-forward to port {port} cannot be opened. Connect again to find the current pods.",
                    "create", "pods/portforward", @namespace, pod, 404, e),
                _ => new KubernetesException(status is null ? KubernetesErrorKind.Unreachable : KubernetesErrorKind.Failed,
                    $"The API server at {Server} did not open the port-forward to pod {@namespace}/{pod} port {port}: {e.Message}",
                    "create", "pods/portforward", @namespace, pod, status, e),
            };
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
    }

    /// <summary>The HTTP status of a refused WebSocket upgrade, from .NET's message "returned status code '403'".</summary>
    private static int? UpgradeStatus(WebSocketException e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            var match = StatusCodePattern().Match(x.Message);
            if (match.Success) return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return null;
    }

    [GeneratedRegex(@"status code '(\d{3})'")]
    private static partial Regex StatusCodePattern();

    private async Task<T> CallAsync<T>(string verb, string resource, string @namespace, string? name, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(RequestTimeout);
        try
        {
            return await call(limit.Token).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            var status = (int)e.Response.StatusCode;
            var detail = StatusMessage(e.Response.Content) ?? e.Response.ReasonPhrase ?? e.Message;
            var what = name is null ? $"{resource} in namespace {@namespace}" : $"{Singular(resource)} {@namespace}/{name}";
            throw e.Response.StatusCode switch
            {
                HttpStatusCode.Forbidden => Forbidden(verb, resource, @namespace, name, detail, e),
                HttpStatusCode.Unauthorized => Unauthorized(e),
                HttpStatusCode.NotFound => new KubernetesException(KubernetesErrorKind.NotFound, $"The {what} does not exist: {detail}", verb, resource, @namespace, name, status, e),
                _ => new KubernetesException(KubernetesErrorKind.Failed, $"The API server at {Server} refused to {verb} {what} (HTTP {status}): {detail}", verb, resource, @namespace, name, status, e),
            };
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KubernetesException(KubernetesErrorKind.Unreachable,
                $"The API server at {Server} did not answer within {Duration.Format(RequestTimeout)} ({verb} {resource} in {@namespace}).", verb, resource, @namespace, name, innerException: e);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
    }

    private KubernetesException Forbidden(string verb, string resource, string @namespace, string? name, string? detail, Exception inner) =>
        new(KubernetesErrorKind.Forbidden,
            $"Kubernetes forbids {Identity} to {verb} {resource} in namespace {@namespace} (HTTP 403){(detail is null ? "" : $": {detail}")}. "
            + $"Ask for '{verb}' on '{resource}' there (kubectl auth can-i {verb} {resource} -n {@namespace}).",
            verb, resource, @namespace, name, 403, inner);

    private KubernetesException Unauthorized(Exception inner) =>
        new(KubernetesErrorKind.Unauthorized,
            $"The API server at {Server} did not accept the credentials of {Identity} (HTTP 401): they may have expired; log in again (oc login, or refresh the kubeconfig).",
            statusCode: 401, innerException: inner);

    private KubernetesException Unreachable(Exception inner) =>
        new(KubernetesErrorKind.Unreachable, $"The API server at {Server} ({Identity}) could not be reached: {Innermost(inner).Message}", innerException: inner);

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    private static string Singular(string resource) => resource switch
    {
        "pods" => "pod",
        "secrets" => "Secret",
        "configmaps" => "ConfigMap",
        _ => resource,
    };

    /// <summary>The message of a Kubernetes Status body, e.g. 'secrets "etcd-client" is forbidden: User ... cannot get ...'.</summary>
    private static string? StatusMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
                ? message.GetString()
                : null;
        }
        catch (JsonException)
        {
            return body.Length > 300 ? body[..300] : body;
        }
    }

    public void Dispose() => _client.Dispose();
}
