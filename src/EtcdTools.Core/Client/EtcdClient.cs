using System.Runtime.CompilerServices;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Authpb;
using EtcdTools.Protocol.Etcdserverpb;
using Google.Protobuf;

namespace EtcdTools.Client;

/// <summary>
/// The etcd v3 API on one endpoint (one member). Every call has a deadline (the settings'
/// CommandTimeout unless a timeout is passed; <see cref="Timeout.InfiniteTimeSpan"/> for none) and
/// honours its cancellation token. With a user name, the client authenticates on first use and
/// sends the token with every call, authenticating once more if etcd says the token is invalid.
/// </summary>
public sealed class EtcdClient : IDisposable
{
    private readonly IGrpcTransport _transport;
    private readonly bool _ownsTransport;
    private readonly SemaphoreSlim _authLock = new(1, 1);
    private volatile string? _token;
    private volatile bool _clusterChecked;

    /// <summary>A client for <paramref name="endpoint"/>, or the first endpoint of the settings.</summary>
    public EtcdClient(EtcdConnectionSettings settings, Uri? endpoint = null)
        : this(CreateTransport(settings, endpoint ?? settings.GetEndpointUris()[0]), settings, ownsTransport: true)
    {
    }

    /// <summary>A client over any transport (e.g. a Grpc.Net.Client-based one).</summary>
    public EtcdClient(IGrpcTransport transport, EtcdConnectionSettings settings, bool ownsTransport = false)
    {
        _transport = transport;
        _ownsTransport = ownsTransport;
        Settings = settings;
    }

    public EtcdConnectionSettings Settings { get; }
    public Uri Endpoint => _transport.Endpoint;

    public static IGrpcTransport CreateTransport(EtcdConnectionSettings settings, Uri endpoint) =>
        new Http2GrpcTransport(endpoint, settings.ToTransportOptions());

    // ---- KV ----

    public Task<RangeResponse> RangeAsync(RangeRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Range, request, timeout, cancellationToken);

