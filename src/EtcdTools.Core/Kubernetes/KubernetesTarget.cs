namespace EtcdTools.Kubernetes;

/// <summary>The flavors of etcd deployment the discovery knows; Auto tries them in this order.</summary>
public enum EtcdPodFlavor
{
    Auto,

    /// <summary>cluster-etcd-operator: namespace openshift-etcd, pods etcd-&lt;node&gt; labelled app=etcd,etcd=true.</summary>
    OpenShift,

    /// <summary>kubeadm's static pods: kube-system, component=etcd,tier=control-plane.</summary>
    Kubeadm,

    /// <summary>The Bitnami chart's StatefulSet: app.kubernetes.io/name=etcd.</summary>
    Bitnami,
}

/// <summary>Which Kubernetes cluster and which etcd pods: kubeconfig, context, namespace, flavor, selector.</summary>
public sealed record KubernetesTarget
{
    /// <summary>The kubeconfig file; null uses $KUBECONFIG or ~/.kube/config, or the in-cluster config inside a pod.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>The kubeconfig context; null uses its current context.</summary>
    public string? Context { get; init; }

    /// <summary>Where the etcd pods run; null uses the flavor's namespace (the context's for Bitnami).</summary>
    public string? Namespace { get; init; }

    public EtcdPodFlavor Flavor { get; init; } = EtcdPodFlavor.Auto;

    /// <summary>A label selector used instead of the flavor's (e.g. "app.kubernetes.io/instance=my-etcd").</summary>
    public string? Selector { get; init; }

    /// <summary>How long one API request may take.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
