using System.Text;

namespace EtcdTools.Kubernetes;

/// <summary>What the caller gives instead of (or on top of) the credentials Kubernetes holds.</summary>
public sealed record KubernetesCredentialOptions
{
    /// <summary>Files instead of the Secret and ConfigMap (OpenShift) or the control-plane host's files (kubeadm).</summary>
    public string? CaCertificatePath { get; init; }
    public string? CertificatePath { get; init; }
    public string? KeyPath { get; init; }

    /// <summary>etcd's user and password instead of the Bitnami release's root password.</summary>
    public string? Username { get; init; }
    public string? Password { get; init; }

    /// <summary>Where kubeadm keeps etcd's certificates on a control-plane host.</summary>
    public string KubeadmPkiDirectory { get; init; } = "/etc/kubernetes/pki/etcd";
}

/// <summary>Reads each flavor's client credentials: into memory from Secrets and ConfigMaps, or as file paths.</summary>
internal static class EtcdPodCredentials
{
    public const string OpenShiftClientSecret = "etcd-client";
    public const string OpenShiftCaConfigMap = "etcd-ca-bundle";
    public const string OpenShiftCaKey = "ca-bundle.crt";
    public const string BitnamiPasswordKey = "etcd-root-password";

    public static async Task<Client.EtcdConnectionSettings> ApplyAsync(KubernetesApi api, EtcdPod pod, KubernetesCredentialOptions options,
        Client.EtcdConnectionSettings settings, CancellationToken cancellationToken)
    {
        var hasFiles = options.CertificatePath is not null || options.KeyPath is not null || options.CaCertificatePath is not null;
        if (hasFiles)
            settings = settings with { CaCertificatePath = options.CaCertificatePath, CertificatePath = options.CertificatePath, KeyPath = options.KeyPath };
        if (options.Username is not null)
            settings = settings with { Username = options.Username, Password = options.Password };

        switch (pod.Flavor)
        {
            case EtcdPodFlavor.OpenShift when !hasFiles:
                return await ReadOpenShiftAsync(api, pod.Namespace, settings, cancellationToken).ConfigureAwait(false);
            case EtcdPodFlavor.Kubeadm when !hasFiles:
                return ReadKubeadmFiles(options.KubeadmPkiDirectory, settings);
            case EtcdPodFlavor.Bitnami when options.Username is null:
                return await ReadBitnamiPasswordAsync(api, pod, settings, cancellationToken).ConfigureAwait(false);
            default:
                return settings;
        }
    }

