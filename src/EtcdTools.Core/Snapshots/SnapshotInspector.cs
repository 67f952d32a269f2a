using System.Buffers.Binary;
using System.Diagnostics;
using EtcdTools.Health;

namespace EtcdTools.Snapshots;

/// <summary>Every check of one file, and what it holds when all passed.</summary>
public sealed class SnapshotInspection
{
    internal SnapshotInspection(IReadOnlyList<EtcdSnapshotCheckResult> checks, EtcdSnapshotInfo? info, EtcdSnapshotCorruptException? firstFailure)
    {
        Checks = checks;
        Info = info;
        FirstFailure = firstFailure;
    }

    /// <summary>The checks that ran, in <see cref="SnapshotCheck"/> order; a check that could not run for an earlier failure is left out.</summary>
    public IReadOnlyList<EtcdSnapshotCheckResult> Checks { get; }

    /// <summary>The file's numbers; null when a check failed.</summary>
    public EtcdSnapshotInfo? Info { get; }

    public EtcdSnapshotCorruptException? FirstFailure { get; }

    public bool Passed => FirstFailure is null;
}

/// <summary>
/// Reads an etcd snapshot or a stopped member's db file offline, in the way `etcdctl snapshot status`
/// does (bbolt's consistency check, then the hash, revision and key count over every bucket) and
/// more: the SHA-256 trailer etcd appends to snapshots, both meta pages, and a stricter page walk.
/// </summary>
public static class SnapshotInspector
{
    private static readonly string[] Order =
        [SnapshotCheck.File, SnapshotCheck.Sha256, SnapshotCheck.MetaPages, SnapshotCheck.Freelist, SnapshotCheck.PageTree, SnapshotCheck.PageAccounting, SnapshotCheck.EtcdData];

    /// <summary>The numbers of <paramref name="path"/>; the first failed check as an <see cref="EtcdSnapshotCorruptException"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="checkSha256">
    /// Compare a snapshot's database with the SHA-256 it ends with. It reads every byte through
    /// SHA-256, which takes longer than all the rest; without it the work is etcdctl snapshot status's.
    /// </param>
    /// <param name="cancellationToken">Stops the walk.</param>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static EtcdSnapshotInfo Read(string path, bool checkSha256 = true, CancellationToken cancellationToken = default)
    {
        var inspection = Inspect(path, checkSha256, cancellationToken);
        return inspection.Info ?? throw inspection.FirstFailure!;
    }

    /// <summary>
    /// The revision of a snapshot just saved, from its key bucket's last key: a few pages read, not
    /// the whole file (the SHA-256 already vouched for the bytes).
    /// </summary>
    internal static long ReadRevision(string path)
    {
        using var file = BoltFile.Open(path);
        var tree = new BoltTree(file, SelectMeta(file, out _), CancellationToken.None);
        return tree.TryFindLastKey(KeyHistory.BucketName, out var key) && MvccRevision.TryRead(key, out var revision) ? revision.Main : 0;
    }

    /// <summary>Runs every check on <paramref name="path"/>; a damaged file is a result, not an exception.</summary>
    /// <inheritdoc cref="Read" path="/param"/>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static SnapshotInspection Inspect(string path, bool checkSha256 = true, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var results = new List<EtcdSnapshotCheckResult>();
        EtcdSnapshotCorruptException? firstFailure = null;
        void Pass(string check, string message) => results.Add(new EtcdSnapshotCheckResult { Path = path, Check = check, Message = message });
        void Fail(EtcdSnapshotCorruptException e)
        {
            firstFailure ??= e;
            results.Add(new EtcdSnapshotCheckResult { Path = path, Check = e.Check, Status = EtcdCheckStatus.Fail, Page = (long?)e.Page, Message = e.Message });
        }
        SnapshotInspection Done(EtcdSnapshotInfo? info) =>
            new(results.OrderBy(r => Array.IndexOf(Order, r.Check)).ToList(), firstFailure is null ? info : null, firstFailure);

