namespace EtcdTools.Protocol;

/// <summary>
/// Protobuf's wire format read in place, for the few hot paths that must not build a message object
/// per record (snapshot frames, the KeyValues of a snapshot file).
/// </summary>
internal static class ProtoWire
{
    public const int VarintType = 0;
    public const int Fixed64Type = 1;
    public const int LengthDelimitedType = 2;
    public const int Fixed32Type = 5;

    /// <summary>
    /// The field at <paramref name="at"/>: its number, its value for a varint, its bytes' position for
    /// a length-delimited field (fixed-size fields are skipped); false when the bytes are malformed.
    /// </summary>
    public static bool TryReadField(ReadOnlySpan<byte> bytes, ref int at, out int field, out int wireType, out ulong varint, out int start, out int length)
    {
        field = wireType = start = length = 0;
        varint = 0;
        if (!TryReadVarint(bytes, ref at, out var tag) || tag >> 3 is 0 or > int.MaxValue) return false;
        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        switch (wireType)
        {
            case VarintType:
                return TryReadVarint(bytes, ref at, out varint);
            case LengthDelimitedType:
                if (!TryReadVarint(bytes, ref at, out var size) || size > (ulong)(bytes.Length - at)) return false;
                start = at;
                length = (int)size;
                at += length;
                return true;
            case Fixed64Type:
                return Skip(bytes.Length, ref at, 8);
            case Fixed32Type:
                return Skip(bytes.Length, ref at, 4);
            default:
                return false;
        }
    }

    private static bool Skip(int total, ref int at, int size)
    {
        if (total - at < size) return false;
        at += size;
        return true;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> bytes, ref int at, out ulong value)
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
