using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Threading.Channels;
using Google.Protobuf;

namespace EtcdTools.Protocol;

/// <summary>Transport settings for one endpoint.</summary>
public sealed record GrpcTransportOptions
{
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(2);
    public string? CaCertificatePath { get; init; }
    public string? CertificatePath { get; init; }
    public string? KeyPath { get; init; }

    /// <summary>The same items as PEM text held in memory (e.g. from a Kubernetes Secret); each item from a file or from text, not both.</summary>
    public string? CaCertificatePem { get; init; }
    public string? CertificatePem { get; init; }
    public string? KeyPem { get; init; }

    /// <summary>Where the PEM text came from, for messages (e.g. "Secret openshift-etcd/etcd-client").</summary>
    public string? PemSource { get; init; }

    public string? ServerName { get; init; }
    public bool SkipCertificateCheck { get; init; }

    /// <summary>
    /// 1 MiB: snapshot streaming as fast as with 16 MiB (both ~30% faster than HTTP/2's 64 KiB
    /// default), without the churn of 16 KiB receive blocks that a 16 MiB window lets pile up when the
    /// reader falls behind (4 MB of allocation per 220 MB snapshot instead of 30-130 MB on a loaded machine).
    /// </summary>
    public int InitialStreamWindowSize { get; init; } = 1024 * 1024;

    /// <summary>Pings on busy connections find a dead peer under a long watch; etcd permits one every 5 s.</summary>
    public TimeSpan KeepAlivePingDelay { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan KeepAlivePingTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How to reach the endpoint; null dials it over TCP.</summary>
    public IEndpointConnector? Connector { get; init; }
}

/// <summary>
/// gRPC over HTTP/2 on <see cref="SocketsHttpHandler"/>: h2c for http://, TLS for https://.
/// Messages are length-prefixed protobuf frames; the status comes in the trailers, or in the
/// headers for "trailers-only" responses (how etcd sends its errors).
/// </summary>
public sealed class Http2GrpcTransport : IGrpcTransport
{
    private readonly HttpClient _http;
    private readonly TlsMaterial? _tls;
    private readonly TimeSpan _dialTimeout;
    private readonly string? _serverName;

    /// <summary>Whether the endpoint has ever answered a call: a hang-up before that is a refusal to connect, not a lost connection.</summary>
    private volatile bool _answered;

    public Http2GrpcTransport(Uri endpoint, GrpcTransportOptions? options = null)
    {
        options ??= new GrpcTransportOptions();
        Endpoint = endpoint;
        _dialTimeout = options.DialTimeout;
        _serverName = options.ServerName;
        var handler = EndpointHttpHandler.Create(options, endpoint.Scheme == Uri.UriSchemeHttps, out _tls);
        handler.EnableMultipleHttp2Connections = true;
        handler.InitialHttp2StreamWindowSize = options.InitialStreamWindowSize;
        handler.KeepAlivePingDelay = options.KeepAlivePingDelay;
        handler.KeepAlivePingTimeout = options.KeepAlivePingTimeout;
        handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests;
        _http = new HttpClient(handler, disposeHandler: true)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    public Uri Endpoint { get; }

    /// <summary>The endpoint as operators write it, for messages.</summary>
    private string Where => Endpoint.GetLeftPart(UriPartial.Authority);

    public async Task<TResponse> UnaryCallAsync<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, TRequest request, GrpcCallOptions options)
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse>
    {
        using var call = new CallScope(options, default);
        try
        {
            using var httpRequest = CreateRequest(method.Path, new ByteArrayContent(GrpcFraming.Frame(request)), options);
            using var response = await _http.SendAsync(httpRequest, HttpCompletionOption.ResponseHeadersRead, call.Token).ConfigureAwait(false);
            CheckResponseHeaders(response, method.DisplayName);
            call.ResponseStarted = true;
            await using var body = await response.Content.ReadAsStreamAsync(call.Token).ConfigureAwait(false);
            using var reader = new GrpcFrameReader(body);
            TResponse? result = default;
            while (await ReadAsync(reader, method.ResponseParser, call).ConfigureAwait(false) is { } message)
                result ??= message;
            CheckTrailers(response, method.DisplayName);
            return result ?? throw new EtcdException(EtcdErrorKind.Protocol, GrpcStatusCode.Internal,
                $"etcd at {Where} ended {method.DisplayName} with status OK but no message.", endpoint: Endpoint, method: method.DisplayName);
        }
        catch (Exception e) when (e is not EtcdException)
        {
            throw Translate(e, method.DisplayName, call);
        }
    }

