using System.Buffers.Binary;
using System.Text;

namespace EtcdTools.Snapshots;

/// <summary>What a walk of the database reports, in bbolt's order (buckets and keys sorted bytewise).</summary>
internal interface IBoltVisitor
{
    /// <summary>A top-level bucket begins; its entries follow.</summary>
    void BeginBucket(ReadOnlySpan<byte> name);

    /// <summary>An entry of the current top-level bucket; a nested bucket's entry has an empty value, as bbolt's ForEach gives nil.</summary>
    void Entry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
}

/// <summary>
/// Walks a bbolt database from its meta page the way bbolt's tx.Check does, and stricter: every page
/// of every bucket (branch, leaf, overflow, inline buckets) is inside the database, has its own ID
/// and a branch or leaf type, holds its elements inside itself with keys in order and within the
/// bounds its parent gives, is used once and is not on the freelist; then every page is either used
/// or free. The first problem found is an <see cref="EtcdSnapshotCorruptException"/> naming the page.
/// </summary>
internal sealed class BoltTree
{
    private const uint BucketLeafFlag = 0x01;
    private const int ElementSize = 16;
    private const int BucketHeaderSize = 16;
    private const int MaxDepth = 64;

    private readonly BoltFile _file;
    private readonly BoltMeta _meta;
    private readonly ulong _pageSize;
    private readonly ulong[] _used;
    private readonly ulong[] _free;
    private readonly CancellationToken _cancellationToken;
    private long _pagesSinceCancellationCheck;
    private bool _marking = true;

    public BoltTree(BoltFile file, BoltMeta meta, CancellationToken cancellationToken)
    {
        _file = file;
        _meta = meta;
        _pageSize = meta.PageSize;
        _used = new ulong[(meta.HighWaterMark + 63) / 64];
        _free = new ulong[_used.Length];
        _cancellationToken = cancellationToken;
        Mark(_used, 0);
        Mark(_used, 1);
    }

    /// <summary>Pages on the freelist (when the database writes one).</summary>
    public long FreePages { get; private set; }

    /// <summary>Pages used by buckets, the freelist and the meta pages.</summary>
    public long UsedPages { get; private set; } = 2;

    /// <summary>Reads the freelist: a freelist page whose IDs are inside the database and listed once.</summary>
    public void ReadFreelist()
    {
        if (_meta.FreelistPage == BoltMeta.NoFreelist) return;
        var id = _meta.FreelistPage;
        var page = Page(id, SnapshotCheck.Freelist, "the freelist", out var header);
        if (header.Flags != BoltPageHeader.FreelistFlag)
            throw Corrupt(SnapshotCheck.Freelist, id, $"page {id} should hold the freelist but is a {header.Kind} page");
        MarkUsed(id, header, SnapshotCheck.Freelist, "the freelist");
        ulong count = header.Count;
        var first = BoltFile.PageHeaderSize;
        // A count of 0xFFFF means the real count is the first element.
        if (count == 0xFFFF)
        {
            if (page.Length < first + 8) throw Corrupt(SnapshotCheck.Freelist, id, $"freelist page {id} ends before its element count");
            count = BinaryPrimitives.ReadUInt64LittleEndian(page[first..]);
            first += 8;
        }
        if (count > (ulong)(page.Length - first) / 8)
            throw Corrupt(SnapshotCheck.Freelist, id, $"freelist page {id} lists {count} pages but has room for {(page.Length - first) / 8}");
        for (var i = 0; i < (int)count; i++)
        {
            var free = BinaryPrimitives.ReadUInt64LittleEndian(page[(first + i * 8)..]);
            if (free < 2 || free >= _meta.HighWaterMark)
                throw Corrupt(SnapshotCheck.Freelist, id, $"freelist page {id} lists page {free}, outside the database (pages 2 to {_meta.HighWaterMark - 1})");
            if (IsMarked(_free, free))
                throw Corrupt(SnapshotCheck.Freelist, id, $"freelist page {id} lists page {free} twice (already freed)");
            Mark(_free, free);
        }
        FreePages = (long)count;
    }

    /// <summary>Walks every bucket from the root, reporting the top-level buckets' entries to <paramref name="visitor"/>.</summary>
    public void Walk<TVisitor>(ref TVisitor visitor) where TVisitor : struct, IBoltVisitor =>
        WalkPage(_meta.RootPage, Level.Root, "the root bucket", [], [], hasUpper: false, depth: 0, ref visitor);

