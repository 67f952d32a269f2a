using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using EtcdTools.Client;
using EtcdTools.Health;
using EtcdTools.Protocol.Etcdserverpb;
using Google.Protobuf;

namespace EtcdTools.Maintenance;

/// <summary>How one step of a NOSPACE repair went.</summary>
public enum EtcdRepairStatus
{
    Done,
    /// <summary>Nothing to do (no history to compact, no alarm to disarm): see Detail.</summary>
    Skipped,
    Failed,
    /// <summary>The repair stopped before this step.</summary>
    NotStarted,
}

/// <summary>One step of Repair-EtcdQuota: the compaction, each member's defragmentation, each alarm disarmed, the test write.</summary>
public sealed class EtcdRepairStep
{
    /// <summary>The step's number, from 1, in the order they run.</summary>
    public int Step { get; init; }

    /// <summary>Compact, Defragment, DisarmAlarm or VerifyWrite.</summary>
    public string Action { get; init; } = "";

    /// <summary>What the step works on: the cluster, a member, an alarm, the test key.</summary>
    public string Target { get; init; } = "";

    /// <summary>The member's ID in hex for member steps; empty otherwise.</summary>
    public string MemberId { get; init; } = "";

    public string ClusterId { get; init; } = "";

    public EtcdRepairStatus Status { get; init; }

    /// <summary>The backend file before the step (the largest member's for the compaction).</summary>
    public long? DbSizeBeforeBytes { get; init; }

    /// <summary>The backend file after the step; null when it did not run or does not change it.</summary>
    public long? DbSizeAfterBytes { get; init; }

    /// <summary>Bytes holding data (the largest member's after the compaction): what the file shrinks to at best.</summary>
    public long? DbSizeInUseBytes { get; init; }

    /// <summary>The backend quota (--quota-backend-bytes); null when unknown.</summary>
    public long? QuotaBytes { get; init; }

    /// <summary>The revision compacted to, or of the test write.</summary>
    public long? Revision { get; init; }

    public double DurationMs { get; init; }

    public string Detail { get; init; } = "";

    public override string ToString() => $"{Step}. {Action} {Target}: {Status}";
}

/// <summary>What Repair-EtcdQuota will do, read before anything changes.</summary>
public sealed class QuotaRepairPlan
{
    internal QuotaRepairPlan(string clusterId, IReadOnlyList<EtcdAlarm> alarms, IReadOnlyList<EtcdMember> members, CompactionPlan compaction, DefragPlan defrag)
    {
        ClusterId = clusterId;
        Alarms = alarms;
        Members = members;
        Compaction = compaction;
        Defrag = defrag;
    }

    public string ClusterId { get; }

    /// <summary>Every active alarm when planned.</summary>
    public IReadOnlyList<EtcdAlarm> Alarms { get; }

    /// <summary>Every member's sizes and quota when planned.</summary>
    public IReadOnlyList<EtcdMember> Members { get; }

    public CompactionPlan Compaction { get; }
    public DefragPlan Defrag { get; }

    public bool NoSpaceActive => Alarms.Any(a => a.Alarm == EtcdAlarms.NoSpace);

    /// <summary>Why the repair would be refused now (the cluster cannot spare a member for defragmentation); null when it can go ahead.</summary>
    public string? Refusal => Defrag.Refusal;

