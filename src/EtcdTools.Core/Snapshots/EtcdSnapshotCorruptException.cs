namespace EtcdTools.Snapshots;

/// <summary>The checks Test-EtcdSnapshot runs on a snapshot or database file, in order.</summary>
public static class SnapshotCheck
{
    /// <summary>The file is there, not empty, and large enough for a bbolt database.</summary>
    public const string File = "File";

    /// <summary>The SHA-256 etcd appends to a snapshot matches the database bytes (a db file has none).</summary>
    public const string Sha256 = "Sha256";

    /// <summary>Both meta pages: magic, version, page size, FNV-64a checksum, and pointers inside the file.</summary>
    public const string MetaPages = "MetaPages";

    /// <summary>The freelist page: its type, its page IDs inside the database, none listed twice.</summary>
    public const string Freelist = "Freelist";

    /// <summary>Every page of every bucket: IDs, types, bounds, keys in order, each page used once and not free.</summary>
    public const string PageTree = "PageTree";

    /// <summary>Every page below the high-water mark is either in use or free.</summary>
    public const string PageAccounting = "PageAccounting";

    /// <summary>etcd's own data: the key bucket holds revisions and mvcc KeyValue records.</summary>
    public const string EtcdData = "EtcdData";
}

/// <summary>
/// A snapshot or database file that is damaged or is not etcd's: which check failed, on which page
/// when one is to blame, and what was found. The module reports it as InvalidData.
/// </summary>
public sealed class EtcdSnapshotCorruptException : IOException
{
    public EtcdSnapshotCorruptException(string path, string check, ulong? page, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
        Check = check;
        Page = page;
    }

    public string Path { get; }

    /// <summary>The failed check, one of <see cref="SnapshotCheck"/>.</summary>
    public string Check { get; }

    /// <summary>The page at fault, when one is.</summary>
    public ulong? Page { get; }
}