    public async Task<TResult> UnaryRawCallAsync<TRequest, TResponse, TResult>(GrpcMethod<TRequest, TResponse> method, TRequest request, GrpcCallOptions options,
        int bufferSize, Func<ReadOnlyMemory<byte>, TResult> read)
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(read);
        using var call = new CallScope(options, default);
        using var response = await SendAsync(method, request, options, call, idleWait: false).ConfigureAwait(false);
        using var reader = await OpenReaderAsync(response, method.DisplayName, call, bufferSize).ConfigureAwait(false);
        ReadOnlyMemory<byte> message;
        try
        {
            message = await reader.ReadRawAsync(call.Token).ConfigureAwait(false) ?? throw new EtcdException(EtcdErrorKind.Protocol, GrpcStatusCode.Internal,
                $"etcd at {Where} ended {method.DisplayName} without a message.", endpoint: Endpoint, method: method.DisplayName);
            await reader.ExpectEndAsync(call.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not EtcdException)
        {
            throw Translate(e, method.DisplayName, call);
        }
        CheckTrailers(response, method.DisplayName);
        // Only a call that succeeded is read: a failure after reading could not be retried without reading twice.
        return read(message);
    }

    public IAsyncEnumerable<TResponse> ServerStreamingCallAsync<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, TRequest request, GrpcCallOptions options)
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        StreamAsync(method, request, options, GrpcFrameReader.DefaultBufferSize, async (reader, token) =>
            await reader.ReadMessageAsync(method.ResponseParser, token).ConfigureAwait(false) is { } message ? (true, message) : (false, null!));

