using System.Globalization;
using System.Text;

namespace EtcdTools.Keys;

/// <summary>
/// Counts keys and bytes per prefix and keeps the top keys by value size and by version, in memory
/// proportional to the number of prefixes and the top lists, not to the keys: each key is seen once,
/// as bytes, and a string is made only for a new prefix or a key entering a top list.
/// </summary>
internal sealed class KeyspaceAggregator
{
    private static readonly byte[] Registry = "/registry/"u8.ToArray();

    private readonly int _depth;
    private readonly int _top;
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly PriorityQueue<Candidate, Candidate> _largest = new(Candidate.LowestFirst);
    private readonly PriorityQueue<Candidate, Candidate> _mostVersions = new(Candidate.LowestFirst);
    private char[] _chars = new char[256];

    /// <param name="depth">Path segments per prefix; 0 groups /registry/ by Kubernetes resource and namespace and other keys by their first segment.</param>
    /// <param name="top">How many keys each top list keeps.</param>
    public KeyspaceAggregator(int depth, int top)
    {
        _depth = depth;
        _top = top;
        _lookup = _groups.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public long Keys { get; private set; }
    public long Bytes { get; private set; }

    public void Add(ReadOnlySpan<byte> key, long valueBytes, long version, long createRevision, long modRevision, long lease)
    {
        Keys++;
        Bytes += key.Length + valueBytes;
        var prefix = key[..PrefixLength(key)];
        if (_chars.Length < Encoding.UTF8.GetMaxCharCount(prefix.Length)) _chars = new char[Encoding.UTF8.GetMaxCharCount(prefix.Length)];
        var chars = _chars.AsSpan(0, Encoding.UTF8.GetChars(prefix, _chars));
        if (!_lookup.TryGetValue(chars, out var group))
        {
            group = new Group(new string(chars));
            _groups.Add(group.Prefix, group);
        }
        group.Keys++;
        group.KeyBytes += key.Length;
        group.ValueBytes += valueBytes;
        // Ties go to the smaller key, so the result does not depend on the order keys come in.
        if (Beats(valueBytes, key, group.LargestValueBytes, group.LargestKey))
        {
            group.LargestValueBytes = valueBytes;
            group.LargestKey = key.ToArray();
        }
        if (Beats(version, key, group.MostVersions, group.MostVersionsKey))
        {
            group.MostVersions = version;
            group.MostVersionsKey = key.ToArray();
        }
        Offer(_largest, valueBytes, key, group, valueBytes, version, createRevision, modRevision, lease);
        Offer(_mostVersions, version, key, group, valueBytes, version, createRevision, modRevision, lease);
    }

    private static bool Beats(long score, ReadOnlySpan<byte> key, long best, byte[]? bestKey) =>
        bestKey is null || score > best || (score == best && key.SequenceCompareTo(bestKey) < 0);

    /// <summary>Every prefix, largest first.</summary>
    public IReadOnlyList<EtcdKeyspaceUsage> Prefixes(long revision, string source) =>
        _groups.Values.OrderByDescending(g => g.KeyBytes + g.ValueBytes).ThenBy(g => g.Prefix, StringComparer.Ordinal).Select(g => new EtcdKeyspaceUsage
        {
            Prefix = g.Prefix,
            Resource = g.Resource,
            Namespace = g.Namespace,
            Keys = g.Keys,
            KeyBytes = g.KeyBytes,
            ValueBytes = g.ValueBytes,
            PercentOfBytes = Bytes == 0 ? 0 : Math.Round(100.0 * (g.KeyBytes + g.ValueBytes) / Bytes, 2),
            LargestKey = g.LargestKey is null ? "" : Encoding.UTF8.GetString(g.LargestKey),
            LargestValueBytes = g.LargestValueBytes,
            MostVersionsKey = g.MostVersionsKey is null ? "" : Encoding.UTF8.GetString(g.MostVersionsKey),
            MostVersions = g.MostVersions,
            Revision = revision,
            Source = source,
        }).ToList();

    public IReadOnlyList<EtcdKeyspaceKey> LargestKeys(long revision, string source) => Ranked(_largest, "LargestKeys", revision, source);

    public IReadOnlyList<EtcdKeyspaceKey> MostVersions(long revision, string source) => Ranked(_mostVersions, "MostVersions", revision, source);

    /// <summary>
    /// How many bytes of <paramref name="key"/> make its prefix. With a depth: that many path
    /// segments (fewer when the key has fewer). Without: /registry/[group/]resource/[namespace/]
    /// for Kubernetes, the first segment for other keys.
    /// </summary>
    internal int PrefixLength(ReadOnlySpan<byte> key)
    {
        if (_depth == 0 && key.StartsWith(Registry)) return KubernetesPrefixLength(key);
        return SegmentPrefixLength(key, _depth == 0 ? 1 : _depth);
    }

    private static int SegmentPrefixLength(ReadOnlySpan<byte> key, int depth)
    {
        // A leading '/' is the root, not a segment: "/a/b/c" at depth 1 is "/a/".
        var needed = depth + (key.Length > 0 && key[0] == '/' ? 1 : 0);
        var end = 0;
        for (var at = 0; at < key.Length && needed > 0; at++)
        {
            if (key[at] != '/') continue;
            end = at + 1;
            needed--;
        }
        return end;
    }

    private static int KubernetesPrefixLength(ReadOnlySpan<byte> key)
    {
        var first = NextSlash(key, Registry.Length);
        if (first < 0) return Registry.Length;
        var segment = key[Registry.Length..first];
        var resourceEnd = first;
        // A group (a name with a dot: apps.openshift.io, cert-manager.io) comes before the resource;
        // services keep their specs and endpoints apart.
        if (segment.Contains((byte)'.') || (segment.SequenceEqual("services"u8) && IsServicePart(key, first)))
        {
            var second = NextSlash(key, first + 1);
            if (second < 0) return first + 1;
            resourceEnd = second;
        }
        var namespaceEnd = NextSlash(key, resourceEnd + 1);
        return namespaceEnd < 0 ? resourceEnd + 1 : namespaceEnd + 1;
    }

    private static bool IsServicePart(ReadOnlySpan<byte> key, int slash)
    {
        var rest = key[(slash + 1)..];
        return rest.StartsWith("specs/"u8) || rest.StartsWith("endpoints/"u8);
    }

    private static int NextSlash(ReadOnlySpan<byte> key, int from)
    {
        var found = key[from..].IndexOf((byte)'/');
        return found < 0 ? -1 : from + found;
    }

    private void Offer(PriorityQueue<Candidate, Candidate> queue, long score, ReadOnlySpan<byte> key, Group group, long valueBytes, long version,
        long createRevision, long modRevision, long lease)
    {
        if (_top == 0) return;
        if (queue.Count == _top && queue.TryPeek(out var lowest, out _) && !Beats(score, key, lowest.Score, lowest.Raw)) return;
        var candidate = new Candidate(score, key.ToArray(), group.Prefix, valueBytes, version, createRevision, modRevision, lease);
        if (queue.Count == _top) queue.EnqueueDequeue(candidate, candidate);
        else queue.Enqueue(candidate, candidate);
    }

    private static List<EtcdKeyspaceKey> Ranked(PriorityQueue<Candidate, Candidate> queue, string rankedBy, long revision, string source) =>
        queue.UnorderedItems.Select(i => i.Element).Order(Candidate.LowestFirst).Reverse().Select((item, index) => new EtcdKeyspaceKey
        {
            RankedBy = rankedBy,
            Rank = index + 1,
            Key = Encoding.UTF8.GetString(item.Raw),
            Prefix = item.Prefix,
            ValueBytes = item.ValueBytes,
            KeyBytes = item.Raw.Length,
            Version = item.Version,
            CreateRevision = item.CreateRevision,
            ModRevision = item.ModRevision,
            Lease = item.Lease == 0 ? "" : item.Lease.ToString("x", CultureInfo.InvariantCulture),
            Revision = revision,
            Source = source,
        }).ToList();

    /// <summary>A key of a top list; <see cref="Score"/> is its value size or version.</summary>
    private sealed record Candidate(long Score, byte[] Raw, string Prefix, long ValueBytes, long Version, long CreateRevision, long ModRevision, long Lease)
    {
        /// <summary>The weakest first: the lower score, or at equal scores the larger key.</summary>
        public static readonly IComparer<Candidate> LowestFirst = Comparer<Candidate>.Create((a, b) =>
            a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Raw.AsSpan().SequenceCompareTo(a.Raw));
    }

    private sealed class Group
    {
        public Group(string prefix)
        {
            Prefix = prefix;
            if (!prefix.StartsWith("/registry/", StringComparison.Ordinal)) return;
            // "/registry/<resource>/" or "/registry/<group or services>/<resource>/", then perhaps "<namespace>/".
            var parts = prefix["/registry/".Length..].TrimEnd('/').Split('/');
            var grouped = parts.Length > 1 && (parts[0].Contains('.', StringComparison.Ordinal) || (parts[0] == "services" && parts[1] is "specs" or "endpoints"));
            var resourceParts = grouped ? 2 : 1;
            Resource = string.Join("/", parts.Take(resourceParts));
            Namespace = parts.Length > resourceParts ? parts[resourceParts] : "";
        }

        public string Prefix { get; }
        public string Resource { get; } = "";
        public string Namespace { get; } = "";
        public long Keys;
        public long KeyBytes;
        public long ValueBytes;
        public byte[]? LargestKey;
        public long LargestValueBytes;
        public byte[]? MostVersionsKey;
        public long MostVersions;
    }
}