    /// <summary>One key, linearizable unless <paramref name="serializable"/>.</summary>
    public Task<RangeResponse> GetAsync(string key, bool serializable = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key), Serializable = serializable }, timeout, cancellationToken);

    /// <summary>
    /// A Range whose response is handed to <paramref name="read"/> as raw RangeResponse bytes (in a
    /// pooled buffer, valid during the call) after the cluster ID in its header was checked: a large
    /// page of keys read in place, without a KeyValue object per key. A throw from
    /// <paramref name="read"/> is not retried.
    /// </summary>
    internal async Task<T> RangeRawAsync<T>(RangeRequest request, Func<ReadOnlyMemory<byte>, T> read, int bufferSize, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        await EnsureExpectedClusterAsync(timeout, cancellationToken).ConfigureAwait(false);
        var headers = await GetAuthHeadersAsync(cancellationToken).ConfigureAwait(false);
        T Checked(ReadOnlyMemory<byte> message)
        {
            var at = 0;
            var bytes = message.Span;
            while (at < bytes.Length && ProtoWire.TryReadField(bytes, ref at, out var field, out var wireType, out _, out var start, out var length))
            {
                if (field != 1 || wireType != ProtoWire.LengthDelimitedType) continue;
                CheckClusterId(ResponseHeader.Parser.ParseFrom(bytes.Slice(start, length)), EtcdMethods.Range.DisplayName);
                break;
            }
            return read(message);
        }
        try
        {
            return await _transport.UnaryRawCallAsync(EtcdMethods.Range, request, Options(timeout, headers, cancellationToken), bufferSize, Checked).ConfigureAwait(false);
        }
        catch (EtcdException e) when (headers is not null && IsStaleToken(e))
        {
            headers = await GetAuthHeadersAsync(cancellationToken, renew: true).ConfigureAwait(false);
            return await _transport.UnaryRawCallAsync(EtcdMethods.Range, request, Options(timeout, headers, cancellationToken), bufferSize, Checked).ConfigureAwait(false);
        }
    }

    public Task<PutResponse> PutAsync(PutRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Put, request, timeout, cancellationToken);

    public Task<PutResponse> PutAsync(string key, string value, long lease = 0, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value), Lease = lease }, timeout, cancellationToken);

    public Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.DeleteRange, request, timeout, cancellationToken);

    public Task<TxnResponse> TxnAsync(TxnRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Txn, request, timeout, cancellationToken);

    /// <summary>Compacts history up to <paramref name="revision"/>; <paramref name="physical"/> waits until it is applied to the backend.</summary>
    public Task<CompactionResponse> CompactAsync(long revision, bool physical = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Compact, new CompactionRequest { Revision = revision, Physical = physical }, timeout, cancellationToken);

    // ---- Watch ----

    /// <summary>
    /// Watches until cancelled. Yields every response after the creation acknowledgement (events,
    /// progress notifications). A watch cancelled by etcd (e.g. its start revision was compacted)
    /// ends with an <see cref="EtcdException"/> carrying etcd's reason.
    /// </summary>
    public async IAsyncEnumerable<WatchResponse> WatchAsync(WatchCreateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureExpectedClusterAsync(null, cancellationToken).ConfigureAwait(false);
        // "hasleader" (clientv3's WithRequireLeader): a member cut off from the leader for three
        // election timeouts ends the stream instead of serving a watch that has silently gone stale.
        var headers = new Dictionary<string, string> { ["hasleader"] = "true" };
        foreach (var (name, value) in await GetAuthHeadersAsync(cancellationToken).ConfigureAwait(false) ?? new Dictionary<string, string>())
            headers[name] = value;
        await using var call = _transport.DuplexStreamingCall(EtcdMethods.WatchStream, new GrpcCallOptions(Headers: headers, CancellationToken: cancellationToken));
        await call.WriteAsync(new WatchRequest { CreateRequest = request }, cancellationToken).ConfigureAwait(false);
        var created = false;
        await foreach (var response in call.ReadResponsesAsync(cancellationToken).ConfigureAwait(false))
        {
            CheckClusterId(response.Header, "Watch.Watch");
            if (response.Canceled)
            {
                var reason = response.CompactRevision > 0
                    ? $"{EtcdErrorTable.TextOf(EtcdServerError.Compacted)} (compact revision {response.CompactRevision})"
                    : string.IsNullOrEmpty(response.CancelReason) ? "the watch was cancelled by the server" : response.CancelReason;
                throw EtcdException.FromStatus(response.CompactRevision > 0 ? GrpcStatusCode.OutOfRange : GrpcStatusCode.Cancelled, reason, Endpoint, "Watch.Watch");
            }
            if (!created && response.Created)
            {
                created = true;
                if (response.Events.Count == 0) continue;
            }
            yield return response;
        }
    }

    // ---- Lease ----

    public Task<LeaseGrantResponse> LeaseGrantAsync(long ttlSeconds, long id = 0, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.LeaseGrant, new LeaseGrantRequest { TTL = ttlSeconds, ID = id }, timeout, cancellationToken);

    public Task<LeaseRevokeResponse> LeaseRevokeAsync(long id, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.LeaseRevoke, new LeaseRevokeRequest { ID = id }, timeout, cancellationToken);

    // ---- Cluster ----

    public Task<MemberListResponse> MemberListAsync(bool linearizable = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.MemberList, new MemberListRequest { Linearizable = linearizable }, timeout, cancellationToken);

    public Task<MemberAddResponse> MemberAddAsync(IEnumerable<string> peerUrls, bool isLearner = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.MemberAdd, new MemberAddRequest { PeerURLs = { peerUrls }, IsLearner = isLearner }, timeout, cancellationToken);

    public Task<MemberRemoveResponse> MemberRemoveAsync(ulong memberId, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.MemberRemove, new MemberRemoveRequest { ID = memberId }, timeout, cancellationToken);

    public Task<MemberUpdateResponse> MemberUpdateAsync(ulong memberId, IEnumerable<string> peerUrls, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.MemberUpdate, new MemberUpdateRequest { ID = memberId, PeerURLs = { peerUrls } }, timeout, cancellationToken);

    public Task<MemberPromoteResponse> MemberPromoteAsync(ulong memberId, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.MemberPromote, new MemberPromoteRequest { ID = memberId }, timeout, cancellationToken);

    // ---- Maintenance ----

    public Task<AlarmResponse> AlarmAsync(AlarmRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Alarm, request, timeout, cancellationToken);

    /// <summary>Every active alarm in the cluster (etcdctl alarm list).</summary>
    public Task<AlarmResponse> AlarmListAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get, Alarm = AlarmType.None }, timeout, cancellationToken);

    /// <summary>Disarms one alarm; member 0 and alarm NONE disarm them all, as etcdctl alarm disarm does.</summary>
    public Task<AlarmResponse> AlarmDisarmAsync(ulong memberId = 0, AlarmType alarm = AlarmType.None, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Deactivate, MemberID = memberId, Alarm = alarm }, timeout, cancellationToken);

    public Task<StatusResponse> StatusAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Status, new StatusRequest(), timeout, cancellationToken);

    /// <summary>Defragments this member's backend. It blocks the member's reads and writes meanwhile: pass a timeout fit for the database size.</summary>
    public Task<DefragmentResponse> DefragmentAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Defragment, new DefragmentRequest(), timeout, cancellationToken);

    /// <summary>Hash of the keyspace up to <paramref name="revision"/> (0 = latest; compare members at one fixed revision).</summary>
    public Task<HashKVResponse> HashKVAsync(long revision = 0, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.HashKV, new HashKVRequest { Revision = revision }, timeout, cancellationToken);

    public Task<MoveLeaderResponse> MoveLeaderAsync(ulong targetMemberId, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.MoveLeader, new MoveLeaderRequest { TargetID = targetMemberId }, timeout, cancellationToken);

    /// <summary>
    /// Streams this member's snapshot into <paramref name="destination"/>, byte for byte what
    /// etcdctl snapshot save writes (the backend followed by its SHA-256), and checks that hash.
    /// No overall deadline: <paramref name="idleTimeout"/> (default CommandTimeout) bounds each wait for data.
    /// </summary>
    public Task<SnapshotResult> SnapshotAsync(Stream destination, IProgress<SnapshotProgress>? progress = null,
        TimeSpan? idleTimeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return SnapshotAsync(async (blob, _, ct) => await destination.WriteAsync(blob, ct).ConfigureAwait(false), progress, idleTimeout,
            async ct => await destination.FlushAsync(ct).ConfigureAwait(false), cancellationToken);
    }

    /// <summary>How much of the snapshot stream one read takes in: many 32 KiB blobs per read.</summary>
    private const int SnapshotReadBufferSize = 1 << 20;

    /// <summary>
    /// The snapshot stream handed to <paramref name="write"/> blob by blob (with the offset each
    /// starts at), straight from the frames read into a pooled buffer: no message object or copy per
    /// blob, so memory stays flat whatever the size. The blob is valid only during the call.
    /// <paramref name="completed"/> runs after the last blob and before the hash is checked.
    /// </summary>
    internal async Task<SnapshotResult> SnapshotAsync(Func<ReadOnlyMemory<byte>, long, CancellationToken, ValueTask> write, IProgress<SnapshotProgress>? progress,
        TimeSpan? idleTimeout, Func<CancellationToken, ValueTask>? completed, CancellationToken cancellationToken)
    {
        const string method = "Maintenance.Snapshot";
        await EnsureExpectedClusterAsync(null, cancellationToken).ConfigureAwait(false);
        var headers = await GetAuthHeadersAsync(cancellationToken).ConfigureAwait(false);
        var options = new GrpcCallOptions(IdleTimeout: idleTimeout ?? Settings.CommandTimeout, Headers: headers, CancellationToken: cancellationToken);
        using var sha = new TrailingSha256();
        long total = 0;
        ResponseHeader? header = null;
        var started = System.Diagnostics.Stopwatch.StartNew();
        await foreach (var message in _transport.ServerStreamingRawCallAsync(EtcdMethods.Snapshot, new SnapshotRequest(), options, SnapshotReadBufferSize)
            .WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var (blob, remaining, headerBytes) = ReadSnapshotResponse(message);
            if (header is null && headerBytes.Length > 0)
            {
                header = ResponseHeader.Parser.ParseFrom(headerBytes.Span);
                CheckClusterId(header, method);
            }
            if (blob.Length > 0)
            {
                await write(blob, total, cancellationToken).ConfigureAwait(false);
                sha.Append(blob.Span);
                total += blob.Length;
            }
            progress?.Report(new SnapshotProgress(total, remaining, started.Elapsed));
        }
        if (completed is not null) await completed(cancellationToken).ConfigureAwait(false);
        if (!sha.TryVerify(out var digest))
            throw new EtcdException(EtcdErrorKind.DataLoss, GrpcStatusCode.DataLoss,
                $"The snapshot from {Endpoint} failed its integrity check: the SHA-256 etcd appended does not match the {Math.Max(0, total - TrailingSha256.Size)} bytes received.",
                endpoint: Endpoint, method: method);
        return new SnapshotResult(total, Convert.ToHexStringLower(digest), header?.Revision ?? 0, header?.MemberId ?? 0, started.Elapsed);
    }

    /// <summary>A SnapshotResponse's blob (field 3), remaining_bytes (2) and header (1), read in place.</summary>
    private (ReadOnlyMemory<byte> Blob, long Remaining, ReadOnlyMemory<byte> Header) ReadSnapshotResponse(ReadOnlyMemory<byte> message)
    {
        var bytes = message.Span;
        ReadOnlyMemory<byte> blob = default, header = default;
        long remaining = 0;
        var at = 0;
        while (at < bytes.Length)
        {
            if (!ProtoWire.TryReadField(bytes, ref at, out var field, out var wireType, out var number, out var start, out var length))
                throw new EtcdException(EtcdErrorKind.Protocol, GrpcStatusCode.Internal,
                    $"Bad gRPC data from {Endpoint.GetLeftPart(UriPartial.Authority)} (Maintenance.Snapshot): a SnapshotResponse of {bytes.Length} bytes is malformed.",
                    endpoint: Endpoint, method: "Maintenance.Snapshot");
            switch (field, wireType)
            {
                case (1, ProtoWire.LengthDelimitedType): header = message.Slice(start, length); break;
                case (2, ProtoWire.VarintType): remaining = (long)number; break;
                case (3, ProtoWire.LengthDelimitedType): blob = message.Slice(start, length); break;
            }
        }
        return (blob, remaining, header);
    }

    // ---- Auth ----

    /// <summary>Gets a token for <paramref name="user"/>; wrong credentials raise <see cref="EtcdErrorKind.AuthenticationFailed"/>.</summary>
    public async Task<string> AuthenticateAsync(string user, string password, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await _transport.UnaryCallAsync(EtcdMethods.Authenticate, new AuthenticateRequest { Name = user, Password = password },
                Options(timeout, null, cancellationToken)).ConfigureAwait(false);
            return response.Token;
        }
        catch (EtcdException e) when (e.Kind is EtcdErrorKind.AuthenticationFailed || e.StatusCode == GrpcStatusCode.InvalidArgument)
        {
            throw new EtcdException(EtcdErrorKind.AuthenticationFailed, e.StatusCode,
                $"etcd at {Endpoint.GetLeftPart(UriPartial.Authority)} refused user '{user}': {(e.EtcdMessage ?? e.Message).TrimEnd('.')}. Check the user name and password.", e.EtcdMessage, Endpoint, "Auth.Authenticate", e);
        }
    }

    public Task<AuthEnableResponse> AuthEnableAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.AuthEnable, new AuthEnableRequest(), timeout, cancellationToken);

    public Task<AuthUserAddResponse> UserAddAsync(string name, string password, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.UserAdd, new AuthUserAddRequest { Name = name, Password = password, Options = new UserAddOptions() }, timeout, cancellationToken);

    public Task<AuthRoleAddResponse> RoleAddAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.RoleAdd, new AuthRoleAddRequest { Name = name }, timeout, cancellationToken);

    public Task<AuthUserGrantRoleResponse> UserGrantRoleAsync(string user, string role, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.UserGrantRole, new AuthUserGrantRoleRequest { User = user, Role = role }, timeout, cancellationToken);

    // ---- plumbing ----

    private async Task<TResponse> CallAsync<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, TRequest request, TimeSpan? timeout, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest> where TResponse : class, IMessage<TResponse>
    {
        if (!ReferenceEquals(method, EtcdMethods.MemberList)) await EnsureExpectedClusterAsync(timeout, cancellationToken).ConfigureAwait(false);
        var headers = await GetAuthHeadersAsync(cancellationToken).ConfigureAwait(false);
        TResponse response;
        try
        {
            response = await _transport.UnaryCallAsync(method, request, Options(timeout, headers, cancellationToken)).ConfigureAwait(false);
        }
        catch (EtcdException e) when (headers is not null && IsStaleToken(e))
        {
            // Tokens expire (simple tokens after 5 min idle) or go stale when the auth store changes: once more with a new one.
            headers = await GetAuthHeadersAsync(cancellationToken, renew: true).ConfigureAwait(false);
            response = await _transport.UnaryCallAsync(method, request, Options(timeout, headers, cancellationToken)).ConfigureAwait(false);
        }
        var header = ResponseHeaders.Of(response);
        CheckClusterId(header, method.DisplayName);
        if (header is { ClusterId: not 0 }) _clusterChecked = true;
        return response;
    }

    /// <summary>
    /// Before this client's first call to a member whose cluster is expected: a member list, whose
    /// header names the cluster, so a write never reaches another cluster only to be refused after.
    /// </summary>
    private async Task EnsureExpectedClusterAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (Settings.ExpectedClusterId is null || _clusterChecked) return;
        await MemberListAsync(timeout: timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        _clusterChecked = true;
    }

    /// <summary>
    /// Fails with <see cref="EtcdErrorKind.ClusterMismatch"/> when <paramref name="header"/> comes from
    /// another cluster than <see cref="EtcdConnectionSettings.ExpectedClusterId"/>.
    /// </summary>
    public void CheckClusterId(ResponseHeader? header, string? method = null)
    {
        if (Settings.ExpectedClusterId is not { } expected || header is null || header.ClusterId == 0 || header.ClusterId == expected) return;
        throw new EtcdException(EtcdErrorKind.ClusterMismatch, GrpcStatusCode.FailedPrecondition,
            $"{Endpoint.GetLeftPart(UriPartial.Authority)} belongs to cluster {MemberId.Format(header.ClusterId)}, not to cluster {MemberId.Format(expected)} that was expected: "
            + "an object piped from one cluster, or a connection made to it, met the endpoints of another. Nothing was changed. Pass -Connection or -Endpoint for the cluster you mean.",
            endpoint: Endpoint, method: method);
    }

    private static bool IsStaleToken(EtcdException e) => e.ServerError is EtcdServerError.InvalidAuthToken or EtcdServerError.AuthOldRevision;

    private GrpcCallOptions Options(TimeSpan? timeout, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken) =>
        new(Timeout: timeout ?? Settings.CommandTimeout, Headers: headers, CancellationToken: cancellationToken);

    private async ValueTask<IReadOnlyDictionary<string, string>?> GetAuthHeadersAsync(CancellationToken cancellationToken, bool renew = false)
    {
        if (Settings.Username is null) return null;
        var current = _token;
        if (current is null || renew)
        {
            await _authLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_token is null || _token == current)
                    _token = await AuthenticateAsync(Settings.Username, Settings.Password ?? "", cancellationToken: cancellationToken).ConfigureAwait(false);
                current = _token;
            }
            finally
            {
                _authLock.Release();
            }
        }
        return new Dictionary<string, string> { ["token"] = current! };
    }

    public void Dispose()
    {
        if (_ownsTransport) _transport.Dispose();
        _authLock.Dispose();
    }
}

/// <summary>How far a snapshot download is.</summary>
public readonly record struct SnapshotProgress(long BytesReceived, long BytesRemaining, TimeSpan Elapsed);

/// <summary>A finished snapshot: size, its verified SHA-256, and the revision and member it came from (0 when etcd's responses carry no header, as 3.4's do).</summary>
public sealed record SnapshotResult(long Bytes, string Sha256, long Revision, ulong MemberId, TimeSpan Elapsed);
