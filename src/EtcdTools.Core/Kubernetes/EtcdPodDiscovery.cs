using System.Text.RegularExpressions;
using k8s.Models;

namespace EtcdTools.Kubernetes;

/// <summary>
/// Finds the etcd pods of the three flavors by the rules of cluster-etcd-operator, kubeadm and the
/// Bitnami chart, and reads from each pod's spec its member name, client URL and metrics URL.
/// </summary>
internal static partial class EtcdPodDiscovery
{
    public const string OpenShiftNamespace = "openshift-etcd";
    public const string OpenShiftSelector = "app=etcd,etcd=true";
    public const string KubeadmNamespace = "kube-system";
    public const string KubeadmSelector = "component=etcd,tier=control-plane";
    public const string BitnamiSelector = "app.kubernetes.io/name=etcd";
    public const string KubeadmClientUrlsAnnotation = "kubeadm.kubernetes.io/etcd.advertise-client-urls";

    /// <summary>
    /// The etcd pods of <paramref name="target"/>'s flavor (Auto: the first flavor with pods, in enum
    /// order), sorted by name. Throws <see cref="KubernetesException"/> NoEtcdPods naming where it looked.
    /// </summary>
    public static async Task<IReadOnlyList<EtcdPod>> DiscoverAsync(KubernetesApi api, KubernetesTarget target, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var flavors = target.Flavor == EtcdPodFlavor.Auto
            ? [EtcdPodFlavor.OpenShift, EtcdPodFlavor.Kubeadm, EtcdPodFlavor.Bitnami]
            : new[] { target.Flavor };
        var looked = new List<string>();
        var forbidden = new List<KubernetesException>();
        foreach (var flavor in flavors)
        {
            var ns = target.Namespace ?? DefaultNamespace(flavor, api);
            var selector = target.Selector ?? DefaultSelector(flavor);
            looked.Add($"{flavor} ({selector} in {ns})");
            IList<V1Pod> pods;
            try
            {
                pods = await api.ListPodsAsync(ns, selector, cancellationToken).ConfigureAwait(false);
            }
            catch (KubernetesException e) when (e.Kind == KubernetesErrorKind.Forbidden && target.Flavor == EtcdPodFlavor.Auto)
            {
                // Auto tries namespaces the user may not see (openshift-etcd on plain Kubernetes): keep looking.
                forbidden.Add(e);
                continue;
            }
            var found = pods.Where(p => IsEtcdPod(flavor, p)).Select(p => Describe(flavor, p, api, now)).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
            if (found.Count > 0) return found;
        }
        if (forbidden.Count == flavors.Length)
            throw forbidden[0];
        var denied = forbidden.Count == 0 ? "" : $" Listing pods was forbidden in {string.Join(", ", forbidden.Select(f => f.Namespace))}.";
        throw new KubernetesException(KubernetesErrorKind.NoEtcdPods,
            $"No etcd pod was found through {api.Identity} ({api.Server}): looked for {string.Join("; ", looked)}.{denied} Give -Namespace, -Flavor or -Selector if etcd runs elsewhere.",
            "list", "pods", target.Namespace);
    }

    public static string DefaultNamespace(EtcdPodFlavor flavor, KubernetesApi api) => flavor switch
    {
        EtcdPodFlavor.OpenShift => OpenShiftNamespace,
        EtcdPodFlavor.Kubeadm => KubeadmNamespace,
        _ => api.DefaultNamespace ?? "default",
    };

    public static string DefaultSelector(EtcdPodFlavor flavor) => flavor switch
    {
        EtcdPodFlavor.OpenShift => OpenShiftSelector,
        EtcdPodFlavor.Kubeadm => KubeadmSelector,
        _ => BitnamiSelector,
    };

    /// <summary>Drops what matches the labels but is no etcd member: guard, installer and pruner pods, snapshot jobs.</summary>
    internal static bool IsEtcdPod(EtcdPodFlavor flavor, V1Pod pod)
    {
        var containers = pod.Spec?.Containers ?? [];
        if (!containers.Any(c => c.Name == "etcd")) return false;
        var name = pod.Metadata?.Name ?? "";
        return flavor switch
        {
            // Static pods etcd-<node>; guard pods (etcd-guard-<node>) run no etcd container, but check the name too.
            EtcdPodFlavor.OpenShift => name.StartsWith("etcd-", StringComparison.Ordinal) && !name.StartsWith("etcd-guard-", StringComparison.Ordinal),
            EtcdPodFlavor.Kubeadm => name.StartsWith("etcd-", StringComparison.Ordinal),
            // Members are StatefulSet pods; the chart's snapshotter CronJob and other helpers are not.
            _ => pod.Metadata?.OwnerReferences?.Any(o => o.Kind == "StatefulSet") == true,
        };
    }

