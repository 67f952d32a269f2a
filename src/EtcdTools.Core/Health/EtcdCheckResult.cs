namespace EtcdTools.Health;

/// <summary>The verdicts of a check, as text so they serialise as text (CSV, JSON) and compare as strings.</summary>
public static class EtcdCheckStatus
{
    /// <summary>Fine; the message may still carry information (e.g. the database passed 65% of its quota).</summary>
    public const string Pass = "Pass";

    /// <summary>Needs attention soon, but the cluster works: Test-EtcdCluster still returns true.</summary>
    public const string Warn = "Warn";

    /// <summary>Broken or about to break: Test-EtcdCluster returns false.</summary>
    public const string Fail = "Fail";
}

/// <summary>One check of Test-EtcdCluster for one member, or for the whole cluster.</summary>
public sealed class EtcdCheckResult
{
    /// <summary>Member name for the whole cluster's checks.</summary>
    public const string ClusterScope = "cluster";

    /// <summary>What was checked, e.g. Quorum, Leader, DbQuota (the names are listed in Test-EtcdCluster's help).</summary>
    public string Check { get; init; } = "";

    /// <summary>The member's name (its endpoint when it has none), or "cluster".</summary>
    public string Member { get; init; } = ClusterScope;

    /// <summary>The member ID in hex; empty for cluster checks.</summary>
    public string MemberId { get; init; } = "";

    /// <summary>Pass, Warn or Fail (<see cref="EtcdCheckStatus"/>).</summary>
    public string Status { get; init; } = EtcdCheckStatus.Pass;

    /// <summary>What was measured, e.g. "3/3 healthy" or "41.2%".</summary>
    public string Value { get; init; } = "";

    /// <summary>The limit it was compared with, e.g. "Warn > 1000 entries".</summary>
    public string Threshold { get; init; } = "";

    public string Message { get; init; } = "";

    /// <summary>What to do about a Warn or Fail; empty for a Pass.</summary>
    public string Recommendation { get; init; } = "";

    public override string ToString() => $"{Status} {Check} [{Member}]: {Message}";
}
