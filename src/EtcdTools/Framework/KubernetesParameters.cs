using EtcdTools.Kubernetes;

namespace EtcdTools.Framework;

/// <summary>The names -Flavor takes; a string parameter, since exported types must not hold Core value types.</summary>
internal static class KubernetesFlavors
{
    public const string Auto = "Auto";
    public const string OpenShift = "OpenShift";
    public const string Kubeadm = "Kubeadm";
    public const string Bitnami = "Bitnami";

    public static KubernetesTarget Target(string? kubeconfig, string? context, string? ns, string? flavor, string? selector) => new()
    {
        KubeconfigPath = kubeconfig,
        Context = string.IsNullOrEmpty(context) ? null : context,
        Namespace = string.IsNullOrEmpty(ns) ? null : ns,
        Flavor = Enum.TryParse<EtcdPodFlavor>(flavor, ignoreCase: true, out var parsed) ? parsed : EtcdPodFlavor.Auto,
        Selector = string.IsNullOrEmpty(selector) ? null : selector,
    };
}
