using EtcdTools.Protocol;

namespace EtcdTools;

/// <summary>
/// The one exception type for failed etcd calls: the gRPC status, etcd's own text
/// (e.g. "etcdserver: mvcc: required revision has been compacted"), where and what was called.
/// </summary>
public sealed class EtcdException : Exception
{
    public EtcdException(EtcdErrorKind kind, GrpcStatusCode statusCode, string message, string? etcdMessage = null,
        Uri? endpoint = null, string? method = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        EtcdMessage = etcdMessage;
        Endpoint = endpoint;
        Method = method;
        ServerError = EtcdErrorTable.Classify(statusCode, etcdMessage).Error;
    }

    public EtcdErrorKind Kind { get; }
    public GrpcStatusCode StatusCode { get; }

    /// <summary>The error etcd named (from <see cref="EtcdMessage"/>), or <see cref="EtcdServerError.None"/>.</summary>
    public EtcdServerError ServerError { get; }

    /// <summary>etcd's text from grpc-message, percent-decoded; null when the failure was local.</summary>
    public string? EtcdMessage { get; }
    public Uri? Endpoint { get; }

    /// <summary>The RPC, e.g. "KV.Range".</summary>
    public string? Method { get; }

    /// <summary>True for failures another member might not have: worth trying the next endpoint.</summary>
    public bool IsFailoverCandidate => Kind is EtcdErrorKind.Unavailable or EtcdErrorKind.Timeout;

    /// <summary>
    /// One exception for a call that failed on every endpoint: the single failure as it is, else the
    /// kind they share, or the first kind that is not about reachability (a TLS or authentication
    /// problem is what to fix first), with every endpoint's message.
    /// </summary>
    public static EtcdException Combine(IReadOnlyList<EtcdException> failures)
    {
        if (failures.Count == 1) return failures[0];
        if (failures.Count == 0)
            return new EtcdException(EtcdErrorKind.Unavailable, GrpcStatusCode.Unavailable, "No etcd endpoint was tried.");
        var kinds = failures.Select(f => f.Kind).Distinct().ToList();
        var kind = kinds.Count == 1 ? kinds[0] : failures.FirstOrDefault(f => !f.IsFailoverCandidate)?.Kind ?? EtcdErrorKind.Unavailable;
        var code = failures.First(f => f.Kind == kind).StatusCode;
        return new EtcdException(kind, code, $"No etcd endpoint answered: {string.Join(" ", failures.Select(f => f.Message))}",
            innerException: new AggregateException(failures));
    }

    /// <summary>Builds the exception for a grpc-status other than OK, classified by <see cref="EtcdErrorTable"/>.</summary>
    public static EtcdException FromStatus(GrpcStatusCode code, string? etcdMessage, Uri? endpoint, string? method)
    {
        var text = etcdMessage ?? "";
        var kind = EtcdErrorTable.Classify(code, etcdMessage).Kind;
        var where = endpoint is null ? "" : $" at {endpoint.GetLeftPart(UriPartial.Authority)}";
        var what = method is null ? "" : $" ({method})";
        var message = string.IsNullOrEmpty(text) ? $"etcd{where} failed{what} with status {code}." : $"etcd{where}{what}: {text}";
        return new EtcdException(kind, code, message, etcdMessage, endpoint, method);
    }
}
