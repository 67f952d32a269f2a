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
    /// <summary>The server ended the stream.</summary>
    StreamEnded,
}

/// <summary>
/// A watch on one member, read batch by batch so the reader sets the pace (etcd's flow control
/// holds the rest). It starts on the first endpoint that answers; a start revision that was
/// compacted fails the first read with <see cref="EtcdErrorKind.Compacted"/>.
/// </summary>
public sealed class KeyWatch : IAsyncDisposable
{
    private readonly KeyWatchOptions _options;
    private readonly CancellationToken _callerToken;
    private readonly CancellationTokenSource _limit;
    private readonly IAsyncEnumerator<WatchResponse> _responses;
    private int _delivered;

    private KeyWatch(KeyWatchOptions options, EtcdClient client, long startRevision, long currentRevision, CancellationToken callerToken)
    {
        _options = options;
        _callerToken = callerToken;
        Endpoint = client.Endpoint;
        StartRevision = startRevision;
        CurrentRevision = currentRevision;
        _limit = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        if (options.Duration is { } duration && duration != Timeout.InfiniteTimeSpan) _limit.CancelAfter(duration);
        var request = new WatchCreateRequest
        {
            Key = options.Range.Key,
            RangeEnd = options.Range.RangeEnd,
            StartRevision = startRevision,
            PrevKv = options.PreviousValues,
        };
        _responses = client.WatchAsync(request, _limit.Token).GetAsyncEnumerator(_limit.Token);
    }

    /// <summary>The member watched.</summary>
    public Uri Endpoint { get; }

    /// <summary>The first revision whose changes are reported.</summary>
    public long StartRevision { get; }

    /// <summary>The cluster's revision when the watch started.</summary>
    public long CurrentRevision { get; }

    public int EventsDelivered => _delivered;

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
        return new KeyWatch(options, client, start, revision, cancellationToken);
    }

    /// <summary>
    /// The next batch of events (never empty), or null once the watch has ended without an error
    /// (see <see cref="EndReason"/>). Throws <see cref="OperationCanceledException"/> when the
    /// caller's token is cancelled and <see cref="EtcdException"/> when etcd cancels the watch.
    /// </summary>
    public async Task<IReadOnlyList<EtcdWatchEvent>?> ReadNextAsync()
    {
        if (EndReason != KeyWatchEnd.None) return null;
        while (true)
        {
            bool more;
            try
            {
                more = await _responses.MoveNextAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!_callerToken.IsCancellationRequested && _limit.IsCancellationRequested)
            {
                EndReason = KeyWatchEnd.TimedOut;
                return null;
            }
            catch (EtcdException e) when (e.Kind == EtcdErrorKind.Compacted)
            {
                throw new EtcdException(e.Kind, e.StatusCode,
                    $"Cannot watch from revision {StartRevision}: {e.EtcdMessage ?? e.Message}. Watch from a revision after the last compaction, or omit the start revision to watch from now.",
                    e.EtcdMessage, e.Endpoint, e.Method, e);
            }
            if (!more)
            {
                EndReason = KeyWatchEnd.StreamEnded;
                return null;
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
            return batch;
        }
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
