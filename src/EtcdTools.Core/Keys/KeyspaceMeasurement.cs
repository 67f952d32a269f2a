using EtcdTools.Client;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;
using EtcdTools.Snapshots;
using Google.Protobuf;

namespace EtcdTools.Keys;

/// <summary>What Measure-EtcdKeyspace measures and how it groups.</summary>
public sealed class KeyspaceOptions
{
    /// <summary>Only keys starting with this; "" for all.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>Path segments per prefix; 0 groups /registry/ by Kubernetes resource and namespace, other keys by their first segment.</summary>
    public int Depth { get; init; }

    /// <summary>Keys kept in each top list (largest values, most versions).</summary>
    public int Top { get; init; } = 20;

    /// <summary>Measure the keyspace as it was at this revision (online only); 0 for the current revision.</summary>
    public long Revision { get; init; }

    /// <summary>Key and value bytes one Range page aims at; memory holds about one page.</summary>
    public int PageBytes { get; init; } = DefaultPageBytes;

    public const int DefaultPageBytes = 16 << 20;
}

/// <summary>The outcome of one measurement: the prefixes and the two top lists, at one revision.</summary>
public sealed class KeyspaceReport
{
    internal KeyspaceReport(KeyspaceAggregator aggregator, long revision, string source, int pages)
    {
        Revision = revision;
        Source = source;
        Keys = aggregator.Keys;
        Bytes = aggregator.Bytes;
        Pages = pages;
        Prefixes = aggregator.Prefixes(revision, source);
        LargestKeys = aggregator.LargestKeys(revision, source);
        MostVersions = aggregator.MostVersions(revision, source);
    }

    public long Revision { get; }
    public string Source { get; }
    public long Keys { get; }

    /// <summary>Key and value bytes of every key measured.</summary>
    public long Bytes { get; }

    /// <summary>Range requests made (0 for a snapshot file).</summary>
    public int Pages { get; }

    public IReadOnlyList<EtcdKeyspaceUsage> Prefixes { get; }
    public IReadOnlyList<EtcdKeyspaceKey> LargestKeys { get; }
    public IReadOnlyList<EtcdKeyspaceKey> MostVersions { get; }
}

/// <summary>How far a measurement is: keys read of how many.</summary>
public readonly record struct KeyspaceProgress(long KeysRead, long TotalKeys);

/// <summary>
/// Measure-EtcdKeyspace's work. Online: Range pages sized by bytes, every page at the revision of
/// the first, each response read in place (no object per key), so memory holds one page however
/// many keys there are. Values come along because etcd's Range has no option to send only their
/// sizes. Offline: the key bucket of a snapshot file, the latest revision of each key counting.
/// </summary>
public static class KeyspaceMeasurement
{
    private const int FirstPageKeys = 5_000;
    private const int MaxPageKeys = 500_000;