    /// <summary>After <see cref="Walk"/>: every page of the database must be in use or free.</summary>
    public void CheckAccounting()
    {
        if (_meta.FreelistPage == BoltMeta.NoFreelist)
        {
            // No freelist written: bbolt takes every page not in use as free.
            FreePages = (long)_meta.HighWaterMark - UsedPages;
            return;
        }
        ulong unaccounted = 0, first = 0;
        for (var word = 0; word < _used.Length; word++)
        {
            var missing = ~(_used[word] | _free[word]);
            if (word == _used.Length - 1 && _meta.HighWaterMark % 64 != 0)
                missing &= (1UL << (int)(_meta.HighWaterMark % 64)) - 1;
            if (missing == 0) continue;
            if (unaccounted == 0) first = (ulong)word * 64 + (ulong)System.Numerics.BitOperations.TrailingZeroCount(missing);
            unaccounted += (ulong)System.Numerics.BitOperations.PopCount(missing);
        }
        if (unaccounted > 0)
            throw Corrupt(SnapshotCheck.PageAccounting, first,
                $"{unaccounted} page(s) are neither in use nor on the freelist (unreachable unfreed), the first is page {first}: the database lost track of them");
    }

    /// <summary>
    /// The value of <paramref name="key"/> in the top-level bucket <paramref name="bucket"/>, by a
    /// B-tree search that checks bounds but marks nothing; false when either is absent.
    /// </summary>
    public bool TryFind(ReadOnlySpan<byte> bucket, ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!TryFindInPage(_meta.RootPage, bucket, "the root bucket", 0, out var bucketValue) || bucketValue.Length < BucketHeaderSize) return false;
        var root = BinaryPrimitives.ReadUInt64LittleEndian(bucketValue);
        if (root != 0) return TryFindInPage(root, key, $"bucket '{Describe(bucket)}'", 0, out value);
        var inline = bucketValue[BucketHeaderSize..];
        return inline.Length >= BoltFile.PageHeaderSize && TryFindInLeaf(inline, key, out value);
    }

    /// <summary>The last key of the top-level bucket <paramref name="bucket"/>, following the last child down; false when the bucket is absent or empty.</summary>
    public bool TryFindLastKey(ReadOnlySpan<byte> bucket, out ReadOnlySpan<byte> key)
    {
        key = default;
        if (!TryFindInPage(_meta.RootPage, bucket, "the root bucket", 0, out var bucketValue) || bucketValue.Length < BucketHeaderSize) return false;
        var id = BinaryPrimitives.ReadUInt64LittleEndian(bucketValue);
        var page = id == 0 ? bucketValue[BucketHeaderSize..] : Page(id, SnapshotCheck.PageTree, $"bucket '{Describe(bucket)}'", out _);
        for (var depth = 0; depth <= MaxDepth && page.Length >= BoltFile.PageHeaderSize; depth++)
        {
            var header = BoltFile.ReadHeader(page);
            if (header.Count == 0) return false;
            if (header.Flags == BoltPageHeader.LeafFlag) return TryLeafElement(page, header.Count - 1, out _, out key, out _);
            if (header.Flags != BoltPageHeader.BranchFlag || !TryBranchElement(page, header.Count - 1, out _, out var child)) return false;
            page = Page(child, SnapshotCheck.PageTree, $"bucket '{Describe(bucket)}'", out _);
        }
        return false;
    }

    /// <summary>Walks the top-level bucket <paramref name="bucket"/> once more, after <see cref="Walk"/> checked it; false when it is absent.</summary>
    public bool Revisit<TVisitor>(ReadOnlySpan<byte> bucket, ref TVisitor visitor) where TVisitor : struct, IBoltVisitor
    {
        if (!TryFindInPage(_meta.RootPage, bucket, "the root bucket", 0, out var bucketValue)) return false;
        _marking = false;
        try
        {
            WalkBucket(bucketValue, Level.Visited, Describe(bucket), _meta.RootPage, 0, ref visitor);
        }
        finally
        {
            _marking = true;
        }
        return true;
    }

    private bool TryFindInPage(ulong id, ReadOnlySpan<byte> key, string owner, int depth, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (depth > MaxDepth) throw Corrupt(SnapshotCheck.PageTree, id, $"the tree of {owner} is deeper than {MaxDepth} levels at page {id}: its pages refer in a loop");
        var page = Page(id, SnapshotCheck.PageTree, owner, out var header);
        if (header.Flags == BoltPageHeader.LeafFlag) return TryFindInLeaf(page, key, out value);
        if (header.Flags != BoltPageHeader.BranchFlag || header.Count == 0) return false;
        // The last child whose first key is at or below the key sought.
        ulong target = 0;
        for (var i = 0; i < header.Count; i++)
        {
            if (!TryBranchElement(page, i, out var childKey, out var child)) return false;
            if (i > 0 && childKey.SequenceCompareTo(key) > 0) break;
            target = child;
        }
        return TryFindInPage(target, key, owner, depth + 1, out value);
    }

    private static bool TryFindInLeaf(ReadOnlySpan<byte> page, ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        var count = BoltFile.ReadHeader(page).Count;
        for (var i = 0; i < count; i++)
        {
            if (!TryLeafElement(page, i, out _, out var elementKey, out value)) return false;
            if (elementKey.SequenceEqual(key)) return true;
        }
        value = default;
        return false;
    }

    private enum Level
    {
        /// <summary>The root bucket, whose entries are the top-level buckets.</summary>
        Root,

        /// <summary>A top-level bucket: its entries go to the visitor.</summary>
        Visited,

        /// <summary>A bucket nested in a bucket: checked only (bbolt's ForEach does not enter it).</summary>
        Nested,
    }

    private void WalkPage<TVisitor>(ulong id, Level level, string owner, ReadOnlySpan<byte> lower, ReadOnlySpan<byte> upper, bool hasUpper, int depth,
        ref TVisitor visitor) where TVisitor : struct, IBoltVisitor
    {
        if (depth > MaxDepth) throw Corrupt(SnapshotCheck.PageTree, id, $"the tree of {owner} is deeper than {MaxDepth} levels at page {id}");
        var page = Page(id, SnapshotCheck.PageTree, owner, out var header);
        if (header.Flags is not (BoltPageHeader.BranchFlag or BoltPageHeader.LeafFlag))
            throw Corrupt(SnapshotCheck.PageTree, id, $"page {id} of {owner} should be a branch or leaf page but is a {header.Kind} page");
        MarkUsed(id, header, SnapshotCheck.PageTree, owner);
        if (++_pagesSinceCancellationCheck % 4096 == 0) _cancellationToken.ThrowIfCancellationRequested();

        if (header.Flags == BoltPageHeader.LeafFlag)
        {
            WalkLeaf(page, id, level, owner, lower, upper, hasUpper, depth, ref visitor);
            return;
        }
        if (header.Count == 0) throw Corrupt(SnapshotCheck.PageTree, id, $"branch page {id} of {owner} has no children");
        ReadOnlySpan<byte> previous = default;
        for (var i = 0; i < header.Count; i++)
        {
            if (!TryBranchElement(page, i, out var key, out var child))
                throw Corrupt(SnapshotCheck.PageTree, id, $"branch page {id} of {owner}: element {i} lies outside the page");
            CheckOrder(key, i == 0 ? lower : previous, strict: i > 0, upper, hasUpper, id, i, owner);
            previous = key;
        }
        for (var i = 0; i < header.Count; i++)
        {
            TryBranchElement(page, i, out var key, out var child);
            var last = i == header.Count - 1;
            ReadOnlySpan<byte> nextKey = default;
            if (!last) TryBranchElement(page, i + 1, out nextKey, out _);
            WalkPage(child, level, owner, key, last ? upper : nextKey, hasUpper || !last, depth + 1, ref visitor);
        }
    }

    private void WalkLeaf<TVisitor>(ReadOnlySpan<byte> page, ulong id, Level level, string owner, ReadOnlySpan<byte> lower, ReadOnlySpan<byte> upper, bool hasUpper,
        int depth, ref TVisitor visitor) where TVisitor : struct, IBoltVisitor
    {
        var count = BoltFile.ReadHeader(page).Count;
        ReadOnlySpan<byte> previous = default;
        for (var i = 0; i < count; i++)
        {
            if (!TryLeafElement(page, i, out var flags, out var key, out var value))
                throw Corrupt(SnapshotCheck.PageTree, id, $"leaf page {id} of {owner}: element {i} lies outside the page");
            if ((flags & ~BucketLeafFlag) != 0)
                throw Corrupt(SnapshotCheck.PageTree, id, $"leaf page {id} of {owner}: element {i} has unknown flags 0x{flags:x}");
            CheckOrder(key, i == 0 ? lower : previous, strict: i > 0, upper, hasUpper, id, i, owner);
            previous = key;
            var isBucket = (flags & BucketLeafFlag) != 0;
            switch (level)
            {
                case Level.Root when !isBucket:
                    throw Corrupt(SnapshotCheck.PageTree, id, $"leaf page {id} of the root bucket holds key '{Describe(key)}' that is not a bucket");
                case Level.Root:
                    visitor.BeginBucket(key);
                    WalkBucket(value, Level.Visited, Describe(key), id, depth, ref visitor);
                    break;
                case Level.Visited:
                    visitor.Entry(key, isBucket ? default : value);
                    if (isBucket) WalkBucket(value, Level.Nested, $"{owner}/{Describe(key)}", id, depth, ref visitor);
                    break;
                default:
                    if (isBucket) WalkBucket(value, Level.Nested, $"{owner}/{Describe(key)}", id, depth, ref visitor);
                    break;
            }
        }
    }

    /// <summary>A bucket's value: its root page, or root 0 and an inline leaf page right after the header.</summary>
    private void WalkBucket<TVisitor>(ReadOnlySpan<byte> value, Level level, string bucket, ulong parent, int depth, ref TVisitor visitor)
        where TVisitor : struct, IBoltVisitor
    {
        if (value.Length < BucketHeaderSize)
            throw Corrupt(SnapshotCheck.PageTree, parent, $"page {parent}: the header of bucket '{bucket}' is {value.Length} bytes, not {BucketHeaderSize}");
        var root = BinaryPrimitives.ReadUInt64LittleEndian(value);
        if (root != 0)
        {
            WalkPage(root, level, $"bucket '{bucket}'", [], [], hasUpper: false, depth + 1, ref visitor);
            return;
        }
        var inline = value[BucketHeaderSize..];
        if (inline.Length < BoltFile.PageHeaderSize || BoltFile.ReadHeader(inline).Flags != BoltPageHeader.LeafFlag)
            throw Corrupt(SnapshotCheck.PageTree, parent, $"page {parent}: the inline page of bucket '{bucket}' is not a leaf page");
        WalkLeaf(inline, parent, level, $"inline bucket '{bucket}' (in page {parent})", [], [], hasUpper: false, depth + 1, ref visitor);
    }

    private void CheckOrder(ReadOnlySpan<byte> key, ReadOnlySpan<byte> after, bool strict, ReadOnlySpan<byte> upper, bool hasUpper, ulong id, int element, string owner)
    {
        var order = key.SequenceCompareTo(after);
        if (order < 0 || (strict && order == 0))
            throw Corrupt(SnapshotCheck.PageTree, id, $"page {id} of {owner}: key {element} '{Describe(key)}' is out of order (not after '{Describe(after)}')");
        if (hasUpper && key.SequenceCompareTo(upper) >= 0)
            throw Corrupt(SnapshotCheck.PageTree, id, $"page {id} of {owner}: key {element} '{Describe(key)}' is not below '{Describe(upper)}', the next key of its parent");
    }

    /// <summary>The page <paramref name="id"/> with its overflow pages, after checking it lies inside the database and carries its own ID.</summary>
    private ReadOnlySpan<byte> Page(ulong id, string check, string owner, out BoltPageHeader header)
    {
        if (id < 2 || id >= _meta.HighWaterMark)
            throw Corrupt(check, id, $"{owner} refers to page {id}, outside the database (pages 2 to {_meta.HighWaterMark - 1})");
        if (!_file.TryRead((long)(id * _pageSize), (long)_pageSize, out var first))
            throw Truncated(check, id, owner);
        header = BoltFile.ReadHeader(first);
        if (header.Id != id)
            throw Corrupt(check, id, $"page {id} of {owner} carries the ID {header.Id} in its header: it is not the page its parent expects");
        if (header.Overflow == 0) return first;
        if (id + header.Overflow >= _meta.HighWaterMark)
            throw Corrupt(check, id, $"page {id} of {owner} continues over {header.Overflow} overflow pages, past the end of the database (page {_meta.HighWaterMark - 1})");
        if (!_file.TryRead((long)(id * _pageSize), (long)((header.Overflow + 1) * _pageSize), out var whole))
            throw Truncated(check, id, owner);
        return whole;
    }

    private void MarkUsed(ulong id, BoltPageHeader header, string check, string owner)
    {
        if (!_marking) return;
        for (var page = id; page <= id + header.Overflow; page++)
        {
            if (IsMarked(_used, page))
                throw Corrupt(check, page, page == id
                    ? $"page {page} ({header.Kind} page of {owner}) is referenced more than once{OverflowOf(page)}"
                    : $"page {page}, overflow of page {id} of {owner}, is also used elsewhere");
            if (IsMarked(_free, page))
                throw Corrupt(check, page, $"page {page} is in use ({header.Kind} page of {owner}) but the freelist lists it as free");
            Mark(_used, page);
        }
        UsedPages += header.Overflow + 1;
    }

    /// <summary>", an overflow page of page N" when an earlier page in use claims <paramref name="page"/> as its overflow; else nothing.</summary>
    private string OverflowOf(ulong page)
    {
        for (var candidate = page - 1; candidate >= 2; candidate--)
        {
            if (!IsMarked(_used, candidate) || !_file.TryRead((long)(candidate * _pageSize), BoltFile.PageHeaderSize, out var bytes)) continue;
            var header = BoltFile.ReadHeader(bytes);
            if (header.Id == candidate && candidate + header.Overflow >= page) return $": page {candidate} claims it as one of its {header.Overflow} overflow pages";
        }
        return "";
    }

    private static bool TryBranchElement(ReadOnlySpan<byte> page, int index, out ReadOnlySpan<byte> key, out ulong child)
    {
        var at = BoltFile.PageHeaderSize + index * ElementSize;
        key = default;
        child = 0;
        if (at + ElementSize > page.Length) return false;
        var position = BinaryPrimitives.ReadUInt32LittleEndian(page[at..]);
        var keySize = BinaryPrimitives.ReadUInt32LittleEndian(page[(at + 4)..]);
        child = BinaryPrimitives.ReadUInt64LittleEndian(page[(at + 8)..]);
        var start = (long)at + position;
        if (start + keySize > page.Length) return false;
        key = page.Slice((int)start, (int)keySize);
        return true;
    }

    private static bool TryLeafElement(ReadOnlySpan<byte> page, int index, out uint flags, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        var at = BoltFile.PageHeaderSize + index * ElementSize;
        key = value = default;
        flags = 0;
        if (at + ElementSize > page.Length) return false;
        flags = BinaryPrimitives.ReadUInt32LittleEndian(page[at..]);
        var position = BinaryPrimitives.ReadUInt32LittleEndian(page[(at + 4)..]);
        var keySize = BinaryPrimitives.ReadUInt32LittleEndian(page[(at + 8)..]);
        var valueSize = BinaryPrimitives.ReadUInt32LittleEndian(page[(at + 12)..]);
        var start = (long)at + position;
        if (start + keySize + valueSize > page.Length) return false;
        key = page.Slice((int)start, (int)keySize);
        value = page.Slice((int)(start + keySize), (int)valueSize);
        return true;
    }

    private static bool IsMarked(ulong[] bits, ulong page) => (bits[page / 64] & (1UL << (int)(page % 64))) != 0;

    private static void Mark(ulong[] bits, ulong page) => bits[page / 64] |= 1UL << (int)(page % 64);

    private EtcdSnapshotCorruptException Truncated(string check, ulong id, string owner) =>
        Corrupt(check, id, $"page {id} of {owner} lies past the end of the file ({_file.DataLength} bytes of database, {_file.DataLength / (long)_pageSize} whole pages): the file is truncated");

    private EtcdSnapshotCorruptException Corrupt(string check, ulong page, string message) => new(_file.Path, check, page, message);

    /// <summary>A key or bucket name for messages: text when it is printable, else hex.</summary>
    internal static string Describe(ReadOnlySpan<byte> key)
    {
        const int limit = 64;
        var shown = key[..Math.Min(key.Length, limit)];
        var printable = true;
        foreach (var b in shown)
            if (b < 0x20 || b > 0x7e) { printable = false; break; }
        var text = printable ? Encoding.ASCII.GetString(shown) : "0x" + Convert.ToHexStringLower(shown);
        return key.Length > limit ? text + "..." : text;
    }
}
