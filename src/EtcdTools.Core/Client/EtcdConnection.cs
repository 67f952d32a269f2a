namespace EtcdTools.Client;

/// <summary>
/// A verified connection to a cluster: what Connect-EtcdCluster keeps for the session and
/// Get-EtcdConnection shows. Flat and scalar; the password stays inside <see cref="GetSettings"/>.
/// </summary>
public sealed class EtcdConnection
{
    public EtcdConnection(EtcdConnectionSettings settings, ulong clusterId, int memberCount, string source)
    {
        // Every later use checks that the endpoints still answer as this cluster.
        _settings = settings with { ExpectedClusterId = clusterId };
        ClusterId = MemberId.Format(clusterId);
        MemberCount = memberCount;
        Source = source;
        ConnectedAt = DateTimeOffset.Now;
    }

    /// <summary>Comma-separated client URLs, as etcdctl --endpoints takes them (binds to -Endpoint).</summary>
    public string Endpoint => string.Join(",", _settings.Endpoints);
    public string? CaCertificatePath => _settings.CaCertificatePath;
    public string? CertificatePath => _settings.CertificatePath;
    public string? KeyPath => _settings.KeyPath;
    public string? User => _settings.Username;
    public bool Tls => _settings.UsesTlsEndpoints;
    public bool SkipCertificateCheck => _settings.SkipCertificateCheck;
    public TimeSpan DialTimeout => _settings.DialTimeout;
    public TimeSpan CommandTimeout => _settings.CommandTimeout;
    public string ClusterId { get; }
    public int MemberCount { get; }

    /// <summary>Where the settings came from: Parameters, Sandbox, Environment or Default.</summary>
    public string Source { get; }
    public DateTimeOffset ConnectedAt { get; }

    private readonly EtcdConnectionSettings _settings;

    /// <summary>The full settings, credentials included: a method, so Export-Csv and ConvertTo-Json leave it out.</summary>
    public EtcdConnectionSettings GetSettings() => _settings;

    /// <summary>Checks the settings by listing members through the first endpoint that answers.</summary>
    public static async Task<EtcdConnection> OpenAsync(EtcdConnectionSettings settings, string source, CancellationToken cancellationToken = default)
    {
        using var cluster = new EtcdCluster(settings);
        var members = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        return new EtcdConnection(settings, members.Header.ClusterId, members.Members.Count, source);
    }

    public override string ToString() => $"{Endpoint} (cluster {ClusterId}, {MemberCount} members)";
}