    /// <summary>Measures the keyspace of <paramref name="cluster"/> at its current revision.</summary>
    public static async Task<KeyspaceReport> MeasureAsync(EtcdCluster cluster, KeyspaceOptions options, IProgress<KeyspaceProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(options);
        var range = KeyRange.ForPrefix(options.Prefix);
        var aggregator = new KeyspaceAggregator(options.Depth, options.Top);
        if (options.Revision < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Revision, "Revision cannot be negative.");
        long revision = options.Revision, total = 0;
        // Until a page shows how large keys are, assume 256 bytes each.
        var pageKeys = Math.Clamp(options.PageBytes / 256, 1, FirstPageKeys);
        var pages = 0;
        var next = range.Key;
        string? source = null;
        while (true)
        {
            var request = new RangeRequest { Key = next, RangeEnd = range.RangeEnd, Limit = pageKeys, Revision = revision };
            Page page;
            try
            {
                page = await cluster.InvokeAsync(async (client, ct) =>
                {
                    source ??= client.Endpoint.GetLeftPart(UriPartial.Authority);
                    return await client.RangeRawAsync(request, message => ReadPage(message.Span, aggregator), options.PageBytes + (1 << 20), cancellationToken: ct)
                        .ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (EtcdException e) when (e.Kind == EtcdErrorKind.Compacted && pages == 0)
            {
                throw new EtcdException(e.Kind, e.StatusCode,
                    $"Revision {revision} has been compacted: etcd keeps no history before its last compaction. Measure a later revision, or the current one.",
                    e.EtcdMessage, e.Endpoint, e.Method, e);
            }
            catch (EtcdException e) when (e.Kind == EtcdErrorKind.Compacted)
            {
                throw new EtcdException(e.Kind, e.StatusCode,
                    $"Revision {revision} was compacted while the measurement was paging ({aggregator.Keys} keys read): measure again, or a smaller -Prefix so it finishes before the next compaction.",
                    e.EtcdMessage, e.Endpoint, e.Method, e);
            }
            pages++;
            if (pages == 1)
            {
                // The header carries the store's current revision; a read at an older revision is at that one.
                if (revision == 0) revision = page.Revision;
                total = page.Count;
            }
            progress?.Report(new KeyspaceProgress(aggregator.Keys, total));
            if (!page.More || page.Keys == 0) break;
            var perKey = Math.Max(1, page.Bytes / page.Keys);
            pageKeys = (int)Math.Clamp(options.PageBytes / perKey, 1, MaxPageKeys);
            next = UnsafeByteOperations.UnsafeWrap(page.NextKey);
        }
        return new KeyspaceReport(aggregator, revision, source ?? "", pages);
    }

    /// <summary>Measures the keys a snapshot file (or a member's db file) holds at its last revision.</summary>
    public static KeyspaceReport Measure(string path, KeyspaceOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var aggregator = new KeyspaceAggregator(options.Depth, options.Top);
        var prefix = System.Text.Encoding.UTF8.GetBytes(options.Prefix);
        using var file = BoltFile.Open(path);
        var tree = new BoltTree(file, SnapshotInspector.SelectMeta(file, out _), cancellationToken);
        tree.ReadFreelist();
        var latest = new Dictionary<KeyRef, KeyState>(new KeyRefComparer(file));
        var visitor = new LatestKeys(file, latest);
        tree.Walk(ref visitor);
        foreach (var (key, state) in latest)
        {
            var bytes = file.Bytes(key);
            if (state.IsTombstone || !bytes.StartsWith(prefix)) continue;
            aggregator.Add(bytes, state.ValueBytes, state.Version, state.CreateRevision, state.ModRevision, state.Lease);
        }
        return new KeyspaceReport(aggregator, visitor.Revision, System.IO.Path.GetFullPath(path), 0);
    }

    /// <summary>One page's summary; NextKey is the smallest key after the last one read (it and a NUL byte).</summary>
    private readonly record struct Page(long Revision, long Count, bool More, int Keys, long Bytes, byte[] NextKey);

    /// <summary>A RangeResponse read in place: header 1, kvs 2, more 3, count 4. Each KeyValue goes to the aggregator.</summary>
    private static Page ReadPage(ReadOnlySpan<byte> bytes, KeyspaceAggregator aggregator)
    {
        long revision = 0, count = 0, pageBytes = 0;
        var more = false;
        var keys = 0;
        ReadOnlySpan<byte> last = default;
        var at = 0;
        while (at < bytes.Length)
        {
            if (!ProtoWire.TryReadField(bytes, ref at, out var field, out var wireType, out var number, out var start, out var length))
                throw Malformed(bytes.Length);
            switch (field, wireType)
            {
                case (1, ProtoWire.LengthDelimitedType):
                    revision = ReadRevision(bytes.Slice(start, length));
                    break;
                case (2, ProtoWire.LengthDelimitedType):
                    if (!MvccKeyValue.TryRead(bytes.Slice(start, length), out var kv)) throw Malformed(bytes.Length);
                    aggregator.Add(kv.Key, kv.ValueLength, kv.Version, kv.CreateRevision, kv.ModRevision, kv.Lease);
                    keys++;
                    pageBytes += kv.Key.Length + kv.ValueLength;
                    last = kv.Key;
                    break;
                case (3, ProtoWire.VarintType):
                    more = number != 0;
                    break;
                case (4, ProtoWire.VarintType):
                    count = (long)number;
                    break;
            }
        }
        var nextKey = new byte[last.Length + 1];
        last.CopyTo(nextKey);
        return new Page(revision, count, more, keys, pageBytes, nextKey);
    }

    /// <summary>ResponseHeader.revision (field 3).</summary>
    private static long ReadRevision(ReadOnlySpan<byte> header)
    {
        var at = 0;
        while (at < header.Length && ProtoWire.TryReadField(header, ref at, out var field, out var wireType, out var number, out _, out _))
            if (field == 3 && wireType == ProtoWire.VarintType) return (long)number;
        return 0;
    }

    private static EtcdException Malformed(int length) =>
        new(EtcdErrorKind.Protocol, GrpcStatusCode.Internal, $"A RangeResponse of {length} bytes is malformed.", method: "KV.Range");

    private readonly record struct KeyState(bool IsTombstone, int ValueBytes, long Version, long CreateRevision, long ModRevision, long Lease);

    /// <summary>The latest entry of every key in the key bucket.</summary>
    private struct LatestKeys(BoltFile file, Dictionary<KeyRef, KeyState> latest) : IBoltVisitor
    {
        private bool _inKeyBucket;

        public long Revision { get; private set; }

        public void BeginBucket(ReadOnlySpan<byte> name) => _inKeyBucket = name.SequenceEqual(KeyHistory.BucketName);

        public void Entry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            if (!_inKeyBucket) return;
            var kv = KeyHistory.Read(file, key, value, out var revision);
            Revision = revision.Main;
            latest[file.RefOf(kv.Key)] = new KeyState(revision.IsTombstone, kv.ValueLength, kv.Version, kv.CreateRevision, kv.ModRevision, kv.Lease);
        }
    }
}
