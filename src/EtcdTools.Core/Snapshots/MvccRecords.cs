using System.Buffers.Binary;
using EtcdTools.Protocol;

namespace EtcdTools.Snapshots;

/// <summary>
/// A key of etcd's "key" bucket: the revision that wrote the entry, 8 bytes of main revision,
/// '_', 8 bytes of sub revision (big-endian), and a trailing 't' when the entry is a deletion (tombstone).
/// </summary>
internal readonly record struct MvccRevision(long Main, long Sub, bool IsTombstone)
{
    private const int Length = 17;

    public static bool TryRead(ReadOnlySpan<byte> key, out MvccRevision revision)
    {
        revision = default;
        if (key.Length is not (Length or Length + 1) || key[8] != (byte)'_' || (key.Length == Length + 1 && key[Length] != (byte)'t')) return false;
        revision = new MvccRevision(BinaryPrimitives.ReadInt64BigEndian(key), BinaryPrimitives.ReadInt64BigEndian(key[9..]), key.Length == Length + 1);
        return true;
    }
}

/// <summary>
/// The fields of an mvccpb.KeyValue read in place, without copying the key or value: the key bucket
/// holds one per revision. Protobuf field numbers: key 1, create_revision 2, mod_revision 3,
/// version 4, value 5, lease 6.
/// </summary>
internal ref struct MvccKeyValue
{
    public ReadOnlySpan<byte> Key;
    public long CreateRevision;
    public long ModRevision;
    public long Version;
    public int ValueLength;
    public long Lease;

    /// <summary>Parses <paramref name="bytes"/>; false when they are not a well-formed KeyValue.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out MvccKeyValue kv)
    {
        kv = default;
        var at = 0;
        while (at < bytes.Length)
        {
            if (!ProtoWire.TryReadField(bytes, ref at, out var field, out var wireType, out var number, out var start, out var length)) return false;
            switch (field, wireType)
            {
                case (1, ProtoWire.LengthDelimitedType): kv.Key = bytes.Slice(start, length); break;
                case (2, ProtoWire.VarintType): kv.CreateRevision = (long)number; break;
                case (3, ProtoWire.VarintType): kv.ModRevision = (long)number; break;
                case (4, ProtoWire.VarintType): kv.Version = (long)number; break;
                case (5, ProtoWire.LengthDelimitedType): kv.ValueLength = length; break;
                case (6, ProtoWire.VarintType): kv.Lease = (long)number; break;
            }
        }
        return true;
    }
}
