using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Client;

/// <summary>
/// The member list as the first configured endpoint to answer gives it, or every endpoint's failure.
/// </summary>
public sealed class MemberDiscoveryResult
{
    public MemberDiscoveryResult(MemberListResponse? memberList, Uri? answeredBy, IReadOnlyList<EtcdException> failures)
    {
        MemberList = memberList;
        AnsweredBy = answeredBy;
        Failures = failures;
    }

    /// <summary>Null when no endpoint answered.</summary>
    public MemberListResponse? MemberList { get; }

    public Uri? AnsweredBy { get; }

    /// <summary>The endpoints that failed before one answered (all of them when none did), each error naming its endpoint.</summary>
    public IReadOnlyList<EtcdException> Failures { get; }

    public bool Succeeded => MemberList is not null;

    /// <summary>The cluster ID the answering member reported; 0 when none answered.</summary>
    public ulong ClusterId => MemberList?.Header?.ClusterId ?? 0;

    /// <summary>Every member in the answer; empty when none answered.</summary>
    public IReadOnlyList<Member> Members => MemberList?.Members.ToList() ?? [];

    /// <summary>See <see cref="MemberDiscovery.Select"/>; nothing when no endpoint answered.</summary>
    public IReadOnlyList<Member> Select(IEnumerable<string>? idsOrNames, out IReadOnlyList<string> unknown)
    {
        if (MemberList is null)
        {
            unknown = [];
            return [];
        }
        return MemberDiscovery.Select(MemberList, idsOrNames, out unknown);
    }

    /// <summary>The error for an ID or name no member has, naming the members there are.</summary>
    public EtcdException MemberNotFound(string idOrName) =>
        MemberDiscovery.MemberNotFound(MemberList ?? new MemberListResponse(), idOrName);

    public override string ToString() => MemberList is null
        ? $"no endpoint answered ({Failures.Count} failure(s))"
        : $"cluster {MemberId.Format(ClusterId)} with {MemberList.Members.Count} member(s), from {AnsweredBy?.GetLeftPart(UriPartial.Authority)}";

    /// <summary>
    /// One exception for the failure to reach any endpoint: the single failure as it is, else one
    /// of the kind they share, or the first kind that is not about reachability (a TLS or
    /// authentication problem is what to fix first), with every endpoint's message.
    /// </summary>
    public EtcdException ToException() => EtcdException.Combine(Failures);
}

/// <summary>
/// Finds the cluster's members by asking every configured endpoint at once and taking the first
/// answer, so a hung endpoint listed first costs nothing (a failover would wait out its timeout
/// before trying the next). Then selects members by hex ID or name.
/// </summary>
public static class MemberDiscovery
{
    /// <summary>MemberList from every endpoint of <paramref name="cluster"/> in parallel; the first answer wins and the other calls are cancelled.</summary>
    public static async Task<MemberDiscoveryResult> DiscoverAsync(EtcdCluster cluster, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? cluster.Settings.CommandTimeout;
        // Clients first: unusable TLS files throw here, before any call is under way.
        var clients = cluster.Endpoints.Select(cluster.GetClient).ToList();
        using var race = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = clients.Select(client => AskAsync(client, limit, race.Token)).ToList();
        var failures = new List<EtcdException>();
        try
        {
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending).ConfigureAwait(false);
                pending.Remove(done);
                var (endpoint, list, error) = await done.ConfigureAwait(false);
                if (list is not null)
                {
                    cluster.ClusterId = list.Header?.ClusterId ?? 0;
                    return new MemberDiscoveryResult(list, endpoint, failures);
                }
                if (error is not null) failures.Add(error);
            }
        }
        finally
        {
            // The losers of the race; their tasks swallow the cancellation.
            race.Cancel();
        }
        cancellationToken.ThrowIfCancellationRequested();
        return new MemberDiscoveryResult(null, null, failures);
    }

    private static async Task<(Uri Endpoint, MemberListResponse? List, EtcdException? Error)> AskAsync(EtcdClient client, TimeSpan limit, CancellationToken cancellationToken)
    {
        try
        {
            return (client.Endpoint, await client.MemberListAsync(timeout: limit, cancellationToken: cancellationToken).ConfigureAwait(false), null);
        }
        catch (EtcdException e)
        {
            return (client.Endpoint, null, e);
        }
        catch (OperationCanceledException)
        {
            return (client.Endpoint, null, null);
        }
    }

    /// <summary>
    /// The members named by hex ID (as etcdctl prints it) or name, in the order named, or every
    /// member when none is named. Names matching no member come back in <paramref name="unknown"/>.
    /// </summary>
    public static IReadOnlyList<Member> Select(MemberListResponse list, IEnumerable<string>? idsOrNames, out IReadOnlyList<string> unknown)
    {
        var wanted = idsOrNames?.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var missing = new List<string>();
        unknown = missing;
        if (wanted is null || wanted.Count == 0) return list.Members.ToList();
        var selected = new List<Member>();
        foreach (var item in wanted)
        {
            var match = list.Members.FirstOrDefault(m => MemberId.TryParse(item, out var id) && m.ID == id)
                ?? list.Members.FirstOrDefault(m => string.Equals(m.Name, item, StringComparison.OrdinalIgnoreCase));
            if (match is null) missing.Add(item);
            else if (!selected.Contains(match)) selected.Add(match);
        }
        return selected;
    }

    /// <summary>The error for an ID or name no member has, naming the members there are.</summary>
    public static EtcdException MemberNotFound(MemberListResponse list, string idOrName) =>
        new(EtcdErrorKind.MemberNotFound, GrpcStatusCode.NotFound,
            $"No member of cluster {MemberId.Format(list.Header?.ClusterId ?? 0)} has the ID or name '{idOrName}'. Members: "
            + string.Join(", ", list.Members.Select(m => $"{MemberId.Format(m.ID)} ({(m.Name.Length > 0 ? m.Name : "unstarted")})")) + ".");
}
