using System.Runtime.CompilerServices;
using EtcdTools.Client;
using EtcdTools.Protocol.Etcdserverpb;
using Google.Protobuf;

namespace EtcdTools.Keys;

/// <summary>What to read: the range and how (see <see cref="KeyReader"/>).</summary>
public sealed class KeyReadOptions
{
    public const int DefaultPageSize = 1000;

    public KeyReadOptions(KeyRange range)
    {
        Range = range ?? throw new ArgumentNullException(nameof(range));
    }

    public KeyRange Range { get; }

    /// <summary>Keys and metadata only: etcd sends no values.</summary>
    public bool KeysOnly { get; init; }

    /// <summary>At most this many keys in all; 0 for no limit.</summary>
    public long Limit { get; init; }

    /// <summary>Read the keyspace as it was at this revision; 0 for the current revision.</summary>
    public long Revision { get; init; }

    /// <summary>Let the member answer from its own state without asking the leader (faster, possibly stale).</summary>
    public bool Serializable { get; init; }

    /// <summary>Show secrets' values instead of redacting them (see <see cref="SecretKeys"/>).</summary>
    public bool ShowSecrets { get; init; }

    /// <summary>
    /// Keys per Range request, fixed; null sizes pages to about <see cref="PageBytes"/> of keys and
    /// values, from what the pages so far held. Few large pages matter on etcd 3.4, whose limited
    /// Range walks the whole rest of the range on every page: 1,000 keys a page made a million-key
    /// listing 12 times slower than one unlimited Range (bench/ keys).
    /// </summary>
    public int? PageSize { get; init; }

    /// <summary>With adaptive pages, the bytes of keys and values one page aims at; memory holds about two pages.</summary>
    public int PageBytes { get; init; } = DefaultPageBytes;

    public const int DefaultPageBytes = 4 * 1024 * 1024;
    public const int MaxAdaptivePageSize = 50_000;

    /// <summary>Deadline of each page's request; null for the connection's CommandTimeout.</summary>
    public TimeSpan? PageTimeout { get; init; }
}

/// <summary>The number of keys in a range and the revision it was counted at.</summary>
public readonly record struct KeyCount(long Count, long Revision);

/// <summary>
/// Reads a range of keys page by page, every page at the revision of the first, so the listing is
/// one consistent picture of the keyspace even while it is being written to, and memory holds one
/// page (plus the one being fetched), not the whole range. Each page continues from the last key
/// read + "\0". One reader reads one listing, one page at a time.
/// </summary>
public sealed class KeyReader
{
    private readonly EtcdCluster _cluster;
    private readonly KeyReadOptions _options;
    private ByteString? _nextKey;
    private long _returned;
    private int _pageSize;

