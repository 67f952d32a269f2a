using EtcdTools.Client;
using EtcdTools.Keys;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Maintenance;

/// <summary>A member that could not be hashed.</summary>
public sealed record MemberHashFailure(string MemberId, string Name, string? Endpoint, EtcdException Error);

/// <summary>The outcome of one comparison: every member's hash or its failure, at one revision.</summary>
public sealed class HashComparisonResult
{
    internal HashComparisonResult(long revision, IReadOnlyList<EtcdMemberHash> hashes, IReadOnlyList<MemberHashFailure> failures)
    {
        Revision = revision;
        Hashes = hashes;
        Failures = failures;
    }

    /// <summary>The revision every member hashed.</summary>
    public long Revision { get; }

    /// <summary>The members that answered, in member-list order.</summary>
    public IReadOnlyList<EtcdMemberHash> Hashes { get; }

    public IReadOnlyList<MemberHashFailure> Failures { get; }

    /// <summary>The members whose hash differs from the majority's (all of them when there is no majority).</summary>
    public IReadOnlyList<EtcdMemberHash> Mismatched => Hashes.Where(h => !h.Matches).ToList();

    /// <summary>True when at least two members answered and all answered the same hash.</summary>
    public bool AllMatch => Hashes.Count >= 2 && Hashes.All(h => h.Matches);

    /// <summary>One sentence naming the members that differ, or null when none does.</summary>
    public string? DescribeMismatch()
    {
        var mismatched = Mismatched;
        if (mismatched.Count == 0) return null;
        static string Name(EtcdMemberHash h) => $"{(h.Name.Length > 0 ? h.Name : h.MemberId)} ({h.MemberId}) has {h.HashHex}";
        var matching = Hashes.Where(h => h.Matches).ToList();
        return matching.Count == 0
            ? $"The members' hashes at revision {Revision} disagree with no majority: {string.Join("; ", Hashes.Select(Name))}."
            : $"At revision {Revision}, {string.Join("; ", mismatched.Select(Name))}, while {string.Join(", ", matching.Select(h => h.Name.Length > 0 ? h.Name : h.MemberId))} {(matching.Count == 1 ? "has" : "have")} {matching[0].HashHex}. A member whose keyspace differs from the others' is corrupt: do not let it become leader, and replace it from a healthy member's snapshot.";
    }
}

