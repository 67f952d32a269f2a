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

    public static uint Finish(uint state) => ~state;
}
