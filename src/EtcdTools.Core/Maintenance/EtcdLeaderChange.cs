namespace EtcdTools.Maintenance;

/// <summary>A completed leadership transfer (Move-EtcdLeader).</summary>
public sealed class EtcdLeaderChange
{
    public string PreviousLeaderId { get; init; } = "";
    public string PreviousLeader { get; init; } = "";
    public string NewLeaderId { get; init; } = "";
    public string NewLeader { get; init; } = "";

    /// <summary>The raft term the new leader leads.</summary>
    public ulong RaftTerm { get; init; }

    /// <summary>From sending MoveLeader until the new leader reported itself leader, in milliseconds.</summary>
    public double TookMs { get; init; }

    public override string ToString() => $"{PreviousLeader} -> {NewLeader}";
}
