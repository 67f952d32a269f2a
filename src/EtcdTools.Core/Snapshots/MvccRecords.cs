using System.Buffers.Binary;

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
            if (!TryVarint(bytes, ref at, out var tag)) return false;
            var field = tag >> 3;
            switch ((int)(tag & 7))
            {
                case 0:
                    if (!TryVarint(bytes, ref at, out var number)) return false;
                    switch (field)
                    {
                        case 2: kv.CreateRevision = (long)number; break;
                        case 3: kv.ModRevision = (long)number; break;
                        case 4: kv.Version = (long)number; break;
                        case 6: kv.Lease = (long)number; break;
                    }
                    break;
                case 2:
                    if (!TryVarint(bytes, ref at, out var length) || length > (ulong)(bytes.Length - at)) return false;
                    if (field == 1) kv.Key = bytes.Slice(at, (int)length);
                    else if (field == 5) kv.ValueLength = (int)length;
                    at += (int)length;
                    break;
                case 1:
                    if (bytes.Length - at < 8) return false;
                    at += 8;
                    break;
                case 5:
                    if (bytes.Length - at < 4) return false;
                    at += 4;
                    break;
                default:
                    return false;
            }
        }
        return true;
    }

    private static bool TryVarint(ReadOnlySpan<byte> bytes, ref int at, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && at < bytes.Length; shift += 7)
        {
            var b = bytes[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return true;
        }
        return false;
    }
}
