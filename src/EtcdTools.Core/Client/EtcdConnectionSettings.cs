using System.Collections;
using EtcdTools.Protocol;

namespace EtcdTools.Client;

/// <summary>
/// How to reach an etcd cluster: endpoints, TLS material, credentials and timeouts. Immutable;
/// use <c>with</c> to derive. The same settings serve one member or the whole cluster.
/// </summary>
public sealed record EtcdConnectionSettings
{
    /// <summary>etcdctl's defaults: 2 s to dial, 5 s per command.</summary>
    public static readonly TimeSpan DefaultDialTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(5);
    public const string DefaultEndpoint = "http://127.0.0.1:2379";

    /// <summary>Client URLs (http:// or https://); a bare host:port is accepted as etcdctl does.</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = [DefaultEndpoint];

    /// <summary>PEM bundle of CAs trusted for the servers' certificates (etcdctl --cacert).</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>PEM client certificate (etcdctl --cert) and its PEM private key (--key).</summary>
    public string? CertificatePath { get; init; }
    public string? KeyPath { get; init; }

    /// <summary>
    /// The CA bundle, client certificate and key as PEM text held in memory, instead of files (read
    /// from a Kubernetes Secret and ConfigMap: the key is never written to disk). Each item from a
    /// file or from text, not both.
    /// </summary>
    public string? CaCertificatePem { get; init; }
    public string? CertificatePem { get; init; }
    public string? KeyPem { get; init; }

    /// <summary>Where the PEM text came from, named in TLS errors (e.g. "Secret openshift-etcd/etcd-client").</summary>
    public string? PemSource { get; init; }

    /// <summary>Overrides the name the server certificate is checked against (SNI and SAN).</summary>
    public string? ServerName { get; init; }

    /// <summary>Skips every server certificate check. Only when the caller asks (etcdctl --insecure-skip-tls-verify).</summary>
    public bool SkipCertificateCheck { get; init; }

    public string? Username { get; init; }
    public string? Password { get; init; }

    public TimeSpan DialTimeout { get; init; } = DefaultDialTimeout;
    public TimeSpan CommandTimeout { get; init; } = DefaultCommandTimeout;

    /// <summary>
    /// The cluster these settings must reach, when known (a connection made earlier, an object piped
    /// from a cluster): an answer from any other cluster fails with <see cref="EtcdErrorKind.ClusterMismatch"/>,
    /// so a runbook never acts on the wrong cluster. Null checks nothing.
    /// </summary>
    public ulong? ExpectedClusterId { get; init; }

    /// <summary>How members are reached; null dials their client URLs over TCP.</summary>
    public IEndpointConnector? Connector { get; init; }

    /// <summary>
    /// Where members serve /metrics when not on their client URL, by member name (case-insensitive):
    /// the base URL (scheme, host, port), e.g. kubeadm's http://127.0.0.1:2381. Members not named
    /// here serve it on their client URL.
    /// </summary>
    public IReadOnlyDictionary<string, Uri>? MetricsUrls { get; init; }

    /// <summary>The transport's view of these settings: dialling, TLS and the connector.</summary>
    public GrpcTransportOptions ToTransportOptions() => new()
    {
        DialTimeout = DialTimeout,
        CaCertificatePath = CaCertificatePath,
        CertificatePath = CertificatePath,
        KeyPath = KeyPath,
        CaCertificatePem = CaCertificatePem,
        CertificatePem = CertificatePem,
        KeyPem = KeyPem,
        PemSource = PemSource,
        ServerName = ServerName,
        SkipCertificateCheck = SkipCertificateCheck,
        Connector = Connector,
    };

    /// <summary>True when any endpoint is https:// or TLS material is given (bare host:port endpoints then mean https).</summary>
    public bool UsesTlsEndpoints => UsesTls || Endpoints.Any(e => e.StartsWith("https://", StringComparison.OrdinalIgnoreCase));

    /// <summary>True when TLS material is given, so bare host:port endpoints mean https.</summary>
    public bool UsesTls => CaCertificatePath is not null || CertificatePath is not null || CaCertificatePem is not null || CertificatePem is not null || SkipCertificateCheck;

    /// <summary>The endpoints as absolute URLs, validated. Throws <see cref="ArgumentException"/> with a clear message.</summary>
    public IReadOnlyList<Uri> GetEndpointUris() => Endpoints.Select(e => ParseEndpoint(e, UsesTls)).ToArray();

