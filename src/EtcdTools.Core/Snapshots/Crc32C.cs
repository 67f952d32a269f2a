using System.Numerics;
using System.Runtime.InteropServices;

namespace EtcdTools.Snapshots;

/// <summary>
/// CRC-32 with the Castagnoli polynomial, as Go's crc32.MakeTable(crc32.Castagnoli) and etcd's
/// hashes use it, on the CPU's CRC32C instruction where there is one. The running value is kept
/// inverted between appends: start with <see cref="Initial"/>, finish with <see cref="Finish"/>.
/// </summary>
internal static class Crc32C
{
    public const uint Initial = uint.MaxValue;

    public static uint Append(uint state, ReadOnlySpan<byte> bytes)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        foreach (var word in words)
            state = BitOperations.Crc32C(state, word);
        foreach (var b in bytes[(words.Length * sizeof(ulong))..])
            state = BitOperations.Crc32C(state, b);
        return state;
    }

    /// <summary>
    /// Appends the same bytes to two running CRCs at once: the two chains are independent, so the
    /// CPU overlaps them and both cost about what one does.
    /// </summary>
    public static void Append(ref uint first, ref uint second, ReadOnlySpan<byte> bytes)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        uint a = first, b = second;
        foreach (var word in words)
        {
            a = BitOperations.Crc32C(a, word);
            b = BitOperations.Crc32C(b, word);
        }
        foreach (var x in bytes[(words.Length * sizeof(ulong))..])
        {
            a = BitOperations.Crc32C(a, x);
            b = BitOperations.Crc32C(b, x);
        }
        first = a;
        second = b;
    }

    public static uint Finish(uint state) => ~state;
}