    /// <summary>The steps as -WhatIf and -Confirm show them.</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        var noSpace = Alarms.Where(a => a.Alarm == EtcdAlarms.NoSpace).ToList();
        text.Append(inv, $"Recover cluster {ClusterId} from NOSPACE: ")
            .Append(noSpace.Count == 0
                ? "no NOSPACE alarm is active now, so this frees space before etcd raises one."
                : $"NOSPACE is active for {string.Join(", ", noSpace.Select(a => a.MemberName.Length > 0 ? a.MemberName : a.MemberId))}; the cluster refuses writes until it is disarmed.");
        foreach (var member in Members)
        {
            text.AppendLine().Append(inv, $"  {member.Name} ({member.MemberId}): database {Size(member.DbSizeBytes)}, {Size(member.DbSizeInUseBytes)} in use, quota {Size(member.QuotaBytes)}");
            if (member.DbSizeBytes is { } size && member.QuotaBytes is { } quota && quota > 0)
                text.Append(inv, $" ({100.0 * size / quota:0.0}% of it)");
        }
        text.AppendLine().Append(Compaction.NothingToDo
            ? string.Create(inv, $"  1. Compaction: nothing to do, there is no history before the current revision {Compaction.CurrentRevision}.")
            : $"  1. {Compaction.Describe()}, waiting until it is applied.");
        var number = 2;
        foreach (var step in Defrag.Steps)
        {
            text.AppendLine();
            text.Append(step.Defragment
                ? $"  {number++}. Defragment {step.DisplayName}, {step.Role}: {step.DescribeSizes()}; the cluster must be healthy with a fault tolerance of at least 1 first."
                : $"  skip {step.DisplayName}: {step.SkipReason}");
        }
        text.AppendLine().Append(inv, $"  {number++}. Disarm {(noSpace.Count == 0 ? "any NOSPACE alarm raised meanwhile" : string.Join(", ", noSpace.Select(a => $"NOSPACE of {(a.MemberName.Length > 0 ? a.MemberName : a.MemberId)}")))}.");
        text.AppendLine().Append(inv, $"  {number}. Verify that writes work: put and delete a key under {QuotaRepair.VerifyPrefix}.");
        text.AppendLine().Append(inv, $"If a member's database is still {MemberBackendUsage.RearmRatio * 100:0}% of its quota or more once defragmented, its data fills the quota: the repair stops there and says so.");
        text.AppendLine().Append(Refusal is { } refusal ? $"The repair would be refused now: {refusal}" : $"Cluster now: {Defrag.Health.Describe()}");
        return text.ToString();
    }

    internal static string Size(long? bytes) => bytes is { } b ? ByteSize.Format(b) : "unknown";
}

/// <summary>
/// The NOSPACE recovery etcd's maintenance guide prescribes, in order, each step checked: compact
/// the history to the current revision (waiting until it is applied), defragment every member one
/// at a time with the health checks of <see cref="RollingDefrag"/> (every member: shrinking the files
/// is the point), disarm the NOSPACE alarms, and prove with a write that the cluster accepts writes
/// again. When the data itself fills the quota, compaction and defragmentation cannot free enough:
/// it stops after the compaction and says what will help (a larger quota, deleting data).
/// </summary>
public sealed class QuotaRepair
{
    /// <summary>Where the test write goes: a prefix of this module's own.</summary>
    public const string VerifyPrefix = "/etcdtools/repair-quota/";

    private readonly EtcdCluster _cluster;
    private readonly QuotaRepairPlan _plan;
    private int _number;

    public QuotaRepair(EtcdCluster cluster, QuotaRepairPlan plan)
    {
        _cluster = cluster;
        _plan = plan;
    }

    /// <summary>Why the repair stopped before its end; null while it runs and when it finished.</summary>
    public MaintenanceStoppedException? Stop { get; private set; }

    /// <summary>True when it stopped because the data in use is at the quota even after compaction.</summary>
    public bool DataExceedsQuota { get; private set; }

    /// <summary>Reads the alarms, sizes, quotas, revisions and health, and plans the steps. Changes nothing.</summary>
    public static async Task<QuotaRepairPlan> PlanAsync(EtcdCluster cluster, DefragOptions options, CancellationToken cancellationToken = default)
    {
        var defrag = await RollingDefrag.PlanAsync(cluster, null, options with { IgnoreThreshold = true }, cancellationToken).ConfigureAwait(false);
        var alarms = await EtcdAlarms.ListAsync(cluster, cancellationToken).ConfigureAwait(false);
        var members = await ReadMembersAsync(cluster, cancellationToken).ConfigureAwait(false);
        var compaction = await Maintenance.Compaction.PlanAsync(cluster, null, 0, cancellationToken).ConfigureAwait(false);
        return new QuotaRepairPlan(defrag.ClusterId, alarms, members, compaction, defrag);
    }

