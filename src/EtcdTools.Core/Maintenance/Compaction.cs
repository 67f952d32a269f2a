using System.Diagnostics;
using System.Globalization;
using EtcdTools.Client;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;
using Google.Protobuf;

namespace EtcdTools.Maintenance;

/// <summary>A finished compaction (Invoke-EtcdCompaction).</summary>
public sealed class EtcdCompaction
{
    /// <summary>The cluster in hex.</summary>
    public string ClusterId { get; init; } = "";

    /// <summary>The revision compacted to: history before it is gone; it and later revisions remain readable.</summary>
    public long Revision { get; init; }

    /// <summary>The compaction revision before this one; 0 when the history had never been compacted; null when it could not be found.</summary>
    public long? PreviousCompactRevision { get; init; }

    /// <summary>The cluster's revision when the compaction was planned.</summary>
    public long CurrentRevision { get; init; }

    /// <summary>How many revisions of history were discarded (from the previous compaction revision, or 1, up to Revision); null when the previous one is unknown.</summary>
    public long? DiscardedRevisions { get; init; }

    /// <summary>True when the call waited until the member that took it had applied the compaction to its backend.</summary>
    public bool Physical { get; init; }

    /// <summary>The member that took the request.</summary>
    public string? Endpoint { get; init; }

    public double DurationMs { get; init; }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"compacted to revision {Revision}");
}

/// <summary>What a compaction would do, read before anything changes.</summary>
public sealed class CompactionPlan
{
    internal CompactionPlan(string clusterId, long currentRevision, long? compactRevision, long targetRevision)
    {
        ClusterId = clusterId;
        CurrentRevision = currentRevision;
        CompactRevision = compactRevision;
        TargetRevision = targetRevision;
    }

    public string ClusterId { get; }
    public long CurrentRevision { get; }

    /// <summary>The current compaction revision (0: never compacted); null when it could not be found.</summary>
    public long? CompactRevision { get; }

    /// <summary>The revision to compact to.</summary>
    public long TargetRevision { get; }

    /// <summary>The revisions of history the compaction discards: from the last compaction (or revision 1) up to the target, excluded.</summary>
    public long? DiscardedRevisions => CompactRevision is { } previous ? Math.Max(0, TargetRevision - Math.Max(previous, 1)) : null;

    /// <summary>True when there is nothing to compact: the history before the target was compacted already, or the target is revision 1, where history starts.</summary>
    public bool NothingToDo => TargetRevision <= Math.Max(CompactRevision ?? 0, 1);

    /// <summary>"Compact the history of cluster ... up to revision R, discarding N revisions (...)": the action -WhatIf and -Confirm show.</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        var kept = CurrentRevision - TargetRevision;
        var discarded = DiscardedRevisions is { } count
            ? string.Create(inv, $"discarding {count} revision{(count == 1 ? "" : "s")} of history ({(CompactRevision > 1 ? $"revisions {CompactRevision}" : "revisions 1")} to {TargetRevision - 1})")
            : string.Create(inv, $"discarding the history before revision {TargetRevision}");
        return string.Create(inv, $"Compact to revision {TargetRevision}, {discarded} and keeping the current revision {CurrentRevision}")
            + (kept > 0 ? string.Create(inv, $" and the {kept} revision{(kept == 1 ? "" : "s")} before it") : "");
    }
}

/// <summary>
/// Compaction of the cluster's history (etcdctl compact), planned first: the current revision and
/// the last compaction revision are read, so a revision that is in the future or compacted
/// already is refused with etcd's own error before anything is asked, and -WhatIf can say how much
/// history goes.
/// </summary>
public static class Compaction
{
    /// <summary>A physical compaction on a long history takes a while: etcd deletes it in batches.</summary>
    public static readonly TimeSpan PhysicalTimeout = TimeSpan.FromMinutes(10);

    // Any key: etcd checks the revision against its compaction before it looks the key up.
    private static readonly ByteString ProbeKey = ByteString.CopyFromUtf8("/etcdtools/compaction-probe");

