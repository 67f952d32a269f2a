namespace EtcdTools.Client;

/// <summary>
/// A verified connection to a cluster: what Connect-EtcdCluster keeps for the session and
/// Get-EtcdConnection shows. Flat and scalar; the password stays inside <see cref="Settings"/>.
/// </summary>
public sealed class EtcdConnection
{
    public EtcdConnection(EtcdConnectionSettings settings, ulong clusterId, int memberCount, string source)
    {
        Settings = settings;
        ClusterId = MemberId.Format(clusterId);
        MemberCount = memberCount;
        Source = source;
        ConnectedAt = DateTimeOffset.Now;
    }

    /// <summary>Comma-separated client URLs, as etcdctl --endpoints takes them (binds to -Endpoint).</summary>
    public string Endpoint => string.Join(",", Settings.Endpoints);
    public string? CaCertificatePath => Settings.CaCertificatePath;
    public string? CertificatePath => Settings.CertificatePath;
    public string? KeyPath => Settings.KeyPath;
    public string? User => Settings.Username;
    public bool Tls => Settings.UsesTls || Settings.Endpoints.Any(e => e.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
    public bool SkipCertificateCheck => Settings.SkipCertificateCheck;
    public TimeSpan DialTimeout => Settings.DialTimeout;
    public TimeSpan CommandTimeout => Settings.CommandTimeout;
    public string ClusterId { get; }
    public int MemberCount { get; }

    /// <summary>Where the settings came from: Parameters, Sandbox, Environment or Default.</summary>
    public string Source { get; }
    public DateTimeOffset ConnectedAt { get; }

    /// <summary>The full settings, credentials included; not shown in views.</summary>
    public EtcdConnectionSettings Settings { get; }

    /// <summary>Checks the settings by listing members through the first endpoint that answers.</summary>
    public static async Task<EtcdConnection> OpenAsync(EtcdConnectionSettings settings, string source, CancellationToken cancellationToken = default)
    {
        using var cluster = new EtcdCluster(settings);
        var members = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
        return new EtcdConnection(settings, members.Header.ClusterId, members.Members.Count, source);
    }

    public override string ToString() => $"{Endpoint} (cluster {ClusterId}, {MemberCount} members)";
}
