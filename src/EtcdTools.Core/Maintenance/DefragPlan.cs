using System.Globalization;
using System.Text;
using EtcdTools.Health;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Maintenance;

/// <summary>One member in a rolling defragmentation's plan: its sizes when planned and whether it will be done.</summary>
public sealed class DefragPlanStep
{
    internal DefragPlanStep(Member member, string? endpoint)
    {
        Member = member;
        Endpoint = endpoint;
    }

    internal Member Member { get; }

    public string Name => Member.Name;
    public string MemberId => Client.MemberId.Format(Member.ID);
    public string? Endpoint { get; }
    public bool IsLearner => Member.IsLearner;

    /// <summary>The member led the cluster when the plan was made.</summary>
    public bool IsLeader { get; internal init; }

    public long? DbSizeBytes { get; internal init; }
    public long? DbSizeInUseBytes { get; internal init; }

    /// <summary>What a defragmentation would give back: the file's size minus what is in use.</summary>
    public long? ReclaimableBytes => DbSizeBytes - DbSizeInUseBytes;

    public double? FragmentedPercent => DbSizeBytes is > 0 ? 100.0 * ReclaimableBytes!.Value / DbSizeBytes.Value : null;

    /// <summary>True when the member's turn defragments it; false when it is skipped (see <see cref="SkipReason"/>).</summary>
    public bool Defragment { get; internal init; }

    public string SkipReason { get; internal init; } = "";

    /// <summary>Why the member's Status could not be read when planning; null when it was.</summary>
    public string? StatusError { get; internal init; }

    public string DisplayName => Client.MemberId.Describe(Member.Name, MemberId);

    internal string Role => IsLearner ? "learner" : IsLeader ? "leader" : "follower";

    internal string DescribeSizes() => DbSizeBytes is { } size
        ? string.Create(CultureInfo.InvariantCulture,
            $"database {ByteSize.Format(size)}, {ByteSize.Format(DbSizeInUseBytes!.Value)} in use ({FragmentedPercent:0.0}% not in use)")
        : $"sizes unknown ({StatusError?.TrimEnd('.') ?? "not read"})";
}

/// <summary>
/// What Invoke-EtcdDefrag will do, decided before anything changes: the members in the order they
/// will be done (followers first, the leader last; learners and members not started are skipped),
/// each with its sizes, and the cluster's health now.
/// </summary>
public sealed class DefragPlan
{
    internal DefragPlan(string clusterId, IReadOnlyList<DefragPlanStep> steps, ClusterHealthGateResult health, DefragOptions options)
    {
        ClusterId = clusterId;
        Steps = steps;
        Health = health;
        Options = options;
    }

    public string ClusterId { get; }

    /// <summary>Every selected member in the order of their turns.</summary>
    public IReadOnlyList<DefragPlanStep> Steps { get; }

    public ClusterHealthGateResult Health { get; }
    public DefragOptions Options { get; }

    public int ToDefragment => Steps.Count(s => s.Defragment);

    public long ExpectedReclaimBytes => Steps.Where(s => s.Defragment).Sum(s => s.ReclaimableBytes ?? 0);

    /// <summary>Why the run would be refused before its first member as the cluster is now; null when it can start (or has nothing to do).</summary>
    public string? Refusal => Steps.FirstOrDefault(s => s.Defragment) is { } first ? Health.RefusalFor(first.Member.ID, Options.AllowDowntime) : null;

    /// <summary>The plan as -WhatIf and -Confirm show it: one line per member in order, then the cluster's health.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        var count = ToDefragment;
        if (count == 0)
            text.Append(inv, $"Defragment no member of cluster {ClusterId}: every selected member is skipped.");
        else
            text.Append(inv, $"Defragment {count} of {Steps.Count} member{(Steps.Count == 1 ? "" : "s")} of cluster {ClusterId}, one at a time, followers first and the leader last")
                .Append(Options.MoveLeaderFirst ? " (after handing its leadership to a defragmented member)" : "")
                .Append(inv, $", expecting to reclaim about {ByteSize.Format(ExpectedReclaimBytes)}. ")
                .Append(inv, $"Before each member the cluster must be healthy with a fault tolerance of at least 1{(Options.AllowDowntime ? " (or, by -AllowDowntime, without one when it is too small to have any)" : "")}; ")
                .Append(inv, $"each defragmentation may take up to {Duration.Format(Options.DefragTimeout)}; after each, the member must be healthy and caught up with the leader")
                .Append(Options.WaitBetween > TimeSpan.Zero ? $", then {Duration.Format(Options.WaitBetween)} pass before the next." : ".");
        var number = 0;
        foreach (var step in Steps)
        {
            text.AppendLine();
            if (step.Defragment)
            {
                number++;
                text.Append(inv, $"  {number}. {step.DisplayName}, {step.Role}: {step.DescribeSizes()}");
                if (step.ReclaimableBytes is { } reclaim) text.Append(inv, $"; expect to reclaim about {ByteSize.Format(reclaim)}");
            }
            else
            {
                text.Append(inv, $"  skip {step.DisplayName}, {step.Role}: {step.SkipReason}");
            }
        }
        text.AppendLine().Append(Refusal is { } refusal ? $"The defragmentation would be refused now: {refusal}" : $"Cluster now: {Health.Describe()}");
        return text.ToString();
    }
}