    private static async Task<IReadOnlyList<EtcdMember>> ReadMembersAsync(EtcdCluster cluster, CancellationToken cancellationToken)
    {
        var list = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        var members = new List<EtcdMember>();
        await foreach (var report in EtcdMemberInventory.GetAsync(cluster, list.Members, list.Header.ClusterId, cancellationToken: cancellationToken).ConfigureAwait(false))
            members.Add(report.Report);
        return members.OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Runs the steps, yielding each as it ends; at the first failure the rest are yielded NotStarted and <see cref="Stop"/> says why.</summary>
    public async IAsyncEnumerable<EtcdRepairStep> RunAsync(Func<MaintenanceProgress, ValueTask>? progress = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var total = 3 + _plan.Defrag.ToDefragment;
        var done = new List<string>();
        async ValueTask Report(string target, string activity)
        {
            if (progress is not null) await progress(new MaintenanceProgress(_number, total, target, activity)).ConfigureAwait(false);
        }

        // 1. Compaction.
        await Report($"cluster {_plan.ClusterId}", $"Compacting to revision {_plan.Compaction.TargetRevision}").ConfigureAwait(false);
        var compact = await CompactAsync(cancellationToken).ConfigureAwait(false);
        yield return compact.Step;
        if (compact.Error is { } compactError)
        {
            foreach (var rest in RemainingSteps(_plan.Defrag.Steps)) yield return rest;
            Stop = new MaintenanceStoppedException($"The compaction failed: {compactError.Message} Nothing else was done.", false, [],
                ["compaction", "defragmentation of every member", "disarming NOSPACE", "the test write"], compactError);
            yield break;
        }
        done.Add("compaction");

        // 2. Every member defragmented, one at a time. A file that stays at its quota after its
        // defragmentation holds that much data: the others would not do better, so it stops there.
        var defrag = new RollingDefrag(_cluster, _plan.Defrag);
        var reached = new HashSet<string>(StringComparer.Ordinal);
        string? full = null;
        await foreach (var result in defrag.RunAsync(p => Report(p.Target, $"Defragmenting: {p.Activity}"), cancellationToken).ConfigureAwait(false))
        {
            reached.Add(result.MemberId);
            var quota = _plan.Members.FirstOrDefault(m => m.MemberId == result.MemberId)?.QuotaBytes;
            yield return DefragStep(result, quota);
            if (result.Action != EtcdDefragAction.Defragmented) continue;
            done.Add($"defragmentation of {result.Member}");
            if (result.DbSizeAfterBytes is { } after && quota is > 0 && after >= quota * MemberBackendUsage.RearmRatio)
            {
                full = FullMessage(result, after, quota.Value);
                break;
            }
        }
        if (full is not null)
        {
            DataExceedsQuota = true;
            foreach (var rest in RemainingSteps(_plan.Defrag.Steps.Where(s => !reached.Contains(s.MemberId)))) yield return rest;
            Stop = new MaintenanceStoppedException($"{full} Done: {string.Join(", ", done)}. Not done: the other members' defragmentation, disarming NOSPACE, the test write.",
                false, done, ["the other members' defragmentation", "disarming NOSPACE", "the test write"]);
            yield break;
        }
        if (defrag.Stop is { } defragStop)
        {
            foreach (var rest in RemainingSteps([])) yield return rest;
            var remaining = defragStop.Remaining.Select(m => $"defragmentation of {m}").Concat(["disarming NOSPACE", "the test write"]).ToList();
            Stop = new MaintenanceStoppedException(
                $"{defragStop.Message.Split(" Done: ")[0]} Done: {string.Join(", ", done)}. Not done: {string.Join(", ", remaining)}. NOSPACE stays armed: run Repair-EtcdQuota again once the cluster is healthy.",
                defragStop.Refused, done, remaining, defragStop.Cause);
            yield break;
        }

        // 3. The alarms, now that there is room.
        await Report($"cluster {_plan.ClusterId}", "Disarming NOSPACE").ConfigureAwait(false);
        var disarm = await DisarmAsync(cancellationToken).ConfigureAwait(false);
        foreach (var step in disarm.Steps) yield return step;
        if (disarm.Error is { } disarmError)
        {
            yield return NotStartedVerify();
            Stop = new MaintenanceStoppedException(
                $"Disarming NOSPACE failed: {disarmError.Message} Done: {string.Join(", ", done)}. Not done: disarming NOSPACE, the test write.",
                false, done, ["disarming NOSPACE", "the test write"], disarmError);
            yield break;
        }
        done.Add("disarming NOSPACE");

        // 4. The proof.
        await Report(VerifyPrefix, "Verifying a write").ConfigureAwait(false);
        var verify = await VerifyWriteAsync(cancellationToken).ConfigureAwait(false);
        yield return verify.Step;
        if (verify.Error is { } verifyError)
            Stop = new MaintenanceStoppedException(
                $"The test write failed after the repair: {verify.Step.Detail} Done: {string.Join(", ", done)}.", false, done, ["the test write"], verifyError);
    }

    /// <summary>The steps of a repair refused before it began (the plan's <see cref="QuotaRepairPlan.Refusal"/>): all NotStarted, and <see cref="Stop"/> says why.</summary>
    public IReadOnlyList<EtcdRepairStep> Refuse(string reason)
    {
        var steps = new List<EtcdRepairStep>
        {
            new()
            {
                Step = ++_number, Action = "Compact", Target = $"cluster {_plan.ClusterId}", ClusterId = _plan.ClusterId, Status = EtcdRepairStatus.NotStarted,
                Revision = _plan.Compaction.TargetRevision, Detail = reason,
            },
        };
        steps.AddRange(RemainingSteps(_plan.Defrag.Steps));
        Stop = new MaintenanceStoppedException($"The NOSPACE repair was refused before it began: {Sentence.End(reason)} Nothing was done.", true, [],
            ["compaction", "defragmentation of every member", "disarming NOSPACE", "the test write"]);
        return steps;
    }

    private EtcdRepairStep DefragStep(EtcdDefragResult result, long? quota) => new()
    {
        Step = ++_number,
        Action = "Defragment",
        Target = result.Member,
        MemberId = result.MemberId,
        ClusterId = _plan.ClusterId,
        Status = result.Action switch
        {
            EtcdDefragAction.Defragmented => EtcdRepairStatus.Done,
            EtcdDefragAction.Skipped => EtcdRepairStatus.Skipped,
            EtcdDefragAction.Failed => EtcdRepairStatus.Failed,
            _ => EtcdRepairStatus.NotStarted,
        },
        DbSizeBeforeBytes = result.DbSizeBeforeBytes,
        DbSizeAfterBytes = result.DbSizeAfterBytes,
        DbSizeInUseBytes = result.DbSizeInUseBytes,
        QuotaBytes = quota,
        DurationMs = result.DurationMs,
        Detail = result.Reason,
    };

    /// <summary>
    /// A defragmented file is as small as the data it holds; at the quota, that data is the problem.
    /// (What Status calls in use right after a compaction is no guide: etcd recounts it at its next
    /// commit, and under NOSPACE no write comes to make one.)
    /// </summary>
    private static string FullMessage(EtcdDefragResult result, long after, long quota) =>
        string.Create(CultureInfo.InvariantCulture,
            $"After compaction and defragmentation, {result.Member} ({result.MemberId}) is still {ByteSize.Format(after)}, {100.0 * after / quota:0.0}% of its {ByteSize.Format(quota)} quota: ")
        + "the data itself fills the quota, and no compaction or defragmentation can free it, so NOSPACE stays armed (disarmed, it would come back with the next write). "
        + "Raise --quota-backend-bytes on every member (etcd suggests at most 8 GiB) and restart them one at a time, or delete data (Measure-EtcdKeyspace shows what takes the space), then run Repair-EtcdQuota again.";

    private async Task<(EtcdRepairStep Step, EtcdException? Error)> CompactAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var compaction = _plan.Compaction;
        var largest = _plan.Members.Where(m => m.DbSizeBytes is not null).MaxBy(m => m.DbSizeBytes);
        var step = new EtcdRepairStep
        {
            Step = ++_number,
            Action = "Compact",
            Target = $"cluster {_plan.ClusterId}",
            ClusterId = _plan.ClusterId,
            DbSizeBeforeBytes = largest?.DbSizeBytes,
            DbSizeInUseBytes = largest?.DbSizeInUseBytes,
            QuotaBytes = largest?.QuotaBytes,
            Revision = compaction.TargetRevision,
        };
        try
        {
            if (compaction.NothingToDo)
                return (Finish(step, EtcdRepairStatus.Skipped,
                    string.Create(CultureInfo.InvariantCulture, $"There is no history before the current revision {compaction.CurrentRevision}: nothing to compact."), clock), null);
            var result = await Maintenance.Compaction.CompactAsync(_cluster, compaction, physical: true, cancellationToken).ConfigureAwait(false);
            return (Finish(step, EtcdRepairStatus.Done, string.Create(CultureInfo.InvariantCulture, $"Compacted to revision {result.Revision}")
                + (result.DiscardedRevisions is { } count ? string.Create(CultureInfo.InvariantCulture, $", discarding {count} revisions of history.") : "."), clock), null);
        }
        catch (EtcdException e) when (e.Kind == EtcdErrorKind.Compacted)
        {
            // Someone compacted as far or further since the plan: the history is gone either way.
            return (Finish(step, EtcdRepairStatus.Skipped, $"The history had been compacted already: {e.Message}", clock), null);
        }
        catch (EtcdException e)
        {
            return (Finish(step, EtcdRepairStatus.Failed, $"The compaction failed: {e.Message}", clock), e);
        }
    }