    /// <summary>Parses one endpoint: http(s)://host:port, or host:port (https when TLS settings are given).</summary>
    public static Uri ParseEndpoint(string endpoint, bool defaultTls = false)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
            throw new ArgumentException("An etcd endpoint is empty: give a client URL such as https://10.0.0.1:2379.", nameof(endpoint));
        var text = endpoint.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            if (text.Contains(":/", StringComparison.Ordinal) || text.Contains('/'))
                throw new ArgumentException($"The etcd endpoint '{endpoint}' is not a valid URL: give a client URL such as https://10.0.0.1:2379.", nameof(endpoint));
            text = (defaultTls ? "https://" : "http://") + text;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException($"The etcd endpoint '{endpoint}' is not a valid URL: give a client URL such as https://10.0.0.1:2379.", nameof(endpoint));
        if (uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"The etcd endpoint '{endpoint}' uses the scheme '{uri.Scheme}': etcd's client URLs use http or https.", nameof(endpoint));
        if (uri.AbsolutePath is not ("/" or "") || !string.IsNullOrEmpty(uri.Query))
            throw new ArgumentException($"The etcd endpoint '{endpoint}' has a path or query: give only scheme, host and port, such as https://10.0.0.1:2379.", nameof(endpoint));
        if (!HasExplicitPort(text))
            uri = new UriBuilder(uri) { Port = 2379 }.Uri;
        return new Uri(uri.GetLeftPart(UriPartial.Authority));
    }

    private static bool HasExplicitPort(string text)
    {
        var authority = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
        var bracket = authority.LastIndexOf(']');
        return authority.LastIndexOf(':') > bracket;
    }

    /// <summary>
    /// Reads the variables etcdctl reads: ETCDCTL_ENDPOINTS, ETCDCTL_CACERT, ETCDCTL_CERT, ETCDCTL_KEY,
    /// ETCDCTL_USER ("user" or "user:password"), ETCDCTL_PASSWORD, ETCDCTL_DIAL_TIMEOUT,
    /// ETCDCTL_COMMAND_TIMEOUT, ETCDCTL_INSECURE_SKIP_TLS_VERIFY. Returns null when none is set.
    /// </summary>
    public static EtcdConnectionSettings? FromEnvironment(IDictionary? variables = null)
    {
        variables ??= Environment.GetEnvironmentVariables();
        string? Get(string name) => variables[name] is string s && !string.IsNullOrWhiteSpace(s) ? s.Trim() : null;

        var endpoints = Get("ETCDCTL_ENDPOINTS");
        var ca = Get("ETCDCTL_CACERT");
        var cert = Get("ETCDCTL_CERT");
        var key = Get("ETCDCTL_KEY");
        var user = Get("ETCDCTL_USER");
        var password = Get("ETCDCTL_PASSWORD");
        var dial = Get("ETCDCTL_DIAL_TIMEOUT");
        var command = Get("ETCDCTL_COMMAND_TIMEOUT");
        var insecure = Get("ETCDCTL_INSECURE_SKIP_TLS_VERIFY");
        if (endpoints is null && ca is null && cert is null && key is null && user is null && dial is null && command is null && insecure is null)
            return null;

        if (user is not null && password is null)
        {
            var colon = user.IndexOf(':');
            if (colon >= 0) { password = user[(colon + 1)..]; user = user[..colon]; }
        }
        return new EtcdConnectionSettings
        {
            Endpoints = endpoints is null ? [DefaultEndpoint] : endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            CaCertificatePath = ca,
            CertificatePath = cert,
            KeyPath = key,
            Username = user,
            Password = password,
            SkipCertificateCheck = insecure is not null && bool.TryParse(insecure, out var skip) && skip,
            DialTimeout = dial is null ? DefaultDialTimeout : Duration.Parse(dial, "ETCDCTL_DIAL_TIMEOUT"),
            CommandTimeout = command is null ? DefaultCommandTimeout : Duration.Parse(command, "ETCDCTL_COMMAND_TIMEOUT"),
        };
    }

    /// <summary>Password never printed.</summary>
    public override string ToString() =>
        $"{string.Join(",", Endpoints)}{(UsesTls ? " (TLS)" : "")}{(Username is null ? "" : $" as {Username}")}";
}
