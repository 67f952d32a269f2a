namespace EtcdTools.Snapshots;

/// <summary>
/// Reads etcd's "key" bucket (revision → mvcc KeyValue, in revision order) as one walk passes
/// through it, for the numbers a restored member would give: the keys that exist at the last
/// revision, and HashKV at it. etcd's HashKV (3.4 store.HashByRev) is the CRC-32C of "key" and of
/// every entry, except that entries at or below the compact revision count only when they are the
/// latest revision of a key that exists (unless no key exists at all).
/// </summary>
/// <remarks>
/// After a compaction has finished, the entries at or below it are exactly one per key that existed
/// then: the key count follows from creations (version 1) and deletions after it, and only keys
/// written since need remembering. A compaction still pending (its scheduled revision above the
/// finished one) or a deletion at or below the compact revision breaks that, and a map of every
/// key's latest revision is used instead.
/// </remarks>
internal sealed class KeyHistory
{
    public static ReadOnlySpan<byte> BucketName => "key"u8;

    private readonly BoltFile _file;
    private readonly long _compactRevision;
    private readonly HashSet<KeyRef>? _writtenSinceCompaction;
    private Dictionary<KeyRef, MvccRevision>? _latest;
    private long _keyCount;
    private uint _unfiltered = Crc32C.Append(Crc32C.Initial, BucketName);
    private bool _irregular;

    public KeyHistory(BoltFile file, long compactRevision, bool compactionPending)
    {
        _file = file;
        _compactRevision = compactRevision;
        if (compactionPending) _latest = new Dictionary<KeyRef, MvccRevision>(new KeyRefComparer(file));
        else if (compactRevision > 0) _writtenSinceCompaction = new HashSet<KeyRef>(new KeyRefComparer(file));
    }

    /// <summary>True once the walk met the key bucket.</summary>
    public bool Found { get; set; }

    /// <summary>The main revision of the last entry: etcdctl snapshot status's revision.</summary>
    public long Revision { get; private set; }

    public long Entries { get; private set; }

    /// <summary>
    /// One entry of the key bucket, in order. <paramref name="statusHash"/> is etcdctl's running hash,
    /// updated here together with HashKV's over the same bytes.
    /// </summary>
    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ref uint statusHash)
    {
        var kv = Read(_file, key, value, out var revision);
        Entries++;
        Revision = revision.Main;
        Crc32C.Append(ref statusHash, ref _unfiltered, key);
        Crc32C.Append(ref statusHash, ref _unfiltered, value);
        if (_latest is not null)
        {
            _latest[_file.RefOf(kv.Key)] = revision;
            return;
        }
        if (revision.Main <= _compactRevision)
        {
            _irregular |= revision.IsTombstone;
            _keyCount++;
            return;
        }
        if (revision.IsTombstone) _keyCount--;
        else if (kv.Version == 1) _keyCount++;
        _writtenSinceCompaction?.Add(_file.RefOf(kv.Key));
    }

    /// <summary>After the walk: the key count and HashKV, walking the key bucket again when entries must be left out of the hash.</summary>
    public (long KeyCount, uint HashKV) Finish(BoltTree tree)
    {
        if (_irregular && _latest is null)
        {
            var latest = new Dictionary<KeyRef, MvccRevision>(new KeyRefComparer(_file));
            var collector = new LatestRevisions(_file, latest);
            tree.Revisit(BucketName, ref collector);
            _latest = latest;
        }
        var keyCount = _latest is null ? _keyCount : _latest.Values.Count(r => !r.IsTombstone);
        var filtered = _compactRevision > 0 && keyCount > 0 && (_latest is not null || _writtenSinceCompaction!.Count > 0);
        if (!filtered) return (keyCount, Crc32C.Finish(_unfiltered));
        var hasher = new HashKVHasher(_file, _compactRevision, _latest, _writtenSinceCompaction);
        tree.Revisit(BucketName, ref hasher);
        return (keyCount, Crc32C.Finish(hasher.State));
    }

    /// <summary>An entry's revision and KeyValue; invalid ones are not etcd's data.</summary>
    internal static MvccKeyValue Read(BoltFile file, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out MvccRevision revision)
    {
        if (!MvccRevision.TryRead(key, out revision))
            throw new EtcdSnapshotCorruptException(file.Path, SnapshotCheck.EtcdData, null,
                $"the key bucket holds the key '{BoltTree.Describe(key)}' ({key.Length} bytes), which is not a revision: this is not etcd's data or it is damaged");
        if (!MvccKeyValue.TryRead(value, out var kv))
            throw new EtcdSnapshotCorruptException(file.Path, SnapshotCheck.EtcdData, null,
                $"the key bucket's entry at revision {revision.Main}_{revision.Sub} is not a valid mvcc KeyValue ({value.Length} bytes)");
        return kv;
    }

    /// <summary>The latest revision of every key, for the irregular cases.</summary>
    private readonly struct LatestRevisions(BoltFile file, Dictionary<KeyRef, MvccRevision> latest) : IBoltVisitor
    {
        public void BeginBucket(ReadOnlySpan<byte> name) { }

        public void Entry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            var kv = Read(file, key, value, out var revision);
            latest[file.RefOf(kv.Key)] = revision;
        }
    }

    /// <summary>HashKV over the key bucket, leaving out entries at or below the compact revision that are not the latest of a key that exists.</summary>
    private struct HashKVHasher(BoltFile file, long compactRevision, Dictionary<KeyRef, MvccRevision>? latest, HashSet<KeyRef>? writtenSince) : IBoltVisitor
    {
        public uint State = Crc32C.Append(Crc32C.Initial, BucketName);

        public readonly void BeginBucket(ReadOnlySpan<byte> name) { }

        public void Entry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            var kv = Read(file, key, value, out var revision);
            if (revision.Main <= compactRevision)
            {
                var reference = file.RefOf(kv.Key);
                var current = latest is null
                    ? !writtenSince!.Contains(reference)
                    : latest.TryGetValue(reference, out var newest) && newest.Main == revision.Main && newest.Sub == revision.Sub;
                if (revision.IsTombstone || !current) return;
            }
            State = Crc32C.Append(Crc32C.Append(State, key), value);
        }
    }
}
