using EtcdTools.Protocol.Mvccpb;

namespace EtcdTools.Keys;

/// <summary>
/// One change seen by Watch-EtcdKey. A DELETE carries the key and the revision of the delete only
/// (its value is empty), unless the previous value was asked for.
/// </summary>
public sealed class EtcdWatchEvent
{
    /// <summary>PUT or DELETE.</summary>
    public string Type { get; init; } = "";

    public string Key { get; init; } = "";

    /// <summary>The new value as text (see <see cref="EtcdKeyValue.Value"/>); null for a DELETE.</summary>
    public string? Value { get; init; }

    /// <summary>utf8, base64, redacted, or none for a DELETE.</summary>
    public string ValueEncoding { get; init; } = "";

    public byte[]? RawValue { get; init; }

    /// <summary>The revision of this change.</summary>
    public long ModRevision { get; init; }

    /// <summary>The revision the key was created at; 0 for a DELETE.</summary>
    public long CreateRevision { get; init; }

    /// <summary>The key's version after this change; 0 for a DELETE.</summary>
    public long Version { get; init; }

    public string? Lease { get; init; }

    /// <summary>The value before this change, as text; only with -PrevKv and when the key existed.</summary>
    public string? PreviousValue { get; init; }

    /// <summary>The modification revision of the previous value; null without one.</summary>
    public long? PreviousModRevision { get; init; }

    /// <summary>True when the values are withheld because the key holds a secret.</summary>
    public bool IsRedacted { get; init; }

    public static EtcdWatchEvent From(Event change, bool showSecret = false)
    {
        var kv = change.Kv;
        var key = KeyValueText.DecodeKey(kv.Key);
        var isPut = change.Type == Event.Types.EventType.Put;
        var (value, encoding, raw, redacted) = EtcdKeyValue.DescribeValue(key, kv.Value.Span, isPut, showSecret);
        string? previous = null;
        long? previousRevision = null;
        if (change.PrevKv is { } prev)
        {
            var (prevText, _, _, prevRedacted) = EtcdKeyValue.DescribeValue(key, prev.Value.Span, true, showSecret);
            previous = prevText;
            previousRevision = prev.ModRevision;
            redacted |= prevRedacted;
        }
        return new EtcdWatchEvent
        {
            Type = isPut ? "PUT" : "DELETE",
            Key = key,
            Value = value,
            ValueEncoding = encoding,
            RawValue = raw,
            ModRevision = kv.ModRevision,
            CreateRevision = kv.CreateRevision,
            Version = kv.Version,
            Lease = kv.Lease == 0 ? null : LeaseId.Format(kv.Lease),
            PreviousValue = previous,
            PreviousModRevision = previousRevision,
            IsRedacted = redacted,
        };
    }

    public override string ToString() => $"{Type} {Key}";
}