        BoltFile file;
        try
        {
            file = BoltFile.Open(path);
        }
        catch (EtcdSnapshotCorruptException e)
        {
            Fail(e);
            return Done(null);
        }
        using (file)
        {
            Pass(SnapshotCheck.File, file.HasSha256Trailer
                ? $"{file.FileLength} bytes: a database of {file.DataLength} bytes and its SHA-256 (a snapshot)"
                : $"{file.FileLength} bytes without a SHA-256 trailer (a member's database file)");
            // The SHA-256 reads the whole file: on another core while this one walks the pages.
            var sha = file.HasSha256Trailer && checkSha256 ? Task.Run(() => file.ComputeSha256(cancellationToken), cancellationToken) : null;
            try
            {
                var info = Walk(file, Pass, Fail, cancellationToken);
                if (!file.HasSha256Trailer)
                {
                    Pass(SnapshotCheck.Sha256, "none to check: a member's database file carries no SHA-256 trailer (Save-EtcdSnapshot files do)");
                }
                else if (sha is null)
                {
                    // Not checked on request: the trailer is reported as it is.
                    if (info is not null) info.Sha256 = Convert.ToHexStringLower(file.Sha256Trailer);
                }
                else
                {
                    var computed = Convert.ToHexStringLower(sha.GetAwaiter().GetResult());
                    var trailer = Convert.ToHexStringLower(file.Sha256Trailer);
                    if (computed == trailer) Pass(SnapshotCheck.Sha256, $"the database matches the SHA-256 it ends with ({trailer})");
                    else Fail(new EtcdSnapshotCorruptException(path, SnapshotCheck.Sha256, null,
                        $"the SHA-256 of the database is {computed} but the snapshot ends with {trailer}: the file changed after etcd wrote it (damaged or altered)"));
                    if (info is not null)
                    {
                        info.Sha256 = trailer;
                        info.Sha256Verified = true;
                    }
                }
                if (info is not null) info.TookMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1);
                return Done(info);
            }
            finally
            {
                // The hash reads the map: it must be done before the file closes.
                if (sha is not null)
                {
                    try { sha.Wait(CancellationToken.None); }
                    catch (AggregateException) { /* cancelled with the inspection */ }
                }
            }
        }
    }

    /// <summary>Meta pages, freelist, page tree, accounting and etcd's buckets; null when the walk could not complete.</summary>
    private static EtcdSnapshotInfo? Walk(BoltFile file, Action<string, string> pass, Action<EtcdSnapshotCorruptException> fail, CancellationToken cancellationToken)
    {
        BoltMeta meta;
        try
        {
            meta = SelectMeta(file, out var other);
            if (other is { IsValid: false }) fail(Corrupt(file, SnapshotCheck.MetaPages, (ulong)other.Index,
                $"meta page {other.Index} is damaged: {other.Problem}. bbolt would still open the file with meta page {meta.Index} (transaction {meta.TxId})"));
            else pass(SnapshotCheck.MetaPages, $"both valid; meta page {meta.Index} is the current one: transaction {meta.TxId}, {meta.HighWaterMark} pages of {meta.PageSize} bytes");
        }
        catch (EtcdSnapshotCorruptException e)
        {
            fail(e);
            return null;
        }

        var tree = new BoltTree(file, meta, cancellationToken);
        var freelistRead = Try(() =>
        {
            tree.ReadFreelist();
            pass(SnapshotCheck.Freelist, meta.FreelistPage == BoltMeta.NoFreelist
                ? "not written (NoFreelistSync): bbolt rebuilds it from the pages not in use"
                : $"page {meta.FreelistPage} lists {tree.FreePages} free page(s)");
        }, fail);

        var compactRevision = 0L;
        var pending = false;
        var status = default(StatusVisitor);
        var walked = Try(() =>
        {
            // Read before the walk: the meta bucket sorts after the key bucket, whose hash depends on it.
            var scheduled = ReadRevision(tree, "scheduledCompactRev"u8);
            var finished = ReadRevision(tree, "finishedCompactRev"u8);
            compactRevision = Math.Max(scheduled, finished);
            pending = scheduled > finished;
            status = new StatusVisitor(new KeyHistory(file, compactRevision, pending));
            tree.Walk(ref status);
            pass(SnapshotCheck.PageTree, $"{tree.UsedPages} page(s) in use by {status.Buckets} bucket(s) holding {status.TotalKeys} entries: types, IDs, bounds and key order are right");
        }, fail);
        if (!walked) return null;
        if (freelistRead && !Try(() =>
        {
            tree.CheckAccounting();
            pass(SnapshotCheck.PageAccounting, $"each of the {meta.HighWaterMark} pages is in use ({tree.UsedPages}) or free ({tree.FreePages})");
        }, fail)) return null;

        var keys = status.Keys;
        long keyCount = 0;
        uint hashKV = 0;
        if (!Try(() =>
        {
            if (!keys.Found)
                throw Corrupt(file, SnapshotCheck.EtcdData, null, "the database has no 'key' bucket: it is not etcd's (v3) data");
            (keyCount, hashKV) = keys.Finish(tree);
            pass(SnapshotCheck.EtcdData, $"{keys.Entries} revision(s) up to {keys.Revision} in the key bucket, {keyCount} key(s) at that revision"
                + (compactRevision > 0 ? $", compacted at {compactRevision}{(pending ? " (compaction not finished)" : "")}" : ""));
        }, fail)) return null;

        return new EtcdSnapshotInfo
        {
            Path = file.Path,
            Revision = keys.Revision,
            TotalKeys = status.TotalKeys,
            TotalSizeBytes = (long)(meta.HighWaterMark * meta.PageSize),
            Hash = Crc32C.Finish(status.Hash),
            KeyCount = keyCount,
            KeyRevisions = keys.Entries,
            CompactRevision = compactRevision,
            HashKV = hashKV,
            FileSizeBytes = file.FileLength,
            HasSha256 = file.HasSha256Trailer,
            PageSize = (int)meta.PageSize,
            FreePages = tree.FreePages,
        };
    }

    /// <summary>
    /// The meta page bbolt would use: the valid one with the higher transaction ID, whose pointers stay
    /// inside the file. Page 0 gives the page size; when it is damaged, page 1 is looked for where
    /// the usual page sizes would put it. <paramref name="other"/> is the other meta page, if found.
    /// </summary>
    internal static BoltMeta SelectMeta(BoltFile file, out BoltMeta? other)
    {
        var meta0 = ReadMeta(file, 0, 0);
        BoltMeta? meta1 = null;
        if (meta0.IsValid)
        {
            meta1 = ReadMeta(file, 1, meta0.PageSize);
            if (meta1.IsValid && meta1.PageSize != meta0.PageSize)
                meta1 = meta1 with { Problem = $"its page size {meta1.PageSize} differs from meta page 0's {meta0.PageSize}" };
        }
        else
        {
            foreach (var size in (uint[])[4096, 512, 1024, 2048, 8192, 16384, 32768, 65536])
            {
                var candidate = ReadMeta(file, 1, size);
                if (candidate.IsValid && candidate.PageSize == size)
                {
                    meta1 = candidate;
                    break;
                }
                meta1 ??= candidate;
            }
        }
        var (first, second) = meta1 is not null && meta1.TxId > meta0.TxId ? (meta1, (BoltMeta?)meta0) : (meta0, meta1);
        var chosen = first.IsValid ? first : second is { IsValid: true } ? second : null;
        if (chosen is null)
            throw Corrupt(file, SnapshotCheck.MetaPages, 0,
                $"neither meta page is valid, so bbolt cannot open it: meta page 0: {meta0.Problem}; meta page 1: {meta1?.Problem ?? "not found"}");
        other = ReferenceEquals(chosen, meta0) ? meta1 : meta0;
        if (chosen.CheckPointers(file.DataLength) is { } problem)
            throw Corrupt(file, SnapshotCheck.MetaPages, (ulong)chosen.Index, $"meta page {chosen.Index} (transaction {chosen.TxId}): {problem}");
        return chosen;
    }

    private static BoltMeta ReadMeta(BoltFile file, int index, long offset)
    {
        const int needed = BoltFile.PageHeaderSize + 64;
        return file.TryRead(offset, needed, out var bytes)
            ? BoltMeta.Read(index, bytes)
            : new BoltMeta { Index = index, Problem = $"the file ({file.DataLength} bytes of database) ends before it, at byte {offset}: it is truncated or not a bbolt database" };
    }

    /// <summary>A revision stored in etcd's meta bucket (main revision of its 17-byte revision key); 0 when absent.</summary>
    private static long ReadRevision(BoltTree tree, ReadOnlySpan<byte> name) =>
        tree.TryFind("meta"u8, name, out var value) && value.Length >= 8 ? BinaryPrimitives.ReadInt64BigEndian(value) : 0;

    private static bool Try(Action step, Action<EtcdSnapshotCorruptException> fail)
    {
        try
        {
            step();
            return true;
        }
        catch (EtcdSnapshotCorruptException e)
        {
            fail(e);
            return false;
        }
    }

    private static EtcdSnapshotCorruptException Corrupt(BoltFile file, string check, ulong? page, string message) => new(file.Path, check, page, message);

    /// <summary>etcdctl snapshot status's walk: the CRC-32C of every bucket's name and entries, and the entry count; the key bucket goes to <see cref="KeyHistory"/>.</summary>
    private struct StatusVisitor(KeyHistory keys) : IBoltVisitor
    {
        private bool _inKeyBucket;

        public uint Hash = Crc32C.Initial;
        public long TotalKeys;
        public int Buckets;

        public readonly KeyHistory Keys => keys;

        public void BeginBucket(ReadOnlySpan<byte> name)
        {
            Hash = Crc32C.Append(Hash, name);
            Buckets++;
            _inKeyBucket = name.SequenceEqual(KeyHistory.BucketName);
            if (_inKeyBucket) keys.Found = true;
        }

        public void Entry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            TotalKeys++;
            if (_inKeyBucket) keys.Add(key, value, ref Hash);
            else Hash = Crc32C.Append(Crc32C.Append(Hash, key), value);
        }
    }
}
