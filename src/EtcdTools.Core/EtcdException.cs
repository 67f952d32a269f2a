using EtcdTools.Protocol;

namespace EtcdTools;

/// <summary>What went wrong, in the terms an operator acts on; the module maps each to one ErrorId.</summary>
public enum EtcdErrorKind
{
    /// <summary>etcd answered with an error not covered below.</summary>
    ServerError,
    /// <summary>Nothing listens, the host does not resolve, or the member has no leader.</summary>
    Unavailable,
    /// <summary>The call or the connection did not finish within its timeout (a hung member).</summary>
    Timeout,
    /// <summary>The server's certificate is not trusted, expired or for another name.</summary>
    ServerCertificate,
    /// <summary>The server wants a client certificate and none was given.</summary>
    ClientCertificateRequired,
    /// <summary>The server refused the client certificate (unknown CA, expired).</summary>
    ClientCertificateRejected,
    /// <summary>The TLS settings themselves are unusable (a file missing, a key that does not match).</summary>
    TlsConfiguration,
    /// <summary>Wrong user or password, or authentication needed and not given.</summary>
    AuthenticationFailed,
    PermissionDenied,
    InvalidArgument,
    /// <summary>The revision asked for was compacted away.</summary>
    Compacted,
    /// <summary>The cluster raised NOSPACE: writes are refused until space is reclaimed and the alarm disarmed.</summary>
    NoSpace,
    /// <summary>The peer is not speaking gRPC over HTTP/2 (wrong port, a proxy, plain HTTP/1).</summary>
    Protocol,
    /// <summary>Data did not check out (snapshot hash mismatch).</summary>
    DataLoss,
    /// <summary>No member has the ID or name asked for.</summary>
    MemberNotFound,
}

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
    }

    public EtcdErrorKind Kind { get; }
    public GrpcStatusCode StatusCode { get; }

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

    /// <summary>Builds the exception for a grpc-status other than OK, classifying etcd's well-known errors.</summary>
    public static EtcdException FromStatus(GrpcStatusCode code, string? etcdMessage, Uri? endpoint, string? method)
    {
        var text = etcdMessage ?? "";
        var kind = code switch
        {
            _ when text.Contains("authentication failed", StringComparison.Ordinal) => EtcdErrorKind.AuthenticationFailed,
            _ when text.Contains("invalid auth token", StringComparison.Ordinal) => EtcdErrorKind.AuthenticationFailed,
            _ when text.Contains("user name is empty", StringComparison.Ordinal) => EtcdErrorKind.AuthenticationFailed,
            _ when text.Contains("required revision has been compacted", StringComparison.Ordinal) => EtcdErrorKind.Compacted,
            _ when text.Contains("database space exceeded", StringComparison.Ordinal) => EtcdErrorKind.NoSpace,
            GrpcStatusCode.Unauthenticated => EtcdErrorKind.AuthenticationFailed,
            GrpcStatusCode.PermissionDenied => EtcdErrorKind.PermissionDenied,
            GrpcStatusCode.InvalidArgument or GrpcStatusCode.OutOfRange or GrpcStatusCode.FailedPrecondition => EtcdErrorKind.InvalidArgument,
            GrpcStatusCode.DeadlineExceeded => EtcdErrorKind.Timeout,
            GrpcStatusCode.Unavailable => EtcdErrorKind.Unavailable,
            GrpcStatusCode.DataLoss => EtcdErrorKind.DataLoss,
            _ => EtcdErrorKind.ServerError,
        };
        var where = endpoint is null ? "" : $" at {endpoint.GetLeftPart(UriPartial.Authority)}";
        var what = method is null ? "" : $" ({method})";
        var message = string.IsNullOrEmpty(text) ? $"etcd{where} failed{what} with status {code}." : $"etcd{where}{what}: {text}";
        return new EtcdException(kind, code, message, etcdMessage, endpoint, method);
    }
}