    public IAsyncEnumerable<ReadOnlyMemory<byte>> ServerStreamingRawCallAsync<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, TRequest request,
        GrpcCallOptions options, int bufferSize)
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        StreamAsync(method, request, options, bufferSize, static async (reader, token) =>
            await reader.ReadRawAsync(token).ConfigureAwait(false) is { } message ? (true, message) : (false, default));

    /// <summary>A server stream: each item is what <paramref name="read"/> takes from the frame reader, until it finds none.</summary>
    private async IAsyncEnumerable<TItem> StreamAsync<TRequest, TResponse, TItem>(GrpcMethod<TRequest, TResponse> method, TRequest request, GrpcCallOptions options,
        int bufferSize, Func<GrpcFrameReader, CancellationToken, ValueTask<(bool Found, TItem Item)>> read,
        [EnumeratorCancellation] CancellationToken enumeratorToken = default)
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse>
    {
        using var call = new CallScope(options, enumeratorToken);
        using (var response = await SendAsync(method, request, options, call, idleWait: true).ConfigureAwait(false))
        {
            using (var reader = await OpenReaderAsync(response, method.DisplayName, call, bufferSize).ConfigureAwait(false))
            {
                while (true)
                {
                    var (found, item) = await ReadAsync(reader, read, call).ConfigureAwait(false);
                    if (!found) break;
                    yield return item;
                }
            }
            CheckTrailers(response, method.DisplayName);
        }
    }

    /// <summary>
    /// Sends a call of one request message and returns the response once its headers arrive; with
    /// <paramref name="idleWait"/> the wait for them counts against the stream's idle timeout.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, TRequest request, GrpcCallOptions options,
        CallScope call, bool idleWait)
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse>
    {
        try
        {
            if (idleWait) call.StartIdleWait();
            using var httpRequest = CreateRequest(method.Path, new ByteArrayContent(GrpcFraming.Frame(request)), options);
            var response = await _http.SendAsync(httpRequest, HttpCompletionOption.ResponseHeadersRead, call.Token).ConfigureAwait(false);
            if (idleWait) call.EndIdleWait();
            return response;
        }
        catch (Exception e) when (e is not EtcdException)
        {
            throw Translate(e, method.DisplayName, call);
        }
    }

    /// <summary>Checks a response's headers (a trailers-only failure throws here) and opens a frame reader on its body.</summary>
    private async Task<GrpcFrameReader> OpenReaderAsync(HttpResponseMessage response, string methodName, CallScope call, int bufferSize)
    {
        try
        {
            CheckResponseHeaders(response, methodName);
            call.ResponseStarted = true;
            return new GrpcFrameReader(await response.Content.ReadAsStreamAsync(call.Token).ConfigureAwait(false), bufferSize);
        }
        catch (Exception e) when (e is not EtcdException)
        {
            throw Translate(e, methodName, call);
        }
    }

    public IDuplexStreamingCall<TRequest, TResponse> DuplexStreamingCall<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, GrpcCallOptions options)
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        new DuplexCall<TRequest, TResponse>(this, method, options);

    /// <summary>Reads one message with the idle timeout armed, translating failures.</summary>
    private async ValueTask<T?> ReadAsync<T>(GrpcFrameReader reader, MessageParser<T> parser, CallScope call) where T : class, IMessage<T>
    {
        try
        {
            call.StartIdleWait();
            var message = await reader.ReadMessageAsync(parser, call.Token).ConfigureAwait(false);
            call.EndIdleWait();
            return message;
        }
        catch (Exception e) when (e is not EtcdException)
        {
            throw Translate(e, null, call);
        }
    }

    /// <inheritdoc cref="ReadAsync{T}(GrpcFrameReader, MessageParser{T}, CallScope)"/>
    private async ValueTask<TItem> ReadAsync<TItem>(GrpcFrameReader reader, Func<GrpcFrameReader, CancellationToken, ValueTask<TItem>> read, CallScope call)
    {
        try
        {
            call.StartIdleWait();
            var item = await read(reader, call.Token).ConfigureAwait(false);
            call.EndIdleWait();
            return item;
        }
        catch (Exception e) when (e is not EtcdException)
        {
            throw Translate(e, null, call);
        }
    }

    private HttpRequestMessage CreateRequest(string path, HttpContent content, GrpcCallOptions options)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Endpoint, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        // SocketsHttpHandler takes the TLS server name (SNI and certificate check) from Host, not from SslOptions.
        if (_serverName is not null) request.Headers.Host = _serverName;
        request.Headers.TryAddWithoutValidation("user-agent", "etcdtools-grpc/1.0");
        if (options.Timeout is { } timeout && timeout != System.Threading.Timeout.InfiniteTimeSpan)
            request.Headers.TryAddWithoutValidation("grpc-timeout", FormatGrpcTimeout(timeout));
        if (options.Headers is not null)
            foreach (var (name, value) in options.Headers)
                request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    /// <summary>gRPC's timeout header: at most 8 digits and a unit.</summary>
    internal static string FormatGrpcTimeout(TimeSpan timeout)
    {
        var ms = (long)Math.Ceiling(timeout.TotalMilliseconds);
        if (ms <= 0) return "1m";
        if (ms < 100_000_000) return $"{ms}m";
        var seconds = (long)Math.Ceiling(timeout.TotalSeconds);
        return seconds < 100_000_000 ? $"{seconds}S" : $"{Math.Min((long)Math.Ceiling(timeout.TotalHours), 99_999_999)}H";
    }

    private void CheckResponseHeaders(HttpResponseMessage response, string method)
    {
        _answered = true;
        if (response.StatusCode != HttpStatusCode.OK)
            throw new EtcdException(EtcdErrorKind.Protocol, GrpcStatusCode.Unknown,
                $"{Where} answered {method} with HTTP {(int)response.StatusCode} {response.ReasonPhrase}: is this an etcd client URL?",
                endpoint: Endpoint, method: method);
        // Trailers-only: etcd puts the status of a failed call in the headers.
        if (TryGetStatus(response.Headers, out var code, out var message) && code != GrpcStatusCode.OK)
            throw EtcdException.FromStatus(code, message, Endpoint, method);
    }

    private void CheckTrailers(HttpResponseMessage response, string method)
    {
        if (TryGetStatus(response.TrailingHeaders, out var code, out var message) || TryGetStatus(response.Headers, out code, out message))
        {
            if (code != GrpcStatusCode.OK) throw EtcdException.FromStatus(code, message, Endpoint, method);
            return;
        }
        throw new EtcdException(EtcdErrorKind.Protocol, GrpcStatusCode.Internal,
            $"{Where} ended {method} without a grpc-status: the response was cut off or did not come from a gRPC server.",
            endpoint: Endpoint, method: method);
    }

    private static bool TryGetStatus(HttpHeaders headers, out GrpcStatusCode code, out string? message)
    {
        code = GrpcStatusCode.OK;
        message = null;
        if (!headers.TryGetValues("grpc-status", out var statusValues)) return false;
        var text = statusValues.FirstOrDefault();
        code = int.TryParse(text, out var value) ? (GrpcStatusCode)value : GrpcStatusCode.Unknown;
        if (headers.TryGetValues("grpc-message", out var messages) && messages.FirstOrDefault() is { Length: > 0 } encoded)
            message = Uri.UnescapeDataString(encoded);
        return true;
    }

    /// <summary>Turns what HttpClient and the TLS stack throw into one <see cref="EtcdException"/> an operator can act on.</summary>
    private Exception Translate(Exception e, string? method, CallScope call)
    {
        var what = method is null ? "" : $" ({method})";
        if (call.CallerCancelled)
            return e is OperationCanceledException ? e : new OperationCanceledException("The etcd call was cancelled.", e, call.CallerToken);
        if (call.DeadlineExpired)
            return Error(EtcdErrorKind.Timeout, GrpcStatusCode.DeadlineExceeded,
                $"etcd at {Where}{what} did not answer within {Duration.Format(call.Timeout!.Value)}: the member may be hung, overloaded or unreachable.", e);
        if (call.IdleExpired)
            return Error(EtcdErrorKind.Timeout, GrpcStatusCode.DeadlineExceeded,
                $"etcd at {Where}{what} sent nothing for {Duration.Format(call.IdleTimeout!.Value)}: the member may be hung or overloaded.", e);

        var chain = Flatten(e).ToList();
        var text = string.Join(" | ", chain.Select(x => x.Message));

        // The connector knows why its route failed (a forbidden port-forward, a deleted pod): its word is the clearest.
        if (chain.OfType<EndpointConnectionException>().FirstOrDefault() is { } route)
            return Error(route.Kind, route.Kind == EtcdErrorKind.Timeout ? GrpcStatusCode.DeadlineExceeded : GrpcStatusCode.Unavailable,
                $"{route.Message}{what}", e);

        // Once the response has begun, a broken connection is the member (or the network) going away, not a protocol mismatch.
        if (call.ResponseStarted && e is not GrpcFramingException && chain.Any(x => x is IOException or HttpRequestException))
            return Error(EtcdErrorKind.Unavailable, GrpcStatusCode.Unavailable,
                $"The connection to {Where} was lost in the middle of the response{what}: the member stopped or the network failed ({Innermost(e).Message})", e);

        // A reset in the middle of a TLS handshake says more about TLS than about the network: classified below.
        // So does a reset while HTTP/2 is being set up: typically plain http:// to a TLS port.
        // With TLS 1.3 a server that refuses the client certificate does so after the client's side of the
        // handshake, by hanging up: before the endpoint's first answer, a reset or broken pipe over TLS
        // with a client certificate is that refusal (which one the client sees is a race; a write into
        // the closed socket may also surface from OpenSSL as SslStream's "encryption operation failed").
        var hungUpBeforeFirstAnswer = _tls?.ClientCertificate is not null && !_answered
            && (chain.OfType<SocketException>().Any(x => x.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted)
                || chain.Any(x => x is IOException && (Contains(x.Message, "encryption operation failed") || Contains(x.Message, "decryption operation failed"))));
        var resetDuringSetup = Contains(text, "SSL connection could not be established") || Contains(text, "HTTP/2 handshake") || hungUpBeforeFirstAnswer;
        if (chain.OfType<SocketException>().FirstOrDefault() is { } socket && !(resetDuringSetup && socket.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted))
        {
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => Error(EtcdErrorKind.Unavailable, GrpcStatusCode.Unavailable,
                    $"Connection refused by {Where}{what}: nothing listens there. Is etcd running, and is this its client URL?", e),
                SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => Error(EtcdErrorKind.Unavailable, GrpcStatusCode.Unavailable,
                    $"The host of {Where} could not be resolved{what}: {socket.Message}", e),
                SocketError.TimedOut => Error(EtcdErrorKind.Timeout, GrpcStatusCode.Unavailable,
                    $"Could not connect to {Where}{what} within the dial timeout of {Duration.Format(_dialTimeout)}.", e),
                _ => Error(EtcdErrorKind.Unavailable, GrpcStatusCode.Unavailable, $"Could not reach {Where}{what}: {socket.Message}", e),
            };
        }
        // SocketsHttpHandler's ConnectTimeout (TCP connect plus TLS handshake) surfaces as a cancellation or TimeoutException,
        // at the top or, when it cancels a connector's own work, wrapped in an HttpRequestException: with the
        // caller's cancellation and the call's deadlines ruled out above, any cancellation left is that timeout.
        if (chain.Any(x => x is TimeoutException or OperationCanceledException))
            return Error(EtcdErrorKind.Timeout, GrpcStatusCode.Unavailable,
                $"Could not connect to {Where}{what} within the dial timeout of {Duration.Format(_dialTimeout)}: the host is unreachable or the member is hung.", e);

        // A connection cut short by an endpoint that has spoken gRPC before is a member lost (killed,
        // restarting), not a protocol mismatch nor a refused certificate: another member may take over.
        if (_answered && LooksLikeHandshakeAbort(text))
            return Error(EtcdErrorKind.Unavailable, GrpcStatusCode.Unavailable,
                $"The connection to {Where} was lost{what}: {Innermost(e).Message} The member may have stopped or restarted.", e);
        if (_tls is not null)
        {
            var handshakeFailed = chain.Any(x => x is AuthenticationException) || Contains(text, "SSL connection could not be established");
            if (_tls.LastValidationFailure is { } failure && handshakeFailed)
                return Error(EtcdErrorKind.ServerCertificate, GrpcStatusCode.Unavailable, $"TLS with {Where} failed{what}: {failure}.", e);
            var clientCert = _tls.ClientCertificate;
            // With TLS 1.3 the server checks the client certificate after the client's side of the
            // handshake is done, so a refusal shows up as the HTTP/2 preface being cut off.
            var refusedAfterHandshake = !handshakeFailed && (LooksLikeHandshakeAbort(text) || hungUpBeforeFirstAnswer);
            if (Contains(text, "certificate required") || (clientCert is null && refusedAfterHandshake))
                return Error(EtcdErrorKind.ClientCertificateRequired, GrpcStatusCode.Unauthenticated,
                    $"{Where} requires a client certificate (etcd --client-cert-auth) and none was given{what}: pass the client certificate and key (etcdctl --cert/--key).", e);
            if (clientCert is not null && (Contains(text, "bad certificate") || Contains(text, "unknown ca") || Contains(text, "certificate expired")
                    || Contains(text, "certificate unknown") || refusedAfterHandshake))
            {
                var why = clientCert.NotAfter < DateTime.Now ? $"it expired on {clientCert.NotAfter:u}"
                    : clientCert.NotBefore > DateTime.Now ? $"it is not valid before {clientCert.NotBefore:u}"
                    : $"is it issued by a CA the server trusts (--trusted-ca-file)? Its issuer is '{clientCert.Issuer}'";
                return Error(EtcdErrorKind.ClientCertificateRejected, GrpcStatusCode.Unauthenticated,
                    $"{Where} rejected the client certificate '{clientCert.Subject}'{what}: {why}.", e);
            }
            if (handshakeFailed)
                return Error(EtcdErrorKind.Protocol, GrpcStatusCode.Unavailable,
                    $"The TLS handshake with {Where} failed{what}: {Innermost(e).Message} If the member serves plain HTTP, use http://.", e);
        }
        if (e is GrpcFramingException)
            return Error(EtcdErrorKind.Protocol, GrpcStatusCode.Internal, $"Bad gRPC data from {Where}{what}: {e.Message}.", e);
        if (LooksLikeHandshakeAbort(text) || chain.Any(x => x is HttpProtocolException))
        {
            var hint = Endpoint.Scheme == Uri.UriSchemeHttp ? " If the member serves TLS, use https:// and its CA." : "";
            return Error(EtcdErrorKind.Protocol, GrpcStatusCode.Unavailable,
                $"{Where} did not speak gRPC over HTTP/2{what}: {Innermost(e).Message}.{hint}", e);
        }
        return Error(EtcdErrorKind.Unavailable, GrpcStatusCode.Unavailable, $"The call to {Where} failed{what}: {Innermost(e).Message}", e);
    }

    private static bool LooksLikeHandshakeAbort(string text) =>
        Contains(text, "HTTP/2 handshake") || Contains(text, "unexpected EOF") || Contains(text, "connection was closed")
        || Contains(text, "forcibly closed") || Contains(text, "Connection reset") || Contains(text, "response ended prematurely");

    private static bool Contains(string text, string what) => text.Contains(what, StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException) yield return x;
    }

    private static Exception Innermost(Exception e) => Flatten(e).Last();

    private EtcdException Error(EtcdErrorKind kind, GrpcStatusCode code, string message, Exception inner) =>
        new(kind, code, message, endpoint: Endpoint, innerException: inner);

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The cancellation of one call: the caller's token, the deadline of the whole call, and an
    /// idle timer armed only while waiting for the next message. Remembers which one fired.
    /// </summary>
    private sealed class CallScope : IDisposable
    {
        private readonly CancellationTokenSource _deadline = new();
        private readonly CancellationTokenSource _idle = new();
        private readonly CancellationTokenSource _abandoned = new();
        private readonly CancellationTokenSource _linked;
        private readonly CancellationToken _enumeratorToken;

        public CallScope(GrpcCallOptions options, CancellationToken enumeratorToken)
        {
            CallerToken = options.CancellationToken;
            _enumeratorToken = enumeratorToken;
            Timeout = options.Timeout is { } t && t != System.Threading.Timeout.InfiniteTimeSpan ? t : null;
            IdleTimeout = options.IdleTimeout is { } i && i != System.Threading.Timeout.InfiniteTimeSpan ? i : null;
            if (Timeout is { } deadline) _deadline.CancelAfter(deadline);
            _linked = CancellationTokenSource.CreateLinkedTokenSource([CallerToken, enumeratorToken, _deadline.Token, _idle.Token, _abandoned.Token]);
        }

        public CancellationToken Token => _linked.Token;
        public CancellationToken CallerToken { get; }
        public TimeSpan? Timeout { get; }
        public TimeSpan? IdleTimeout { get; }
        public bool CallerCancelled => CallerToken.IsCancellationRequested || _enumeratorToken.IsCancellationRequested || _abandoned.IsCancellationRequested;
        public bool DeadlineExpired => _deadline.IsCancellationRequested;
        public bool IdleExpired => _idle.IsCancellationRequested;

        /// <summary>Set once the response headers came: what fails after that fails mid-response.</summary>
        public bool ResponseStarted { get; set; }

        public void StartIdleWait()
        {
            if (IdleTimeout is { } idle && !_idle.IsCancellationRequested) _idle.CancelAfter(idle);
        }

        public void EndIdleWait()
        {
            if (IdleTimeout is not null && !_idle.IsCancellationRequested) _idle.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);
        }

        /// <summary>The caller is done with the call (a duplex call disposed or its reader cancelled).</summary>
        public void Abandon()
        {
            try { _abandoned.Cancel(); } catch (ObjectDisposedException) { }
        }

        public void Dispose()
        {
            _linked.Dispose();
            _abandoned.Dispose();
            _deadline.Dispose();
            _idle.Dispose();
        }
    }

    /// <summary>A bidirectional stream: requests are written from a channel while responses are read.</summary>
    private sealed class DuplexCall<TRequest, TResponse> : IDuplexStreamingCall<TRequest, TResponse>
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse>
    {
        private readonly Http2GrpcTransport _transport;
        private readonly GrpcMethod<TRequest, TResponse> _method;
        private readonly Channel<TRequest> _requests = Channel.CreateUnbounded<TRequest>(new UnboundedChannelOptions { SingleReader = true });
        private readonly CallScope _call;
        private readonly Task<HttpResponseMessage> _response;
        private readonly HttpRequestMessage _httpRequest;
        private int _reading;

        public DuplexCall(Http2GrpcTransport transport, GrpcMethod<TRequest, TResponse> method, GrpcCallOptions options)
        {
            _transport = transport;
            _method = method;
            _call = new CallScope(options, default);
            _httpRequest = transport.CreateRequest(method.Path, new StreamingContent<TRequest>(_requests.Reader), options);
            _response = transport._http.SendAsync(_httpRequest, HttpCompletionOption.ResponseHeadersRead, _call.Token);
        }

        public ValueTask WriteAsync(TRequest message, CancellationToken cancellationToken = default) =>
            _requests.Writer.WriteAsync(message, cancellationToken);

        public void CompleteRequests() => _requests.Writer.TryComplete();

        public async IAsyncEnumerable<TResponse> ReadResponsesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            if (Interlocked.Exchange(ref _reading, 1) != 0)
                throw new InvalidOperationException("The responses of a duplex call can be read once.");
            using var registration = cancellationToken.Register(_call.Abandon);
            HttpResponseMessage response;
            GrpcFrameReader reader;
            try
            {
                response = await _response.ConfigureAwait(false);
                _transport.CheckResponseHeaders(response, _method.DisplayName);
                _call.ResponseStarted = true;
                reader = new GrpcFrameReader(await response.Content.ReadAsStreamAsync(_call.Token).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not EtcdException)
            {
                throw _transport.Translate(e, _method.DisplayName, _call);
            }
            using (reader)
            {
                while (await _transport.ReadAsync(reader, _method.ResponseParser, _call).ConfigureAwait(false) is { } message)
                    yield return message;
            }
            _transport.CheckTrailers(response, _method.DisplayName);
        }

        public async ValueTask DisposeAsync()
        {
            _requests.Writer.TryComplete();
            // Cancelling resets the HTTP/2 stream, so the server stops the watch or keep-alive.
            _call.Abandon();
            try { (await _response.ConfigureAwait(false)).Dispose(); }
            catch (Exception) { /* the call failed or was abandoned: nothing to release */ }
            _httpRequest.Dispose();
            _call.Dispose();
        }
    }

    /// <summary>Request body of a duplex call: one frame per message, flushed at once, until the channel completes.</summary>
    private sealed class StreamingContent<T>(ChannelReader<T> reader) : HttpContent where T : IMessage
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await foreach (var message in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await stream.WriteAsync(GrpcFraming.Frame(message), cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
