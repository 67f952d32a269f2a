using EtcdTools.Client;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Keys;

/// <summary>What to watch and for how long (see <see cref="KeyWatch"/>).</summary>
public sealed class KeyWatchOptions
{
    public KeyWatchOptions(KeyRange range)
    {
        Range = range ?? throw new ArgumentNullException(nameof(range));
    }

    public KeyRange Range { get; }

    /// <summary>Replay history from this revision on; 0 to start after the current revision.</summary>
    public long StartRevision { get; init; }

    /// <summary>Ask etcd for each key's previous value.</summary>
    public bool PreviousValues { get; init; }

    public bool ShowSecrets { get; init; }

    /// <summary>End after this many events; 0 for no limit.</summary>
    public int MaxEvents { get; init; }

    /// <summary>End quietly after this long; null to watch until cancelled.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>How long to look for another member when the watched one is lost, before giving up.</summary>
    public TimeSpan ResumeTimeout { get; init; } = KeyWatch.DefaultResumeTimeout;

    /// <summary>Called each time the watch moves to another member, before events flow again.</summary>
    public Func<KeyWatchResumption, ValueTask>? Resumed { get; init; }
}

/// <summary>Why a watch ended without an error.</summary>
public enum KeyWatchEnd
{
    /// <summary>Still watching.</summary>
    None,
    /// <summary><see cref="KeyWatchOptions.MaxEvents"/> events were delivered.</summary>
    CountReached,
    /// <summary><see cref="KeyWatchOptions.Duration"/> elapsed.</summary>
    TimedOut,
}

/// <summary>The watch lost its member and carries on at another, from the revision after the last it delivered.</summary>
public sealed record KeyWatchResumption(Uri LostEndpoint, string Reason, Uri Endpoint, long FromRevision);

/// <summary>
/// A watch, read batch by batch so the reader sets the pace (etcd's flow control holds the rest).
/// It starts on the first endpoint that answers. When that member is lost (killed, hung past the
/// keep-alive, without a leader for three election timeouts, or ending the stream), the watch
/// resumes on another member from the revision after the last event it delivered, so no event is
/// lost or repeated: etcd sends all events of one revision in one response, and responses are
/// delivered whole. A start revision that was compacted (at the start, or by the time of a
/// resumption) ends the watch with <see cref="EtcdErrorKind.Compacted"/>: events are never skipped silently.
/// </summary>
public sealed class KeyWatch : IAsyncDisposable
{
    /// <summary>Long enough for an election after the leader's loss (a few seconds), short enough for a runbook to notice a dead cluster.</summary>
    public static readonly TimeSpan DefaultResumeTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan ResumeRetryInterval = TimeSpan.FromMilliseconds(500);

    private readonly EtcdCluster _cluster;
    private readonly KeyWatchOptions _options;
    private readonly CancellationToken _callerToken;
    private readonly CancellationTokenSource _limit;
    private IAsyncEnumerator<WatchResponse> _responses;
    private long _lastRevision;
    private int _delivered;

    private KeyWatch(EtcdCluster cluster, KeyWatchOptions options, EtcdClient client, long startRevision, long currentRevision, CancellationToken callerToken)
    {
        _cluster = cluster;
        _options = options;
        _callerToken = callerToken;
        Endpoint = client.Endpoint;
        StartRevision = startRevision;
        CurrentRevision = currentRevision;
        _lastRevision = startRevision - 1;
        _limit = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        if (options.Duration is { } duration && duration != Timeout.InfiniteTimeSpan) _limit.CancelAfter(duration);
        _responses = Open(client, startRevision);
    }

    /// <summary>The member watched now.</summary>
    public Uri Endpoint { get; private set; }

    /// <summary>The first revision whose changes are reported.</summary>
    public long StartRevision { get; }

    /// <summary>The cluster's revision when the watch started.</summary>
    public long CurrentRevision { get; }

    /// <summary>The revision of the last event delivered (StartRevision - 1 before the first).</summary>
    public long LastRevision => _lastRevision;