    private static async Task<Client.EtcdConnectionSettings> ReadOpenShiftAsync(KubernetesApi api, string ns, Client.EtcdConnectionSettings settings, CancellationToken cancellationToken)
    {
        var alternatives = "give the certificate as files instead (-CertificatePath, -KeyPath and -CaCertificatePath; on a control-plane node they are under "
            + "/etc/kubernetes/static-pod-certs/secrets/etcd-all-certs and configmaps/etcd-serving-ca), or ask for 'get' on secrets and configmaps in " + ns;
        k8s.Models.V1Secret secret;
        try
        {
            secret = await api.ReadSecretAsync(ns, OpenShiftClientSecret, cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesException e) when (e.Kind is KubernetesErrorKind.Forbidden or KubernetesErrorKind.NotFound)
        {
            var why = e.Kind == KubernetesErrorKind.Forbidden ? $"which {api.Identity} may not read (get secrets: HTTP 403)" : "which does not exist";
            throw new KubernetesException(e.Kind, $"The etcd client certificate is kept in Secret {ns}/{OpenShiftClientSecret}, {why}: {alternatives}.",
                "get", "secrets", ns, OpenShiftClientSecret, e.StatusCode, e);
        }
        k8s.Models.V1ConfigMap caBundle;
        try
        {
            caBundle = await api.ReadConfigMapAsync(ns, OpenShiftCaConfigMap, cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesException e) when (e.Kind is KubernetesErrorKind.Forbidden or KubernetesErrorKind.NotFound)
        {
            var why = e.Kind == KubernetesErrorKind.Forbidden ? $"which {api.Identity} may not read (get configmaps: HTTP 403)" : "which does not exist";
            throw new KubernetesException(e.Kind, $"The etcd CA bundle is kept in ConfigMap {ns}/{OpenShiftCaConfigMap}, {why}: {alternatives}.",
                "get", "configmaps", ns, OpenShiftCaConfigMap, e.StatusCode, e);
        }
        var certificate = SecretText(secret, "tls.crt");
        var key = SecretText(secret, "tls.key");
        if (certificate is null || key is null)
            throw new KubernetesException(KubernetesErrorKind.Failed,
                $"Secret {ns}/{OpenShiftClientSecret} has no {(certificate is null ? "tls.crt" : "tls.key")}: it is not the etcd client certificate this tool expects; {alternatives}.",
                "get", "secrets", ns, OpenShiftClientSecret);
        if (caBundle.Data?.TryGetValue(OpenShiftCaKey, out var ca) != true || string.IsNullOrWhiteSpace(ca))
            throw new KubernetesException(KubernetesErrorKind.Failed,
                $"ConfigMap {ns}/{OpenShiftCaConfigMap} has no {OpenShiftCaKey}; {alternatives}.", "get", "configmaps", ns, OpenShiftCaConfigMap);
        return settings with
        {
            CertificatePem = certificate,
            KeyPem = key,
            CaCertificatePem = ca,
            PemSource = $"Secret {ns}/{OpenShiftClientSecret} and ConfigMap {ns}/{OpenShiftCaConfigMap}",
        };
    }

    private static Client.EtcdConnectionSettings ReadKubeadmFiles(string directory, Client.EtcdConnectionSettings settings)
    {
        var ca = Path.Combine(directory, "ca.crt");
        var certificate = Path.Combine(directory, "healthcheck-client.crt");
        var key = Path.Combine(directory, "healthcheck-client.key");
        var missing = new[] { ca, certificate, key }.Where(f => !File.Exists(f)).ToList();
        if (missing.Count > 0)
            throw new KubernetesException(KubernetesErrorKind.Configuration,
                $"kubeadm keeps etcd's certificates only on the control-plane hosts, not in a Secret, and {string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} not here (or not readable): "
                + "run this on a control-plane node (as root), or give -CaCertificatePath, -CertificatePath and -KeyPath (copies of ca.crt and healthcheck-client.crt/.key).");
        return settings with { CaCertificatePath = ca, CertificatePath = certificate, KeyPath = key };
    }

    private static async Task<Client.EtcdConnectionSettings> ReadBitnamiPasswordAsync(KubernetesApi api, EtcdPod pod, Client.EtcdConnectionSettings settings, CancellationToken cancellationToken)
    {
        if (!pod.EtcdEnvironment.TryGetValue("ETCD_ROOT_PASSWORD", out var reference)) return settings; // authentication off (ALLOW_NONE_AUTHENTICATION)
        if (reference.Value is { } literal) return settings with { Username = "root", Password = literal };
        if (reference.SecretName is not { } secretName) return settings;
        var key = reference.SecretKey ?? BitnamiPasswordKey;
        try
        {
            var secret = await api.ReadSecretAsync(pod.Namespace, secretName, cancellationToken).ConfigureAwait(false);
            var password = SecretText(secret, key) ?? throw new KubernetesException(KubernetesErrorKind.Failed,
                $"Secret {pod.Namespace}/{secretName} has no key '{key}', where pod {pod.Name} takes etcd's root password from: pass -Credential (user root).",
                "get", "secrets", pod.Namespace, secretName);
            return settings with { Username = "root", Password = password };
        }
        catch (KubernetesException e) when (e.Kind is KubernetesErrorKind.Forbidden or KubernetesErrorKind.NotFound)
        {
            var why = e.Kind == KubernetesErrorKind.Forbidden ? $"which {api.Identity} may not read (get secrets: HTTP 403)" : "which does not exist";
            throw new KubernetesException(e.Kind,
                $"etcd's root password is kept in Secret {pod.Namespace}/{secretName} (key {key}), {why}: pass -Credential (user root and its password) instead, or ask for 'get' on secrets in {pod.Namespace}.",
                "get", "secrets", pod.Namespace, secretName, e.StatusCode, e);
        }
    }

    private static string? SecretText(k8s.Models.V1Secret secret, string key) =>
        secret.Data?.TryGetValue(key, out var bytes) == true && bytes is { Length: > 0 } ? Encoding.UTF8.GetString(bytes)
        : secret.StringData?.TryGetValue(key, out var text) == true && !string.IsNullOrEmpty(text) ? text
        : null;
}