    internal static EtcdPod Describe(EtcdPodFlavor flavor, V1Pod pod, KubernetesApi? api, DateTimeOffset now)
    {
        var metadata = pod.Metadata ?? new V1ObjectMeta();
        var spec = pod.Spec ?? new V1PodSpec();
        var status = pod.Status ?? new V1PodStatus();
        var etcd = spec.Containers.First(c => c.Name == "etcd");
        var etcdStatus = status.ContainerStatuses?.FirstOrDefault(s => s.Name == "etcd");
        var environment = (etcd.Env ?? []).ToDictionary(e => e.Name, e => new EnvironmentReference(e.Value,
            e.ValueFrom?.SecretKeyRef?.Name, e.ValueFrom?.SecretKeyRef?.Key), StringComparer.Ordinal);
        var commandLine = string.Join(' ', (etcd.Command ?? []).Concat(etcd.Args ?? []));
        var podIp = status.PodIP ?? "";
        var node = spec.NodeName ?? "";

        var memberName = flavor switch
        {
            EtcdPodFlavor.OpenShift => node,
            EtcdPodFlavor.Kubeadm => Flag(commandLine, "name") ?? node,
            _ => environment.TryGetValue("ETCD_NAME", out var n) && n.Value is { } value && !value.Contains("$(", StringComparison.Ordinal) ? value : metadata.Name,
        };
        var clientUrl = flavor switch
        {
            EtcdPodFlavor.OpenShift => $"https://{HostForUrl(podIp)}:{PortOf(Flag(commandLine, "listen-client-urls")) ?? 2379}",
            EtcdPodFlavor.Kubeadm => FirstUrl(metadata.Annotations?.TryGetValue(KubeadmClientUrlsAnnotation, out var a) == true ? a : Flag(commandLine, "advertise-client-urls"))
                ?? $"https://{HostForUrl(podIp)}:2379",
            _ => FirstUrl(Expand(environment.TryGetValue("ETCD_ADVERTISE_CLIENT_URLS", out var urls) ? urls.Value : null, environment, metadata))
                ?? $"http://{HostForUrl(podIp)}:{etcd.Ports?.FirstOrDefault(p => p.Name == "client")?.ContainerPort ?? 2379}",
        };
        var metricsUrl = MetricsUrl(flavor, commandLine, spec, podIp);

        var ready = status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
        var created = metadata.CreationTimestamp is { } c ? new DateTimeOffset(DateTime.SpecifyKind(c, DateTimeKind.Utc)) : (DateTimeOffset?)null;
        var terminated = etcdStatus?.LastState?.Terminated;
        return new EtcdPod
        {
            Flavor = flavor,
            Namespace = metadata.NamespaceProperty ?? "",
            Name = metadata.Name ?? "",
            Node = node,
            MemberName = memberName ?? metadata.Name ?? "",
            Phase = status.Phase ?? "Unknown",
            Ready = ready,
            Restarts = etcdStatus?.RestartCount ?? 0,
            Created = created,
            Age = created is { } born ? now - born : null,
            LastTerminationReason = terminated?.Reason ?? "",
            LastExitCode = terminated?.ExitCode,
            LastTerminated = terminated?.FinishedAt is { } f ? new DateTimeOffset(DateTime.SpecifyKind(f, DateTimeKind.Utc)) : null,
            PodIP = podIp,
            ClientUrl = clientUrl,
            MetricsUrl = metricsUrl ?? "",
            EtcdContainer = etcd.Name,
            Context = api?.ContextName ?? "",
            Uid = metadata.Uid ?? "",
            EtcdEnvironment = environment,
        };
    }

    /// <summary>
    /// kubeadm: --listen-metrics-urls (http://127.0.0.1:2381), reached in the pod's (the host's)
    /// network. OpenShift: etcd's own metrics listener (--listen-metrics-urls, 9978), which the
    /// etcd-metrics proxy container fronts and which takes the etcd client certificate. Bitnami: none
    /// (the client port). The host is the pod IP so each member's URL is its own.
    /// </summary>
    private static string? MetricsUrl(EtcdPodFlavor flavor, string etcdCommandLine, V1PodSpec spec, string podIp)
    {
        if (flavor == EtcdPodFlavor.Bitnami) return null;
        var listen = FirstUrl(Flag(etcdCommandLine, "listen-metrics-urls"));
        if (listen is null && flavor == EtcdPodFlavor.OpenShift)
        {
            var proxy = spec.Containers.FirstOrDefault(c => c.Name == "etcd-metrics");
            if (proxy is not null) listen = FirstUrl(Flag(string.Join(' ', (proxy.Command ?? []).Concat(proxy.Args ?? [])), "endpoints"));
        }
        if (listen is null || !Uri.TryCreate(listen, UriKind.Absolute, out var uri)) return null;
        return $"{uri.Scheme}://{HostForUrl(podIp)}:{uri.Port}";
    }

    /// <summary>The value of --name=value or --name value in a command line (shell scripts included).</summary>
    internal static string? Flag(string commandLine, string name)
    {
        var match = Regex.Match(commandLine, $@"--{Regex.Escape(name)}(?:=|\s+)(""[^""]*""|'[^']*'|[^\s\\]+)");
        return match.Success ? match.Groups[1].Value.Trim('"', '\'') : null;
    }

    private static string? FirstUrl(string? urls) =>
        urls?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(u => u.Contains("://", StringComparison.Ordinal));

    private static int? PortOf(string? urls) =>
        FirstUrl(urls) is { } url && PortPattern().Match(url) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@":(\d+)/?$")]
    private static partial Regex PortPattern();

    private static string HostForUrl(string ip) => ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]" : ip;

    /// <summary>Kubernetes' $(VAR) expansion for the etcd container's env, with the downward-API names Bitnami uses.</summary>
    private static string? Expand(string? value, Dictionary<string, EnvironmentReference> environment, V1ObjectMeta metadata)
    {
        if (value is null) return null;
        return VariablePattern().Replace(value, m =>
        {
            var name = m.Groups[1].Value;
            if (name is "MY_POD_NAME" or "POD_NAME") return metadata.Name ?? m.Value;
            if (name is "MY_POD_NAMESPACE" or "POD_NAMESPACE") return metadata.NamespaceProperty ?? m.Value;
            return environment.TryGetValue(name, out var v) && v.Value is { } literal ? literal : m.Value;
        });
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex VariablePattern();
}
