using EtcdTools.Client;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Keys;

/// <summary>
/// What Tab completes a key to: the keys starting with what was typed, folded at the next '/'
/// (typing "/registry/po" offers "/registry/pods/", not every pod). Bounded so a Tab press costs
/// one small serializable read: at most <see cref="KeyLimit"/> keys, keys only.
/// </summary>
public static class KeySuggestions
{
    public const int KeyLimit = 1000;

    /// <summary>Distinct completions in key order; fewer when the range holds more than <see cref="KeyLimit"/> keys.</summary>
    public static async Task<IReadOnlyList<string>> SuggestAsync(EtcdCluster cluster, string typed, CancellationToken cancellationToken)
    {
        var range = KeyRange.ForPrefix(typed);
        var request = new RangeRequest { Key = range.Key, RangeEnd = range.RangeEnd, KeysOnly = true, Serializable = true, Limit = KeyLimit };
        var response = await cluster.InvokeAsync((client, ct) => client.RangeAsync(request, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        return Fold(typed, response.Kvs.Select(kv => kv.Key.ToStringUtf8()));
    }

    /// <summary>Each key cut after the first '/' that follows <paramref name="typed"/>, once each.</summary>
    public static IReadOnlyList<string> Fold(string typed, IEnumerable<string> keys)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var key in keys)
        {
            if (!key.StartsWith(typed, StringComparison.Ordinal)) continue;
            var slash = key.IndexOf('/', typed.Length);
            var suggestion = slash < 0 ? key : key[..(slash + 1)];
            if (seen.Add(suggestion)) result.Add(suggestion);
        }
        return result;
    }
}