    /// <summary>
    /// Plans compacting to <paramref name="revision"/>, or to the current revision minus
    /// <paramref name="keepRevisions"/> (exactly one of them). Throws <see cref="EtcdException"/>
    /// with etcd's FutureRevision or Compacted error for a revision that cannot be compacted to.
    /// </summary>
    public static async Task<CompactionPlan> PlanAsync(EtcdCluster cluster, long? revision, long? keepRevisions, CancellationToken cancellationToken = default)
    {
        if (revision is null == keepRevisions is null)
            throw new ArgumentException("Give either a revision or the number of revisions to keep.");
        if (revision is < 1) throw new ArgumentOutOfRangeException(nameof(revision), revision, "A revision is 1 or more.");
        if (keepRevisions is < 0) throw new ArgumentOutOfRangeException(nameof(keepRevisions), keepRevisions, "The number of revisions to keep cannot be negative.");

        var (client, current, clusterId) = await cluster.InvokeAsync(async (c, ct) =>
        {
            var response = await c.RangeAsync(new RangeRequest { Key = ProbeKey, CountOnly = true }, cancellationToken: ct).ConfigureAwait(false);
            return (c, response.Header.Revision, response.Header.ClusterId);
        }, cancellationToken).ConfigureAwait(false);
        var compacted = await FindCompactRevisionAsync(client, current, cancellationToken).ConfigureAwait(false);
        var target = revision ?? current - keepRevisions!.Value;
        var plan = new CompactionPlan(MemberId.Format(clusterId), current, compacted, Math.Max(target, 0));

        if (revision is { } wanted)
        {
            if (wanted > current)
                throw EtcdError(EtcdServerError.FutureRevision, client.Endpoint,
                    $"Revision {wanted} is in the future: the cluster is at revision {current}. Compact to {current} or an earlier revision.");
            if (compacted is { } last && wanted <= last)
                throw EtcdError(EtcdServerError.Compacted, client.Endpoint,
                    $"The history up to revision {last} has been compacted already, so compacting to {wanted} has nothing to do: give a revision after {last} (the cluster is at {current}).");
        }
        return plan;
    }

    /// <summary>
    /// Compacts as planned; with <paramref name="physical"/>, returns once the member that took the request has applied
    /// it to its backend. etcd's refusal (another compaction in between) keeps etcd's error, worded for the operator.
    /// </summary>
    public static async Task<EtcdCompaction> CompactAsync(EtcdCluster cluster, CompactionPlan plan, bool physical, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var endpoint = await cluster.InvokeAsync(async (client, ct) =>
            {
                await client.CompactAsync(plan.TargetRevision, physical, physical ? PhysicalTimeout : null, ct).ConfigureAwait(false);
                return client.Endpoint;
            }, cancellationToken).ConfigureAwait(false);
            return new EtcdCompaction
            {
                ClusterId = plan.ClusterId,
                Revision = plan.TargetRevision,
                PreviousCompactRevision = plan.CompactRevision,
                CurrentRevision = plan.CurrentRevision,
                DiscardedRevisions = plan.DiscardedRevisions,
                Physical = physical,
                Endpoint = endpoint.GetLeftPart(UriPartial.Authority),
                DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
            };
        }
        catch (EtcdException e) when (e.ServerError == EtcdServerError.Compacted)
        {
            throw new EtcdException(e.Kind, e.StatusCode,
                $"The history up to revision {plan.TargetRevision} had been compacted already (by another client since the plan was made): nothing more to compact. ({e.EtcdMessage})",
                e.EtcdMessage, e.Endpoint, e.Method, e);
        }
        catch (EtcdException e) when (e.ServerError == EtcdServerError.FutureRevision)
        {
            throw new EtcdException(e.Kind, e.StatusCode,
                $"Revision {plan.TargetRevision} is in the future for the member that took the request. ({e.EtcdMessage})",
                e.EtcdMessage, e.Endpoint, e.Method, e);
        }
    }

    /// <summary>
    /// The cluster's compaction revision, found by a binary search over single-key reads at old
    /// revisions (a read below the compaction revision fails with Compacted, the revision itself
    /// is readable): about log2(current) cheap reads, where HashKV or a watch from revision 1 would
    /// scan the whole history. 0 when revision 1 is still readable (never compacted); null when a read failed otherwise.
    /// </summary>
    internal static async Task<long?> FindCompactRevisionAsync(EtcdClient client, long current, CancellationToken cancellationToken)
    {
        if (current <= 1) return 0;
        long low = 1, high = current; // high is readable; find the lowest readable revision
        try
        {
            if (await ReadableAsync(client, low, cancellationToken).ConfigureAwait(false)) return 0;
            while (high - low > 1)
            {
                var middle = low + (high - low) / 2;
                if (await ReadableAsync(client, middle, cancellationToken).ConfigureAwait(false)) high = middle;
                else low = middle;
            }
            return high;
        }
        catch (EtcdException)
        {
            return null;
        }
    }

    private static async Task<bool> ReadableAsync(EtcdClient client, long revision, CancellationToken cancellationToken)
    {
        try
        {
            await client.RangeAsync(new RangeRequest { Key = ProbeKey, Revision = revision, Serializable = true, Limit = 1 }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (EtcdException e) when (e.ServerError == EtcdServerError.Compacted)
        {
            return false;
        }
    }

    /// <summary>An error as etcd gives it (its text, so the error table classifies it), with the operator's explanation.</summary>
    private static EtcdException EtcdError(EtcdServerError error, Uri endpoint, string explanation)
    {
        var text = EtcdErrorTable.TextOf(error);
        var etcd = EtcdException.FromStatus(GrpcStatusCode.OutOfRange, text, endpoint, "KV.Compact");
        return new EtcdException(etcd.Kind, etcd.StatusCode, $"{explanation} ({text})", text, endpoint, "KV.Compact");
    }
}
