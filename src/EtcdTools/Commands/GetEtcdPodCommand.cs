using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Kubernetes;

namespace EtcdTools.Commands;

/// <summary>
/// Finds the etcd pods of a Kubernetes or OpenShift cluster by the rules of its flavor
/// (cluster-etcd-operator, kubeadm, the Bitnami chart): member, node, readiness, restarts.
/// </summary>
[Cmdlet(VerbsCommon.Get, "EtcdPod")]
[OutputType(typeof(EtcdPod))]
public sealed class GetEtcdPodCommand : EtcdToolsCmdlet
{
    /// <summary>The kubeconfig file; by default $KUBECONFIG or ~/.kube/config, or the pod's service account inside a pod.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Kubeconfig { get; set; }

    /// <summary>The kubeconfig context; by default its current context.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Context { get; set; }

    /// <summary>Where etcd runs; by default the flavor's namespace (openshift-etcd, kube-system, else the context's).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    [Parameter]
    [ValidateSet(KubernetesFlavors.Auto, KubernetesFlavors.OpenShift, KubernetesFlavors.Kubeadm, KubernetesFlavors.Bitnami)]
    public string Flavor { get; set; } = KubernetesFlavors.Auto;

    /// <summary>A label selector instead of the flavor's.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Selector { get; set; }

    protected override void ProcessRecord()
    {
        var target = KubernetesFlavors.Target(Kubeconfig is null ? null : ResolvePath(Kubeconfig), Context, Namespace, Flavor, Selector);
        Run(async (output, ct) =>
        {
            using var client = EtcdKubernetesClient.Create(target);
            foreach (var pod in await client.GetPodsAsync(ct).ConfigureAwait(false))
                await output.WriteObjectAsync(pod);
        }, target.Namespace);
    }
}
