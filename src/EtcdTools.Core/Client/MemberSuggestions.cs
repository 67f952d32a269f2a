namespace EtcdTools.Client;

/// <summary>A member as Tab offers it: plain text, so the module never handles protocol types itself.</summary>
public sealed record MemberSuggestion(string Name, string Id, string ClientUrls, bool IsLearner);

/// <summary>What Tab completes a member to: the cluster's members, from one member list.</summary>
public static class MemberSuggestions
{
    public static async Task<IReadOnlyList<MemberSuggestion>> SuggestAsync(EtcdCluster cluster, CancellationToken cancellationToken)
    {
        var list = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        return list.Members
            .Select(m => new MemberSuggestion(m.Name, MemberId.Format(m.ID), string.Join(",", m.ClientURLs), m.IsLearner))
            .OrderBy(m => m.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();
    }
}
