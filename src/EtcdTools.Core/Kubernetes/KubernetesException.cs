namespace EtcdTools.Kubernetes;

/// <summary>What went wrong talking to Kubernetes, in the terms an operator acts on.</summary>
public enum KubernetesErrorKind
{
    /// <summary>No usable kubeconfig or context, and not running in a pod.</summary>
    Configuration,
    /// <summary>The API server could not be reached or did not answer in time.</summary>
    Unreachable,
    /// <summary>The API server did not accept the credentials (HTTP 401).</summary>
    Unauthorized,
    /// <summary>The user may not do this (HTTP 403): <see cref="KubernetesException.Verb"/> on <see cref="KubernetesException.Resource"/>.</summary>
    Forbidden,
    /// <summary>The object does not exist (HTTP 404), e.g. a deleted pod or a missing Secret.</summary>
    NotFound,
    /// <summary>No etcd pod was found by the discovery rules.</summary>
    NoEtcdPods,
    /// <summary>Anything else the API server refused.</summary>
    Failed,
}

/// <summary>
/// A failure of the Kubernetes side of a connection (discovery, logs, credentials, port-forward
/// set-up), naming the verb, resource and namespace involved, so an authorization error says which
/// permission is missing.
/// </summary>
public sealed class KubernetesException : Exception
{
    public KubernetesException(KubernetesErrorKind kind, string message, string? verb = null, string? resource = null,
        string? @namespace = null, string? name = null, int? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Verb = verb;
        Resource = resource;
        Namespace = @namespace;
        Name = name;
        StatusCode = statusCode;
    }

    public KubernetesErrorKind Kind { get; }

    /// <summary>The API verb, e.g. "get", "list", "create" (port-forward and exec are "create").</summary>
    public string? Verb { get; }

    /// <summary>The resource, e.g. "pods", "secrets", "pods/portforward".</summary>
    public string? Resource { get; }
    public string? Namespace { get; }
    public string? Name { get; }

    /// <summary>The HTTP status the API server answered with, when it answered.</summary>
    public int? StatusCode { get; }
}