/// <summary>
/// Compares every member's HashKV at one revision. Hashing "the latest revision" on each member
/// mismatches under load, since each member's latest differs; so the revision is fixed first
/// (read once from the cluster) and every member hashes exactly it. A member that has not yet
/// applied that revision is asked again until it has, within its timeout.
/// </summary>
public static class HashComparison
{
    private static readonly TimeSpan LaggingRetryDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Hashes every member at <paramref name="revision"/> (0: the cluster's current revision, read
    /// once). Throws when the revision is compacted or in the future; a member that fails is a
    /// <see cref="HashComparisonResult.Failures"/> entry, and the others still report.
    /// </summary>
    public static async Task<HashComparisonResult> CompareAsync(EtcdCluster cluster, long revision = 0, TimeSpan? perMemberTimeout = null,
        CancellationToken cancellationToken = default)
    {
        if (revision < 0) throw new ArgumentOutOfRangeException(nameof(revision), revision, "The revision cannot be negative.");
        var fixedRevision = await ResolveRevisionAsync(cluster, revision, cancellationToken).ConfigureAwait(false);
        var members = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        var order = members.Members.Select((m, i) => (m.ID, i)).ToDictionary(x => x.ID, x => x.i);

        var answered = new List<(Member Member, Uri? Endpoint, HashKVResponse Response, TimeSpan Took)>();
        var failures = new List<(Member Member, MemberHashFailure Failure)>();
        await foreach (var result in cluster.ForEachMemberAsync(members.Members,
                           (client, member, ct) => HashAtAsync(client, member, fixedRevision, cancellationToken, ct),
                           perMemberTimeout, cancellationToken).ConfigureAwait(false))
        {
            if (result.Succeeded)
                answered.Add((result.Member, result.Endpoint, result.Value!, result.Took));
            else
                failures.Add((result.Member, new MemberHashFailure(MemberId.Format(result.Member.ID), result.Member.Name, FormatEndpoint(result.Endpoint), result.Error!)));
        }

        // HashKV refuses the compaction revision itself (Range accepts it), so the check above can
        // pass and the members still refuse: then no member can be compared at all.
        if (failures.Select(f => f.Failure).FirstOrDefault(f => f.Error.Kind == EtcdErrorKind.Compacted) is { } compacted)
        {
            throw new EtcdException(EtcdErrorKind.Compacted, compacted.Error.StatusCode,
                $"Revision {fixedRevision} has been compacted, so no member can hash it (HashKV needs a revision after the last compaction, not the compaction revision itself): compare at a later revision, or at the current one (omit the revision).",
                compacted.Error.EtcdMessage, compacted.Error.Endpoint, compacted.Error.Method, compacted.Error);
        }

        var majority = MajorityHash(answered.Select(a => a.Response.Hash));

        var hashes = answered
            .OrderBy(a => order.GetValueOrDefault(a.Member.ID, int.MaxValue))
            .Select(a => new EtcdMemberHash
            {
                MemberId = MemberId.Format(a.Member.ID),
                ClusterId = MemberId.Format(members.Header.ClusterId),
                Name = a.Member.Name,
                Endpoint = FormatEndpoint(a.Endpoint),
                Revision = fixedRevision,
                CompactRevision = a.Response.CompactRevision,
                Hash = a.Response.Hash,
                Matches = majority == a.Response.Hash,
                TookMs = Math.Round(a.Took.TotalMilliseconds, 1),
            })
            .ToList();
        return new HashComparisonResult(fixedRevision, hashes,
            failures.OrderBy(f => order.GetValueOrDefault(f.Member.ID, int.MaxValue)).Select(f => f.Failure).ToList());
    }

    /// <summary>The hash more members hold than any other; null for a tie (or no hash at all).</summary>
    internal static uint? MajorityHash(IEnumerable<uint> hashes)
    {
        var groups = hashes.GroupBy(h => h).Select(g => (Hash: g.Key, Count: g.Count())).OrderByDescending(g => g.Count).ToList();
        return groups.Count == 1 || (groups.Count > 1 && groups[0].Count > groups[1].Count) ? groups[0].Hash : null;
    }

    /// <summary>
    /// The revision to compare at: the given one once checked to exist (neither compacted nor in the
    /// future), or the cluster's current revision from one linearizable read.
    /// </summary>
    private static async Task<long> ResolveRevisionAsync(EtcdCluster cluster, long revision, CancellationToken cancellationToken)
    {
        var probe = new RangeRequest { Key = KeyRange.ForPrefix("").Key, RangeEnd = KeyRange.ForPrefix("").RangeEnd, CountOnly = true, Revision = revision };
        try
        {
            var response = await cluster.InvokeAsync((client, ct) => client.RangeAsync(probe, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            return revision > 0 ? revision : response.Header.Revision;
        }
        catch (EtcdException e) when (e.Kind == EtcdErrorKind.Compacted)
        {
            throw new EtcdException(e.Kind, e.StatusCode,
                $"Revision {revision} has been compacted, so no member can hash it: compare at a revision after the last compaction, or at the current one (omit the revision).",
                e.EtcdMessage, e.Endpoint, e.Method, e);
        }
        catch (EtcdException e) when (e.ServerError == EtcdServerError.FutureRevision)
        {
            throw new EtcdException(EtcdErrorKind.InvalidArgument, e.StatusCode,
                $"Revision {revision} is in the future: the cluster has not reached it yet. Compare at the current revision (omit the revision) or an earlier one.",
                e.EtcdMessage, e.Endpoint, e.Method, e);
        }
    }

    private static async Task<HashKVResponse> HashAtAsync(EtcdClient client, Member member, long revision, CancellationToken callerToken, CancellationToken memberToken)
    {
        while (true)
        {
            try
            {
                return await client.HashKVAsync(revision, Timeout.InfiniteTimeSpan, memberToken).ConfigureAwait(false);
            }
            catch (EtcdException e) when (e.ServerError == EtcdServerError.FutureRevision)
            {
                // A follower a few entries behind the one that told us the revision: wait for it to apply.
                try
                {
                    await Task.Delay(LaggingRetryDelay, memberToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
                {
                    throw new EtcdException(EtcdErrorKind.Timeout, e.StatusCode,
                        $"Member {member.Name} ({MemberId.Format(member.ID)}) at {client.Endpoint.GetLeftPart(UriPartial.Authority)} had not applied revision {revision} before its timeout: it is lagging behind the cluster.",
                        e.EtcdMessage, client.Endpoint, e.Method, e);
                }
            }
        }
    }

    private static string? FormatEndpoint(Uri? endpoint) => endpoint?.GetLeftPart(UriPartial.Authority);
}