    public KeyReader(EtcdCluster cluster, KeyReadOptions options)
    {
        _cluster = cluster ?? throw new ArgumentNullException(nameof(cluster));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.PageSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.PageSize, "PageSize must be positive.");
        if (options.PageBytes <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.PageBytes, "PageBytes must be positive.");
        _pageSize = options.PageSize ?? KeyReadOptions.DefaultPageSize;
        if (options.Limit < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Limit, "Limit cannot be negative.");
        if (options.Revision < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Revision, "Revision cannot be negative.");
    }

    /// <summary>The revision every page is read at; 0 until the first page is read.</summary>
    public long Revision { get; private set; }

    /// <summary>How many keys the range held at <see cref="Revision"/> (regardless of Limit); null until the first page is read.</summary>
    public long? TotalCount { get; private set; }

    /// <summary>Keys returned so far.</summary>
    public long KeysRead => _returned;

    public int PagesRead { get; private set; }

    /// <summary>True once the last page has been read.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>The next page; empty once the listing is complete.</summary>
    public async Task<IReadOnlyList<EtcdKeyValue>> ReadNextPageAsync(CancellationToken cancellationToken = default)
    {
        if (IsComplete) return [];
        var first = PagesRead == 0;
        long pageLimit = _pageSize;
        if (_options.Limit > 0) pageLimit = Math.Min(pageLimit, _options.Limit - _returned);
        var request = new RangeRequest
        {
            Key = _nextKey ?? _options.Range.Key,
            RangeEnd = _options.Range.RangeEnd,
            Limit = pageLimit,
            Revision = first ? _options.Revision : Revision,
            Serializable = _options.Serializable,
            KeysOnly = _options.KeysOnly,
        };

        RangeResponse response;
        try
        {
            response = await _cluster.InvokeAsync((client, ct) => client.RangeAsync(request, _options.PageTimeout, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (EtcdException e) when (e.Kind == EtcdErrorKind.Compacted)
        {
            throw first
                ? new EtcdException(e.Kind, e.StatusCode,
                    $"Revision {_options.Revision} has been compacted: etcd keeps no history before its last compaction. Read a later revision, or the current one.",
                    e.EtcdMessage, e.Endpoint, e.Method, e)
                : new EtcdException(e.Kind, e.StatusCode,
                    $"Revision {Revision} was compacted while the listing was paging ({_returned} keys read): list again, or list a smaller range so it finishes before the next compaction.",
                    e.EtcdMessage, e.Endpoint, e.Method, e);
        }

        if (first)
        {
            // The header carries the store's current revision; a read at an older revision is at that one.
            Revision = _options.Revision > 0 ? _options.Revision : response.Header.Revision;
            TotalCount = response.Count;
        }
        PagesRead++;
        if (_options.PageSize is null && response.Kvs.Count > 0)
        {
            long bytes = 0;
            foreach (var kv in response.Kvs) bytes += kv.Key.Length + kv.Value.Length;
            var perKey = Math.Max(1, bytes / response.Kvs.Count);
            _pageSize = (int)Math.Clamp(_options.PageBytes / perKey, 1, KeyReadOptions.MaxAdaptivePageSize);
        }

        var page = new List<EtcdKeyValue>(response.Kvs.Count);
        foreach (var kv in response.Kvs)
            page.Add(EtcdKeyValue.From(kv, valueRead: !_options.KeysOnly, showSecret: _options.ShowSecrets));
        _returned += page.Count;

        if (!_options.Range.IsPrefix || !response.More || response.Kvs.Count == 0 || (_options.Limit > 0 && _returned >= _options.Limit))
        {
            IsComplete = true;
        }
        else
        {
            // The smallest key after the last one read.
            var last = response.Kvs[^1].Key;
            var next = new byte[last.Length + 1];
            last.Span.CopyTo(next);
            _nextKey = ByteString.CopyFrom(next);
        }
        return page;
    }

    /// <summary>
    /// Every key of the listing, fetching the next page while the current one is consumed. The
    /// consumer sets the pace: at most two pages are held at any time.
    /// </summary>
    public async IAsyncEnumerable<EtcdKeyValue> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var page = await ReadNextPageAsync(cancellationToken).ConfigureAwait(false);
        Task<IReadOnlyList<EtcdKeyValue>>? next = null;
        try
        {
            while (page.Count > 0)
            {
                next = IsComplete ? null : ReadNextPageAsync(cancellationToken);
                foreach (var item in page)
                    yield return item;
                if (next is null) yield break;
                page = await next.ConfigureAwait(false);
                next = null;
            }
        }
        finally
        {
            // A consumer that stops early leaves a prefetch behind: observe its outcome.
            next?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    /// <summary>How many keys <paramref name="range"/> holds (a count-only Range: no keys are sent).</summary>
    public static async Task<KeyCount> CountAsync(EtcdCluster cluster, KeyRange range, long revision = 0, bool serializable = false,
        CancellationToken cancellationToken = default)
    {
        var request = new RangeRequest
        {
            Key = range.Key,
            RangeEnd = range.RangeEnd,
            Revision = revision,
            Serializable = serializable,
            CountOnly = true,
        };
        try
        {
            var response = await cluster.InvokeAsync((client, ct) => client.RangeAsync(request, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            return new KeyCount(response.Count, revision > 0 ? revision : response.Header.Revision);
        }
        catch (EtcdException e) when (e.Kind == EtcdErrorKind.Compacted)
        {
            throw new EtcdException(e.Kind, e.StatusCode,
                $"Revision {revision} has been compacted: etcd keeps no history before its last compaction. Count at a later revision, or the current one.",
                e.EtcdMessage, e.Endpoint, e.Method, e);
        }
    }

}
