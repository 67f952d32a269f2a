namespace EtcdTools.Keys;

/// <summary>
/// Which keys hold secrets whose values are withheld unless asked for. Kubernetes keeps every
/// Secret in etcd under "&lt;storage prefix&gt;/secrets/": /registry/secrets/ by default,
/// /kubernetes.io/secrets/ on OpenShift, or any other one-segment --etcd-prefix. A listing that
/// ends up in a ticket, a CSV or a screen share must not carry them.
/// </summary>
public static class SecretKeys
{
    private const string SecretsSegment = "/secrets/";

    /// <summary>True for keys of the form "/&lt;prefix&gt;/secrets/...", e.g. /registry/secrets/default/token.</summary>
    public static bool IsSecret(string key)
    {
        if (key.Length < 2 || key[0] != '/') return false;
        var secondSlash = key.IndexOf('/', 1);
        return secondSlash > 1 && key.AsSpan(secondSlash).StartsWith(SecretsSegment, StringComparison.Ordinal);
    }
}
