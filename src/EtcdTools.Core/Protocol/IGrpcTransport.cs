using Google.Protobuf;

namespace EtcdTools.Protocol;

/// <summary>
/// Per-call options. <see cref="Timeout"/> bounds the whole call (the gRPC deadline);
/// <see cref="IdleTimeout"/> bounds the wait for each message of a stream, so a long snapshot
/// may run for minutes while a hung member still fails fast.
/// </summary>
public readonly record struct GrpcCallOptions(
    TimeSpan? Timeout = null,
    TimeSpan? IdleTimeout = null,
    IReadOnlyDictionary<string, string>? Headers = null,
    CancellationToken CancellationToken = default);

/// <summary>A call where both sides stream (Watch, LeaseKeepAlive).</summary>
public interface IDuplexStreamingCall<in TRequest, TResponse> : IAsyncDisposable
{
    ValueTask WriteAsync(TRequest message, CancellationToken cancellationToken = default);

    /// <summary>Half-closes the request side; responses keep coming until the server ends the call.</summary>
    void CompleteRequests();

    /// <summary>The responses, until the server ends the call (an <see cref="EtcdException"/> if with an error).</summary>
    IAsyncEnumerable<TResponse> ReadResponsesAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// gRPC calls to one endpoint. The one implementation, <see cref="Http2GrpcTransport"/>, speaks
/// gRPC's HTTP/2 framing itself; a Grpc.Net.Client-based one could replace it behind this interface.
/// Failures surface as <see cref="EtcdException"/>; the caller's cancellation as OperationCanceledException.
/// </summary>
public interface IGrpcTransport : IDisposable
{
    Uri Endpoint { get; }

    Task<TResponse> UnaryCallAsync<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, TRequest request, GrpcCallOptions options)
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse>;

    /// <summary>
    /// A unary call whose response is handed to <paramref name="read"/> as protobuf bytes in a pooled
    /// buffer (of at least <paramref name="bufferSize"/> bytes), once the call has succeeded: large
    /// responses (a page of keys) read in place, without a message object per record.
    /// </summary>
    Task<TResult> UnaryRawCallAsync<TRequest, TResponse, TResult>(GrpcMethod<TRequest, TResponse> method, TRequest request, GrpcCallOptions options,
        int bufferSize, Func<ReadOnlyMemory<byte>, TResult> read)
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse>;

    IAsyncEnumerable<TResponse> ServerStreamingCallAsync<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, TRequest request, GrpcCallOptions options)
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse>;

    /// <summary>
    /// A server stream read as each message's protobuf bytes, for bulk transfers (a snapshot) that
    /// should cost no message object or copy per frame. Each item lives in a pooled buffer of at
    /// least <paramref name="bufferSize"/> bytes and is valid only until the next item is asked for.
    /// </summary>
    IAsyncEnumerable<ReadOnlyMemory<byte>> ServerStreamingRawCallAsync<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, TRequest request,
        GrpcCallOptions options, int bufferSize)
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse>;

    IDuplexStreamingCall<TRequest, TResponse> DuplexStreamingCall<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, GrpcCallOptions options)
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse>;
}