    public int EventsDelivered => _delivered;

    /// <summary>How many times the watch moved to another member.</summary>
    public int Resumptions { get; private set; }

    public KeyWatchEnd EndReason { get; private set; }

    /// <summary>
    /// Starts watching. <paramref name="cancellationToken"/> stays bound to the watch: cancelling it
    /// later ends the next read with <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<KeyWatch> StartAsync(EtcdCluster cluster, KeyWatchOptions options, CancellationToken cancellationToken = default)
    {
        if (options.StartRevision < 0) throw new ArgumentOutOfRangeException(nameof(options), options.StartRevision, "StartRevision cannot be negative.");
        if (options.MaxEvents < 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxEvents, "MaxEvents cannot be negative.");
        // A cheap read finds a member that answers and the current revision, so a watch "from now"
        // starts at a known revision and misses nothing written after this point.
        var probe = new RangeRequest { Key = options.Range.Key, RangeEnd = options.Range.RangeEnd, CountOnly = true };
        var (client, revision) = await cluster.InvokeAsync(async (c, ct) =>
        {
            var response = await c.RangeAsync(probe, cancellationToken: ct).ConfigureAwait(false);
            return (c, response.Header.Revision);
        }, cancellationToken).ConfigureAwait(false);
        var start = options.StartRevision > 0 ? options.StartRevision : revision + 1;
        return new KeyWatch(cluster, options, client, start, revision, cancellationToken);
    }

    private IAsyncEnumerator<WatchResponse> Open(EtcdClient client, long fromRevision)
    {
        var request = new WatchCreateRequest
        {
            Key = _options.Range.Key,
            RangeEnd = _options.Range.RangeEnd,
            StartRevision = fromRevision,
            PrevKv = _options.PreviousValues,
        };
        return client.WatchAsync(request, _limit.Token).GetAsyncEnumerator(_limit.Token);
    }

