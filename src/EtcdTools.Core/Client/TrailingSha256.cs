using System.Security.Cryptography;

namespace EtcdTools.Client;

/// <summary>
/// The SHA-256 of a stream that ends with the SHA-256 of everything before it, as etcd's snapshot
/// does: the newest 32 bytes are held back from the hash until the stream ends, then compared.
/// </summary>
internal sealed class TrailingSha256 : IDisposable
{
    public const int Size = 32;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _tail = new byte[2 * Size];
    private int _tailLength;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= Size)
        {
            _hash.AppendData(_tail.AsSpan(0, _tailLength));
            _hash.AppendData(bytes[..^Size]);
            bytes[^Size..].CopyTo(_tail);
            _tailLength = Size;
            return;
        }
        // Fewer than 32 new bytes: the oldest held-back bytes are now past the tail.
        bytes.CopyTo(_tail.AsSpan(_tailLength));
        _tailLength += bytes.Length;
        if (_tailLength <= Size) return;
        var released = _tailLength - Size;
        _hash.AppendData(_tail.AsSpan(0, released));
        _tail.AsSpan(released, Size).CopyTo(_tail);
        _tailLength = Size;
    }

    /// <summary>True when the stream ended with the SHA-256 of what came before; <paramref name="digest"/> is that hash.</summary>
    public bool TryVerify(out byte[] digest)
    {
        digest = _hash.GetHashAndReset();
        return _tailLength == Size && _tail.AsSpan(0, Size).SequenceEqual(digest);
    }

    public void Dispose() => _hash.Dispose();
}
