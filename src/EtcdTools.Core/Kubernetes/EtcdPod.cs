namespace EtcdTools.Kubernetes;

/// <summary>One etcd pod found by discovery: where it runs, which member it holds, and how it is doing.</summary>
public sealed class EtcdPod
{
    public EtcdPodFlavor Flavor { get; init; }
    public string Namespace { get; init; } = "";
    public string Name { get; init; } = "";

    /// <summary>The node the pod runs on; empty while it is not scheduled.</summary>
    public string Node { get; init; } = "";

    /// <summary>The etcd member name this pod runs (OpenShift and kubeadm: the node; Bitnami: the pod).</summary>
    public string MemberName { get; init; } = "";

    /// <summary>Pending, Running, Succeeded, Failed or Unknown.</summary>
    public string Phase { get; init; } = "";

    /// <summary>The pod's Ready condition.</summary>
    public bool Ready { get; init; }

    /// <summary>Restarts of the etcd container.</summary>
    public int Restarts { get; init; }

    public DateTimeOffset? Created { get; init; }

    /// <summary>Time since the pod was created, when it was read.</summary>
    public TimeSpan? Age { get; init; }

    /// <summary>Why the etcd container's previous instance ended (e.g. Error, OOMKilled); empty when it never did.</summary>
    public string LastTerminationReason { get; init; } = "";
    public int? LastExitCode { get; init; }
    public DateTimeOffset? LastTerminated { get; init; }

    /// <summary>The pod's IP (the node's, for host-network pods).</summary>
    public string PodIP { get; init; } = "";

    /// <summary>The client URL the member is expected to advertise, as the pod's spec tells it.</summary>
    public string ClientUrl { get; init; } = "";

    /// <summary>Where the member serves /metrics (in the pod's network), when not on the client URL.</summary>
    public string MetricsUrl { get; init; } = "";

    /// <summary>The container that runs etcd, whose log Get-EtcdPodLog reads.</summary>
    public string EtcdContainer { get; init; } = "etcd";

    /// <summary>The kubeconfig context it was found through (empty for the in-cluster configuration).</summary>
    public string Context { get; init; } = "";

    /// <summary>The pod's unique ID: a recreated pod of the same name has another.</summary>
    public string Uid { get; init; } = "";

    /// <summary>The pod's spec, kept for the credential lookup (Bitnami's password Secret reference). Not part of the output.</summary>
    internal IReadOnlyDictionary<string, EnvironmentReference> EtcdEnvironment { get; init; } = new Dictionary<string, EnvironmentReference>();

    public override string ToString() => $"{Namespace}/{Name} ({Flavor}, member {MemberName})";
}

/// <summary>One environment variable of the etcd container: a literal value, or a key of a Secret.</summary>
internal sealed record EnvironmentReference(string? Value, string? SecretName, string? SecretKey);
