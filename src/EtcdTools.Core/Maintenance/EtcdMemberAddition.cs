namespace EtcdTools.Maintenance;

/// <summary>
/// A member just added (Add-EtcdMember) and what it must be started with, as etcdctl member add
/// prints it: the new etcd joins an existing cluster, so it needs the cluster's members in
/// --initial-cluster and --initial-cluster-state existing.
/// </summary>
public sealed class EtcdMemberAddition
{
    /// <summary>The new member's ID in hex (binds to -MemberId: pipe it to Update-EtcdMember -Promote or Remove-EtcdMember).</summary>
    public string MemberId { get; init; } = "";

    /// <summary>The name it must be started with (--name, ETCD_NAME).</summary>
    public string Name { get; init; } = "";

    /// <summary>The cluster in hex (binds to -ClusterId).</summary>
    public string ClusterId { get; init; } = "";

    /// <summary>Its peer URLs, comma-separated (--initial-advertise-peer-urls, ETCD_INITIAL_ADVERTISE_PEER_URLS).</summary>
    public string PeerUrls { get; init; } = "";

    /// <summary>True when it joined as a learner: it votes only once promoted (Update-EtcdMember -Promote).</summary>
    public bool IsLearner { get; init; }

    /// <summary>--initial-cluster (ETCD_INITIAL_CLUSTER): every member's name=peer URL, the new one included.</summary>
    public string InitialCluster { get; init; } = "";

    /// <summary>--initial-cluster-state (ETCD_INITIAL_CLUSTER_STATE): always "existing" for a member that joins.</summary>
    public string InitialClusterState { get; init; } = "existing";

    /// <summary>The variables as etcdctl member add prints them, one per line, for an environment file.</summary>
    public string Environment { get; init; } = "";

    /// <summary>The same settings as etcd flags, for a command line.</summary>
    public string Arguments { get; init; } = "";

    public override string ToString() => $"{Name} ({MemberId})";
}