    /// <summary>
    /// The next batch of events (never empty), or null once the watch has ended without an error
    /// (see <see cref="EndReason"/>). Throws <see cref="OperationCanceledException"/> when the
    /// caller's token is cancelled and <see cref="EtcdException"/> when etcd cancels the watch or
    /// no member can take it over.
    /// </summary>
    public async Task<IReadOnlyList<EtcdWatchEvent>?> ReadNextAsync()
    {
        if (EndReason != KeyWatchEnd.None) return null;
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await _responses.MoveNextAsync().ConfigureAwait(false);
                }
                catch (EtcdException e) when (e.Kind == EtcdErrorKind.Compacted)
                {
                    throw Compacted(e);
                }
                catch (EtcdException e) when (e.IsFailoverCandidate)
                {
                    await ResumeAsync(e.Message).ConfigureAwait(false);
                    continue;
                }
                if (!more)
                {
                    // A watch never ends on its own: the member is shutting down.
                    await ResumeAsync("it ended the watch stream (shutting down?)").ConfigureAwait(false);
                    continue;
                }
                var response = _responses.Current;
                if (response.Events.Count == 0) continue; // progress notifications
                var batch = new List<EtcdWatchEvent>(response.Events.Count);
                foreach (var change in response.Events)
                {
                    batch.Add(EtcdWatchEvent.From(change, _options.ShowSecrets));
                    if (_options.MaxEvents > 0 && _delivered + batch.Count >= _options.MaxEvents)
                    {
                        EndReason = KeyWatchEnd.CountReached;
                        break;
                    }
                }
                _delivered += batch.Count;
                _lastRevision = batch[^1].ModRevision;
                return batch;
            }
        }
        catch (OperationCanceledException) when (!_callerToken.IsCancellationRequested && _limit.IsCancellationRequested)
        {
            EndReason = KeyWatchEnd.TimedOut;
            return null;
        }
    }

    private EtcdException Compacted(EtcdException e)
    {
        var from = _lastRevision + 1;
        var message = Resumptions == 0
            ? $"Cannot watch from revision {from}: {e.EtcdMessage ?? e.Message}. Watch from a revision after the last compaction, or omit the start revision to watch from now."
            : $"Events were lost: the watch moved to {Endpoint.GetLeftPart(UriPartial.Authority)} to resume from revision {from} (the last it delivered was {_lastRevision}), "
              + $"but that history had been compacted meanwhile ({e.EtcdMessage ?? e.Message}). The changes between revision {from} and the compaction are gone: "
              + "read the keys afresh (Get-EtcdKey) and start a new watch from the revision of that read.";
        return new EtcdException(e.Kind, e.StatusCode, message, e.EtcdMessage, e.Endpoint, e.Method, e);
    }

    /// <summary>
    /// Moves the watch to another member that answers a linearizable read (so it is part of the
    /// quorum), from the revision after the last delivered. The lost member is tried last: it may
    /// be back. Gives up after <see cref="KeyWatchOptions.ResumeTimeout"/>.
    /// </summary>
    private async Task ResumeAsync(string reason)
    {
        var lost = Endpoint;
        try { await _responses.DisposeAsync().ConfigureAwait(false); }
        catch (Exception e) when (e is EtcdException or OperationCanceledException) { /* the stream is gone already */ }

        var from = _lastRevision + 1;
        var deadline = DateTime.UtcNow + _options.ResumeTimeout;
        var last = reason;
        while (true)
        {
            foreach (var candidate in await CandidatesAsync(lost).ConfigureAwait(false))
            {
                var client = _cluster.GetClient(candidate);
                try
                {
                    await client.GetAsync(Health.EtcdHealthProbe.HealthKey, cancellationToken: _limit.Token).ConfigureAwait(false);
                }
                catch (EtcdException e) when (e.Kind == EtcdErrorKind.PermissionDenied)
                {
                    // A user who may not read "health" was still answered through raft, as the health probe counts it.
                }
                catch (EtcdException e) when (e.IsFailoverCandidate)
                {
                    last = e.Message;
                    continue;
                }
                _responses = Open(client, from);
                Endpoint = client.Endpoint;
                Resumptions++;
                if (_options.Resumed is { } resumed)
                    await resumed(new KeyWatchResumption(lost, reason, client.Endpoint, from)).ConfigureAwait(false);
                return;
            }
            if (DateTime.UtcNow >= deadline)
                throw new EtcdException(EtcdErrorKind.Unavailable, Protocol.GrpcStatusCode.Unavailable,
                    $"The watch lost {lost.GetLeftPart(UriPartial.Authority)} ({reason.TrimEnd('.')}) and no other member took it over within {Duration.Format(_options.ResumeTimeout)} (last: {last.TrimEnd('.')}). "
                    + $"Every event up to revision {_lastRevision} was delivered: watch again from revision {from} once the cluster is back.");
            await Task.Delay(ResumeRetryInterval, _limit.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Every voting member's client URL and the configured endpoints, the lost member last.</summary>
    private async Task<IReadOnlyList<Uri>> CandidatesAsync(Uri lost)
    {
        var urls = new List<Uri>();
        var discovery = await MemberDiscovery.DiscoverAsync(_cluster, cancellationToken: _limit.Token).ConfigureAwait(false);
        // Learners serve no watches.
        foreach (var member in discovery.Members.Where(m => !m.IsLearner))
            if (_cluster.PreferredClientUrl(member) is { } url) urls.Add(url);
        urls.AddRange(_cluster.Endpoints);
        return urls.Distinct().OrderBy(u => u == lost).ToList();
    }

    /// <summary>Every event until the watch ends (count, duration, cancellation or an error).</summary>
    public async IAsyncEnumerable<EtcdWatchEvent> ReadAllAsync()
    {
        while (await ReadNextAsync().ConfigureAwait(false) is { } batch)
            foreach (var change in batch)
                yield return change;
    }

    /// <summary>Ends the watch stream.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_limit.IsCancellationRequested) await _limit.CancelAsync().ConfigureAwait(false);
        try { await _responses.DisposeAsync().ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        catch (EtcdException) { }
        _limit.Dispose();
    }
}
