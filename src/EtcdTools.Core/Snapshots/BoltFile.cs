using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;

namespace EtcdTools.Snapshots;

/// <summary>
/// A bbolt database file (etcd's backend) opened read-only through a memory map: a snapshot as
/// etcdctl saves it (the database followed by the SHA-256 of it) or a member's member/snap/db.
/// Every access is bounds-checked against the database part of the file, so a truncated file is
/// an error naming the page, never a read past the end.
/// </summary>
internal sealed unsafe class BoltFile : IDisposable
{
    public const int PageHeaderSize = 16;
    public const int Sha256Size = 32;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;

    private BoltFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        Path = path;
        FileLength = length;
        // etcd's rule (etcdutl snapshot restore): a file whose size is 32 more than a multiple of 512
        // carries the SHA-256 trailer; database files are whole pages, so never do.
        HasSha256Trailer = length % 512 == Sha256Size;
        DataLength = HasSha256Trailer ? length - Sha256Size : length;
        _map = map;
        _view = view;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + view.PointerOffset;
    }

    public string Path { get; }
    public long FileLength { get; }
    public bool HasSha256Trailer { get; }

    /// <summary>The bytes of the database: the file without its SHA-256 trailer.</summary>
    public long DataLength { get; }

    /// <summary>Opens <paramref name="path"/>; an empty file is invalid data, a missing one FileNotFoundException.</summary>
    public static BoltFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        try
        {
            var length = stream.Length;
            if (length == 0)
                throw new EtcdSnapshotCorruptException(path, SnapshotCheck.File, null, $"'{path}' is empty: it is not an etcd snapshot or database file.");
            var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            try
            {
                return new BoltFile(path, length, map, map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read));
            }
            catch
            {
                map.Dispose();
                throw;
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary><paramref name="length"/> bytes of the database at <paramref name="offset"/>; false when they lie past its end.</summary>
    public bool TryRead(long offset, long length, out ReadOnlySpan<byte> bytes)
    {
        if (offset < 0 || length < 0 || length > int.MaxValue || offset > DataLength - length)
        {
            bytes = default;
            return false;
        }
        bytes = new ReadOnlySpan<byte>(_base + offset, (int)length);
        return true;
    }

    /// <summary>Where <paramref name="bytes"/>, a span of this file's map, lies in the file.</summary>
    public KeyRef RefOf(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* pointer = bytes)
            return new KeyRef(pointer - _base, bytes.Length);
    }

    /// <summary>The bytes <paramref name="key"/> refers to.</summary>
    public ReadOnlySpan<byte> Bytes(KeyRef key) => new(_base + key.Offset, key.Length);

    /// <summary>The SHA-256 the file ends with; empty without a trailer.</summary>
    public ReadOnlySpan<byte> Sha256Trailer => HasSha256Trailer ? new ReadOnlySpan<byte>(_base + DataLength, Sha256Size) : default;

    /// <summary>The SHA-256 of the database part, read in large slices.</summary>
    public byte[] ComputeSha256(CancellationToken cancellationToken)
    {
        const int slice = 64 << 20;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long offset = 0; offset < DataLength; offset += slice)
        {
            cancellationToken.ThrowIfCancellationRequested();
            sha.AppendData(new ReadOnlySpan<byte>(_base + offset, (int)Math.Min(slice, DataLength - offset)));
        }
        return sha.GetHashAndReset();
    }

    /// <summary>The header of a page whose first 16 bytes <paramref name="page"/> holds.</summary>
    public static BoltPageHeader ReadHeader(ReadOnlySpan<byte> page) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(page),
        BinaryPrimitives.ReadUInt16LittleEndian(page[8..]),
        BinaryPrimitives.ReadUInt16LittleEndian(page[10..]),
        BinaryPrimitives.ReadUInt32LittleEndian(page[12..]));

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}

/// <summary>A key (or any bytes) inside a <see cref="BoltFile"/>'s map, held without copying it.</summary>
internal readonly record struct KeyRef(long Offset, int Length);

/// <summary>Compares <see cref="KeyRef"/>s by the bytes they refer to, for maps keyed by etcd keys.</summary>
internal sealed class KeyRefComparer(BoltFile file) : IEqualityComparer<KeyRef>
{
    public bool Equals(KeyRef x, KeyRef y) => x.Length == y.Length && file.Bytes(x).SequenceEqual(file.Bytes(y));

    public int GetHashCode(KeyRef key)
    {
        var hash = new HashCode();
        hash.AddBytes(file.Bytes(key));
        return hash.ToHashCode();
    }
}

/// <summary>bbolt's page header: id, flags, element count and the number of overflow pages that follow.</summary>
internal readonly record struct BoltPageHeader(ulong Id, ushort Flags, ushort Count, uint Overflow)
{
    public const ushort BranchFlag = 0x01;
    public const ushort LeafFlag = 0x02;
    public const ushort MetaFlag = 0x04;
    public const ushort FreelistFlag = 0x10;

    public string Kind => Flags switch
    {
        BranchFlag => "branch",
        LeafFlag => "leaf",
        MetaFlag => "meta",
        FreelistFlag => "freelist",
        _ => $"unknown (flags 0x{Flags:x2})",
    };
}
