namespace EtcdTools.Health;

/// <summary>
/// The health of one member as etcdctl 3.6's <c>endpoint health</c> judges it: a linearizable read
/// through raft answered (serializable for a learner), and no NOSPACE or CORRUPT alarm is active for it.
/// </summary>
public sealed record EtcdMemberHealth
{
    /// <summary>The member ID in hex; empty when the member list itself could not be read and only the endpoint is known.</summary>
    public string MemberId { get; init; } = "";

    /// <summary>The member's cluster in hex (binds to -ClusterId, so piped objects reach only their own cluster); empty when unknown.</summary>
    public string ClusterId { get; init; } = "";

    public string Name { get; init; } = "";

    /// <summary>The client URL probed (binds to -Endpoint of other cmdlets).</summary>
    public string? Endpoint { get; init; }

    public bool Healthy { get; init; }

    /// <summary>Milliseconds the read of the "health" key took (or took to fail): etcdctl's "took".</summary>
    public double TookMs { get; init; }

    /// <summary>Why the member is unhealthy; empty when healthy.</summary>
    public string Error { get; init; } = "";

    /// <summary>Alarms active for this member, comma-separated (e.g. NOSPACE).</summary>
    public string Alarms { get; init; } = "";

    public bool IsLearner { get; init; }

    /// <summary>The etcd pod (namespace/name) serving this member, on a connection made by Connect-EtcdCluster -Kubernetes; empty otherwise.</summary>
    public string Pod { get; init; } = "";

    /// <summary>Whether Kubernetes calls the pod Ready; null when not reached through Kubernetes.</summary>
    public bool? PodReady { get; init; }

    /// <summary>Restarts of the pod's etcd container; null when not reached through Kubernetes.</summary>
    public int? PodRestarts { get; init; }

    /// <summary>Warnings (slow applies and syncs, late heartbeats, leader changes, alarms) in the pod's last 15 minutes of log; null when not reached through Kubernetes or the log is unreadable.</summary>
    public int? LogWarnings { get; init; }

    /// <summary>When the probe finished.</summary>
    public DateTimeOffset CheckedAt { get; init; }

    public override string ToString() => $"{(Name.Length > 0 ? Name : Endpoint)}: {(Healthy ? "healthy" : "unhealthy: " + Error)}";
}
