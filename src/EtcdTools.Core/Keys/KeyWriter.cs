using EtcdTools.Client;
using EtcdTools.Protocol.Etcdserverpb;
using Google.Protobuf;

namespace EtcdTools.Keys;

/// <summary>Writes keys (Set-EtcdKey).</summary>
public static class KeyWriter
{
    /// <summary>
    /// Puts <paramref name="value"/> at <paramref name="key"/>, attached to <paramref name="leaseId"/> (0 for
    /// none), and returns the key as now stored: its revisions and version come from the answer, not
    /// from a second read that a concurrent writer could race.
    /// </summary>
    public static async Task<EtcdKeyValue> PutAsync(EtcdCluster cluster, string key, ReadOnlyMemory<byte> value, long leaseId = 0,
        bool showSecret = false, CancellationToken cancellationToken = default)
    {
        var range = KeyRange.ForKey(key);
        // prev_kv tells whether the key existed, hence its create revision and version after this put.
        var request = new PutRequest { Key = range.Key, Value = ByteString.CopyFrom(value.Span), Lease = leaseId, PrevKv = true };
        var response = await cluster.InvokeAsync((client, ct) => client.PutAsync(request, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        var revision = response.Header.Revision;
        var previous = response.PrevKv;
        var (text, encoding, raw, redacted) = EtcdKeyValue.DescribeValue(key, value.Span, valueRead: true, showSecret);
        return new EtcdKeyValue
        {
            Key = key,
            Value = text,
            ValueEncoding = encoding,
            RawValue = raw,
            ValueBytes = value.Length,
            CreateRevision = previous is null ? revision : previous.CreateRevision,
            ModRevision = revision,
            Version = previous is null ? 1 : previous.Version + 1,
            Lease = leaseId == 0 ? null : LeaseId.Format(leaseId),
            IsRedacted = redacted,
        };
    }
}
