using System.Text;
using Google.Protobuf;

namespace EtcdTools.Keys;

/// <summary>
/// The keys one request covers: a single key, or every key starting with a prefix. An empty
/// prefix means the whole keyspace, spelled as etcd wants it (key and range end both "\0").
/// </summary>
public sealed class KeyRange
{
    private static readonly ByteString NulByte = ByteString.CopyFrom(0);

    private KeyRange(string text, bool isPrefix, ByteString key, ByteString rangeEnd)
    {
        Text = text;
        IsPrefix = isPrefix;
        Key = key;
        RangeEnd = rangeEnd;
    }

    /// <summary>The key or prefix as the user gave it.</summary>
    public string Text { get; }

    public bool IsPrefix { get; }

    /// <summary>True for an empty prefix: every key in the cluster.</summary>
    public bool IsWholeKeyspace => IsPrefix && Text.Length == 0;

    /// <summary>The request's key.</summary>
    public ByteString Key { get; }

    /// <summary>The request's range_end: empty for one key.</summary>
    public ByteString RangeEnd { get; }

    /// <summary>One key. etcd has no empty key, so an empty one is refused.</summary>
    public static KeyRange ForKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
            throw new ArgumentException("An etcd key cannot be empty: give a key, or a prefix with -Prefix.", nameof(key));
        return new KeyRange(key, false, ByteString.CopyFromUtf8(key), ByteString.Empty);
    }

    /// <summary>Every key starting with <paramref name="prefix"/>; "" is the whole keyspace.</summary>
    public static KeyRange ForPrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length == 0)
            return new KeyRange(prefix, true, NulByte, NulByte);
        var bytes = Encoding.UTF8.GetBytes(prefix);
        return new KeyRange(prefix, true, ByteString.CopyFrom(bytes), ByteString.CopyFrom(PrefixEnd(bytes)));
    }

    public static KeyRange Create(string key, bool prefix) => prefix ? ForPrefix(key) : ForKey(key);

    /// <summary>
    /// The first key after every key starting with <paramref name="prefix"/>: the prefix with its last
    /// byte below 0xff incremented and the rest dropped (as etcd's clientv3 computes it); "\0" (no end)
    /// when every byte is 0xff.
    /// </summary>
    public static byte[] PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] < 0xff)
            {
                var end = prefix[..(i + 1)].ToArray();
                end[i]++;
                return end;
            }
        }
        return [0];
    }

    /// <summary>"key '/a'", "prefix '/a/'" or "the whole keyspace", for messages.</summary>
    public string Describe() => IsWholeKeyspace ? "the whole keyspace" : IsPrefix ? $"prefix '{Text}'" : $"key '{Text}'";

    public override string ToString() => Describe();
}
