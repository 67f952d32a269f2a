using System.Buffers.Binary;

namespace EtcdTools.Snapshots;

/// <summary>
/// One of bbolt's two meta pages (pages 0 and 1): the page size, the root bucket, the freelist, the
/// high-water mark and the transaction that wrote it, sealed by an FNV-64a checksum. bbolt reads
/// the valid one with the higher transaction ID.
/// </summary>
internal sealed record BoltMeta
{
    public const uint Magic = 0xED0CDAED;
    public const uint Version = 2;

    /// <summary>The freelist pointer of a database whose freelist is not written (NoFreelistSync).</summary>
    public const ulong NoFreelist = ulong.MaxValue;

    /// <summary>magic, version, pageSize, flags, root bucket (16), freelist, pgid, txid: the bytes the checksum covers.</summary>
    private const int ChecksummedBytes = 56;
    private const int Size = ChecksummedBytes + 8;

    public int Index { get; init; }
    public uint PageSize { get; init; }
    public ulong RootPage { get; init; }
    public ulong FreelistPage { get; init; }

    /// <summary>bbolt's pgid: the number of pages the database uses; everything at or above it is unused.</summary>
    public ulong HighWaterMark { get; init; }
    public ulong TxId { get; init; }

    /// <summary>Why the page is unusable; null for a valid meta page.</summary>
    public string? Problem { get; init; }

    public bool IsValid => Problem is null;

    /// <summary>Reads meta page <paramref name="index"/> from <paramref name="page"/> (at least its header and meta).</summary>
    public static BoltMeta Read(int index, ReadOnlySpan<byte> page)
    {
        if (page.Length < BoltFile.PageHeaderSize + Size)
            return new BoltMeta { Index = index, Problem = "the file ends inside it" };
        var header = BoltFile.ReadHeader(page);
        var meta = page.Slice(BoltFile.PageHeaderSize, Size);
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(meta);
        var version = BinaryPrimitives.ReadUInt32LittleEndian(meta[4..]);
        var pageSize = BinaryPrimitives.ReadUInt32LittleEndian(meta[8..]);
        var checksum = BinaryPrimitives.ReadUInt64LittleEndian(meta[ChecksummedBytes..]);
        var computed = Fnv64a(meta[..ChecksummedBytes]);
        string? problem =
            magic != Magic ? $"its magic number is 0x{magic:x8}, not bbolt's 0x{Magic:x8}: this is not a bbolt database"
            : version != Version ? $"its format version is {version}, not bbolt's {Version}"
            // bbolt accepts a zero checksum (files from before checksums existed).
            : checksum != 0 && checksum != computed ? $"its FNV-64a checksum is 0x{checksum:x16} but its contents hash to 0x{computed:x16}"
            : (header.Flags & BoltPageHeader.MetaFlag) == 0 ? $"its page type is {header.Kind}, not meta"
            : header.Id != (ulong)index ? $"its header says page {header.Id}"
            : pageSize < 512 || pageSize > 1 << 20 || !uint.IsPow2(pageSize) ? $"its page size {pageSize} is not a power of two between 512 and 1 MiB"
            : null;
        return new BoltMeta
        {
            Index = index,
            PageSize = pageSize,
            RootPage = BinaryPrimitives.ReadUInt64LittleEndian(meta[16..]),
            FreelistPage = BinaryPrimitives.ReadUInt64LittleEndian(meta[32..]),
            HighWaterMark = BinaryPrimitives.ReadUInt64LittleEndian(meta[40..]),
            TxId = BinaryPrimitives.ReadUInt64LittleEndian(meta[48..]),
            Problem = problem,
        };
    }

    /// <summary>
    /// What else a valid meta page must say to be followed: pages that exist. bbolt panics on these
    /// when writing; a file that breaks them is damaged.
    /// </summary>
    public string? CheckPointers(long dataLength)
    {
        var pagesInFile = (ulong)dataLength / PageSize;
        if (HighWaterMark < 2) return $"its high-water mark {HighWaterMark} leaves no room for the meta pages";
        if (HighWaterMark > pagesInFile)
            return $"it says the database has {HighWaterMark} pages ({HighWaterMark * PageSize} bytes) but the file holds {pagesInFile}: the file is truncated";
        if (RootPage < 2 || RootPage >= HighWaterMark) return $"its root bucket page {RootPage} is outside the database (pages 2 to {HighWaterMark - 1})";
        if (FreelistPage != NoFreelist && (FreelistPage < 2 || FreelistPage >= HighWaterMark))
            return $"its freelist page {FreelistPage} is outside the database (pages 2 to {HighWaterMark - 1})";
        return null;
    }

    private static ulong Fnv64a(ReadOnlySpan<byte> bytes)
    {
        var hash = 0xcbf29ce484222325UL;
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= 0x100000001b3UL;
        }
        return hash;
    }
}
