namespace EtcdTools.Protocol;

/// <summary>
/// Thrown by an <see cref="IEndpointConnector"/> (or the stream it opened) when its route to a member
/// fails for a reason it can name: a port-forward the API server refused, a pod that was deleted.
/// The transport reports its message as the call's error, with <see cref="Kind"/>.
/// </summary>
public sealed class EndpointConnectionException : IOException
{
    public EndpointConnectionException(EtcdErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public EtcdErrorKind Kind { get; }
}
