using EtcdTools.Protocol.Mvccpb;

namespace EtcdTools.Keys;

/// <summary>
/// One key as Get-EtcdKey shows it. Flat for Export-Csv and ConvertTo-Json; <see cref="RawValue"/>
/// is the only non-scalar property (the bytes underneath <see cref="Value"/>) and is left out of
/// the default display.
/// </summary>
public sealed class EtcdKeyValue
{
    public string Key { get; init; } = "";

    /// <summary>The value as UTF-8 text, "base64:..." for binary values, "&lt;redacted: N bytes&gt;" for secrets, null when not read.</summary>
    public string? Value { get; init; }

    /// <summary>utf8, base64, redacted or none (see <see cref="KeyValueText"/>).</summary>
    public string ValueEncoding { get; init; } = "";

    /// <summary>The value's bytes; null when redacted or not read.</summary>
    public byte[]? RawValue { get; init; }

    /// <summary>Length of the value in bytes; null when the value was not read (-KeysOnly).</summary>
    public long? ValueBytes { get; init; }

    public long CreateRevision { get; init; }
    public long ModRevision { get; init; }

    /// <summary>How many times the key was written since it was created (1 for a new key).</summary>
    public long Version { get; init; }

    /// <summary>The lease the key is attached to, in hex as etcdctl shows it; null for none.</summary>
    public string? Lease { get; init; }

    /// <summary>True when the value is withheld because the key holds a secret (see <see cref="SecretKeys"/>).</summary>
    public bool IsRedacted { get; init; }

    /// <summary>
    /// Converts a protocol KeyValue. <paramref name="valueRead"/> is false for keys-only reads, whose
    /// values etcd does not send; secrets are redacted unless <paramref name="showSecret"/>.
    /// </summary>
    public static EtcdKeyValue From(KeyValue kv, bool valueRead = true, bool showSecret = false)
    {
        var key = KeyValueText.DecodeKey(kv.Key);
        var (value, encoding, raw, redacted) = DescribeValue(key, kv.Value.Span, valueRead, showSecret);
        return new EtcdKeyValue
        {
            Key = key,
            Value = value,
            ValueEncoding = encoding,
            RawValue = raw,
            ValueBytes = valueRead ? kv.Value.Length : null,
            CreateRevision = kv.CreateRevision,
            ModRevision = kv.ModRevision,
            Version = kv.Version,
            Lease = kv.Lease == 0 ? null : LeaseId.Format(kv.Lease),
            IsRedacted = redacted,
        };
    }

    internal static (string? Text, string Encoding, byte[]? Raw, bool Redacted) DescribeValue(string key, ReadOnlySpan<byte> value, bool valueRead, bool showSecret)
    {
        if (!valueRead) return (null, KeyValueText.None, null, false);
        if (!showSecret && SecretKeys.IsSecret(key)) return (KeyValueText.RedactedText(value.Length), KeyValueText.Redacted, null, true);
        var (text, encoding) = KeyValueText.Describe(value);
        return (text, encoding, value.ToArray(), false);
    }

    public override string ToString() => Key;
}
