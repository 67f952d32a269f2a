namespace EtcdTools.Protocol;

/// <summary>
/// Opens the byte stream that a member's connections (gRPC over HTTP/2, /metrics) run over. Without
/// one, the transport dials the endpoint's host and port over TCP; a connector can reach a member
/// another way instead (a Kubernetes port-forward through the API server) while the endpoint stays
/// the member's own client URL, so TLS names, errors and member addressing are unchanged.
/// </summary>
public interface IEndpointConnector
{
    /// <summary>A connected stream to <paramref name="endpoint"/>; throws as a socket connect would when it cannot be reached.</summary>
    ValueTask<Stream> ConnectAsync(Uri endpoint, CancellationToken cancellationToken);
}
