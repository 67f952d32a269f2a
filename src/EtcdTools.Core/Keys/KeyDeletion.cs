using EtcdTools.Client;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Keys;

/// <summary>The outcome of a guarded delete.</summary>
/// <param name="Applied">False when a key of the range changed after the guard revision, so nothing was deleted.</param>
/// <param name="Deleted">Keys deleted (0 when not applied).</param>
/// <param name="Revision">The cluster's revision after the request.</param>
public readonly record struct KeyDeleteResult(bool Applied, long Deleted, long Revision);

/// <summary>
/// Deletes keys so that what is deleted is what the operator confirmed: count first
/// (<see cref="KeyReader.CountAsync"/>), confirm, then delete only if no key of the range was
/// created or modified since that count (one transaction). A range that changed in between is
/// left alone rather than deleting keys nobody saw counted.
/// </summary>
public static class KeyDeletion
{
    /// <summary>
    /// Deletes every key of <paramref name="range"/>; with <paramref name="unchangedSinceRevision"/> (the
    /// revision of the count the operator confirmed) only if no key in the range has a modification
    /// revision after it. Keys deleted meanwhile make the count smaller, never larger, and do not block.
    /// </summary>
    public static async Task<KeyDeleteResult> DeleteAsync(EtcdCluster cluster, KeyRange range, long? unchangedSinceRevision = null,
        CancellationToken cancellationToken = default)
    {
        var delete = new DeleteRangeRequest { Key = range.Key, RangeEnd = range.RangeEnd };
        if (unchangedSinceRevision is not { } guard)
        {
            var plain = await cluster.InvokeAsync((client, ct) => client.DeleteRangeAsync(delete, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            return new KeyDeleteResult(true, plain.Deleted, plain.Header.Revision);
        }

        // A compare with a range end holds only when every key in the range satisfies it (and holds for an empty range).
        var txn = new TxnRequest
        {
            Compare =
            {
                new Compare
                {
                    Key = range.Key,
                    RangeEnd = range.RangeEnd,
                    Target = Compare.Types.CompareTarget.Mod,
                    Result = Compare.Types.CompareResult.Less,
                    ModRevision = guard + 1,
                },
            },
            Success = { new RequestOp { RequestDeleteRange = delete } },
        };
        var response = await cluster.InvokeAsync((client, ct) => client.TxnAsync(txn, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        if (!response.Succeeded) return new KeyDeleteResult(false, 0, response.Header.Revision);
        return new KeyDeleteResult(true, response.Responses[0].ResponseDeleteRange.Deleted, response.Header.Revision);
    }
}