    private static EtcdRepairStep Finish(EtcdRepairStep step, EtcdRepairStatus status, string detail, Stopwatch clock) => new()
    {
        Step = step.Step,
        Action = step.Action,
        Target = step.Target,
        MemberId = step.MemberId,
        ClusterId = step.ClusterId,
        Status = status,
        DbSizeBeforeBytes = step.DbSizeBeforeBytes,
        DbSizeInUseBytes = step.DbSizeInUseBytes,
        QuotaBytes = step.QuotaBytes,
        Revision = step.Revision,
        DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
        Detail = detail,
    };

    private async Task<(IReadOnlyList<EtcdRepairStep> Steps, EtcdException? Error)> DisarmAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var steps = new List<EtcdRepairStep>();
        try
        {
            var active = (await EtcdAlarms.ListAsync(_cluster, cancellationToken).ConfigureAwait(false)).Where(a => a.Alarm == EtcdAlarms.NoSpace).ToList();
            if (active.Count == 0)
            {
                steps.Add(new EtcdRepairStep
                {
                    Step = ++_number, Action = "DisarmAlarm", Target = EtcdAlarms.NoSpace, ClusterId = _plan.ClusterId, Status = EtcdRepairStatus.Skipped,
                    DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1), Detail = "No NOSPACE alarm is active.",
                });
                return (steps, null);
            }
            foreach (var alarm in active)
            {
                clock.Restart();
                var cleared = await EtcdAlarms.DisarmAsync(_cluster, alarm, cancellationToken).ConfigureAwait(false);
                steps.Add(new EtcdRepairStep
                {
                    Step = ++_number, Action = "DisarmAlarm", Target = $"NOSPACE of {(alarm.MemberName.Length > 0 ? alarm.MemberName : alarm.MemberId)}",
                    MemberId = alarm.MemberId, ClusterId = _plan.ClusterId, Status = EtcdRepairStatus.Done,
                    DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
                    Detail = cleared.Count == 0 ? "It was no longer active (disarmed by someone else)." : "Disarmed.",
                });
            }
            return (steps, null);
        }
        catch (EtcdException e)
        {
            steps.Add(new EtcdRepairStep
            {
                Step = ++_number, Action = "DisarmAlarm", Target = EtcdAlarms.NoSpace, ClusterId = _plan.ClusterId, Status = EtcdRepairStatus.Failed,
                DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1), Detail = e.Message,
            });
            return (steps, e);
        }
    }

    private async Task<(EtcdRepairStep Step, EtcdException? Error)> VerifyWriteAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var key = VerifyPrefix + DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            var put = await _cluster.InvokeAsync((client, ct) => client.PutAsync(key, "write check after NOSPACE recovery", cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            await _cluster.InvokeAsync((client, ct) => client.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(key) }, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            return (Verify(EtcdRepairStatus.Done, key, put.Header.Revision, clock,
                string.Create(CultureInfo.InvariantCulture, $"Wrote {key} at revision {put.Header.Revision} and deleted it: the cluster accepts writes.")), null);
        }
        catch (EtcdException e)
        {
            var detail = e.Kind == EtcdErrorKind.NoSpace
                ? $"etcd raised NOSPACE again on the test write ({key}): a member's database is still at its quota. Check Get-EtcdMember for DbSizeBytes against QuotaBytes; raise --quota-backend-bytes or delete data."
                : $"The test write ({key}) failed: {e.Message} If the put went through, delete the key by hand.";
            return (Verify(EtcdRepairStatus.Failed, key, null, clock, detail), e);
        }
    }

    private EtcdRepairStep Verify(EtcdRepairStatus status, string key, long? revision, Stopwatch clock, string detail) => new()
    {
        Step = ++_number,
        Action = "VerifyWrite",
        Target = key,
        ClusterId = _plan.ClusterId,
        Status = status,
        Revision = revision,
        DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
        Detail = detail,
    };

    private EtcdRepairStep NotStartedVerify() => new()
    {
        Step = ++_number, Action = "VerifyWrite", Target = VerifyPrefix, ClusterId = _plan.ClusterId, Status = EtcdRepairStatus.NotStarted,
        Detail = "The repair stopped before it.",
    };

    /// <summary>The steps after a stop, NotStarted: the defragmentations of <paramref name="members"/> not reached, then disarming and the test write.</summary>
    private IEnumerable<EtcdRepairStep> RemainingSteps(IEnumerable<DefragPlanStep> members)
    {
        foreach (var step in members)
        {
            var member = _plan.Members.FirstOrDefault(m => m.MemberId == step.MemberId);
            yield return new EtcdRepairStep
            {
                Step = ++_number, Action = "Defragment", Target = step.Name, MemberId = step.MemberId, ClusterId = _plan.ClusterId,
                Status = step.Defragment ? EtcdRepairStatus.NotStarted : EtcdRepairStatus.Skipped,
                DbSizeBeforeBytes = step.DbSizeBytes, DbSizeInUseBytes = step.DbSizeInUseBytes, QuotaBytes = member?.QuotaBytes,
                Detail = step.Defragment ? "The repair stopped before it." : step.SkipReason,
            };
        }
        yield return new EtcdRepairStep
        {
            Step = ++_number, Action = "DisarmAlarm", Target = EtcdAlarms.NoSpace, ClusterId = _plan.ClusterId, Status = EtcdRepairStatus.NotStarted,
            Detail = "The repair stopped before it: NOSPACE stays armed.",
        };
        yield return NotStartedVerify();
    }
}
