namespace EtcdTools;

/// <summary>What went wrong, in the terms an operator acts on; the module maps each to one ErrorId.</summary>
public enum EtcdErrorKind
{
    /// <summary>etcd answered with an error not covered below.</summary>
    ServerError,
    /// <summary>Nothing listens, the host does not resolve, the member has no leader or is overloaded.</summary>
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
    /// <summary>Data did not check out (snapshot hash mismatch, a CORRUPT cluster).</summary>
    DataLoss,
    /// <summary>No member has the ID or name asked for.</summary>
    MemberNotFound,
    /// <summary>A lease, user or role that does not exist.</summary>
    NotFound,
    /// <summary>A member, peer URL, lease, user or role that exists already.</summary>
    AlreadyExists,
    /// <summary>The cluster's state does not allow it now (not enough started members, a learner not in sync, not the leader).</summary>
    FailedPrecondition,
    /// <summary>The endpoints answered as another cluster than the one expected (a piped object, -ClusterId, a stale connection).</summary>
    ClusterMismatch,
}
