using System.Management.Automation;
using EtcdTools.Client;

namespace EtcdTools.Framework;

/// <summary>
/// Base of every cmdlet that talks to etcd: the connection parameters and the one rule that
/// resolves them. Each setting comes from, in this order: the parameters (typed, or bound from a
/// piped object such as a member's Endpoint), -Connection, the session's connection
/// (Connect-EtcdCluster), the ETCDCTL_* variables etcdctl reads, and http://127.0.0.1:2379.
/// Objects piped from a cluster carry its ClusterId: the endpoints must answer as that cluster,
/// so objects of one cluster are never acted on through another's endpoints.
/// </summary>
public abstract class EtcdCmdlet : EtcdToolsCmdlet
{
    private readonly Dictionary<string, EtcdCluster> _clusters = new(StringComparer.Ordinal);
    private bool _endpointTyped;
    private EtcdSession? _session;

    /// <summary>A connection from Connect-EtcdCluster -PassThru or Get-EtcdConnection: a runbook can hold several.</summary>
    [Parameter]
    [ValidateNotNull]
    public EtcdConnection? Connection { get; set; }

    /// <summary>Client URLs; a comma-separated string works too, as etcdctl --endpoints takes it.</summary>
    // No [ValidateNotNullOrEmpty] on parameters that bind from piped objects: an object without the
    // value (a member not started has no Endpoint, a plain sandbox no TLS paths) carries null, and
    // PowerShell validates pipeline values too, failing the whole record. Null or empty means "not given".
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? Endpoint { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? CaCertificatePath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? CertificatePath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? KeyPath { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan? DialTimeout { get; set; }

    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan? CommandTimeout { get; set; }

    /// <summary>The cluster (hex ID) the command must act on; bound from piped objects, which carry theirs.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ClusterId { get; set; }

    /// <summary>The session of this runspace (Connect-EtcdCluster's connection); pipeline thread only.</summary>
    private protected EtcdSession Session => _session ??= EtcdSession.Of(this);

    /// <summary>Remembers whether -Endpoint was typed (bound before this runs) or comes from piped objects.</summary>
    protected override void BeginProcessing()
    {
        _endpointTyped = Endpoint is not null;
        if (_endpointTyped && SplitEndpoints(Endpoint!).Length == 0)
        {
            ThrowTerminatingError(EtcdErrorRecords.Create(new ArgumentException("-Endpoint is empty: give a client URL such as https://10.0.0.1:2379."),
                "InvalidArgument", ErrorCategory.InvalidArgument, Endpoint));
        }
    }

    /// <summary>The settings for this record, after the precedence rules above, and where they came from.</summary>
    /// <param name="source">Parameters, Connection, Session, Environment or Default.</param>
    /// <param name="newConnection">
    /// True for Connect-EtcdCluster, which replaces the session's connection instead of working on it:
    /// the session's settings are not the base, and piped endpoints (a sandbox's) are taken alone.
    /// </param>
    protected EtcdConnectionSettings ResolveSettings(out string source, bool newConnection = false)
    {
        try
        {
            return BuildSettings(newConnection, out source);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or EtcdException)
        {
            // A malformed endpoint, cluster ID or ETCDCTL_* duration, or a cluster ID that contradicts
            // the connection: one clear error before any network work.
            ThrowTerminatingError(EtcdErrorRecords.From(e, Endpoint is null ? null : string.Join(",", Endpoint)));
            throw;
        }
    }

    protected EtcdConnectionSettings ResolveSettings() => ResolveSettings(out _);

    private EtcdConnectionSettings BuildSettings(bool newConnection, out string source)
    {
        EtcdConnectionSettings? configured;
        if (Connection is not null) (configured, source) = (Connection.GetSettings(), "Connection");
        else if (!newConnection && Session.Connection is { } session) (configured, source) = (session.GetSettings(), "Session");
        else if (EtcdConnectionSettings.FromEnvironment() is { } environment) (configured, source) = (environment, "Environment");
        else (configured, source) = (null, "Default");

        var settings = configured ?? new EtcdConnectionSettings();
        var connectionName = source switch
        {
            "Connection" => "-Connection",
            "Session" => "the session's connection (Connect-EtcdCluster)",
            _ => "the connection",
        };
        var endpoints = Endpoint is null ? [] : SplitEndpoints(Endpoint);
        if (endpoints.Length > 0)
        {
            if (_endpointTyped)
            {
                // Typed endpoints mean exactly those, of whichever cluster they are: the connection
                // lends its TLS material and credentials, not its cluster.
                settings = settings with { Endpoints = endpoints, ExpectedClusterId = null };
            }
            else
            {
                // An endpoint piped in from a member is tried first, with the connection's endpoints
                // behind it, so a piped member that is down still gets its own error instead of
                // breaking cluster discovery; the cluster ID check keeps the two from being mixed.
                settings = settings with
                {
                    Endpoints = newConnection || configured is null ? endpoints : endpoints.Concat(configured.Endpoints).Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
                };
            }
        }
        if (endpoints.Length > 0 || CaCertificatePath is { Length: > 0 } || CertificatePath is { Length: > 0 } || Credential is not null) source = "Parameters";
        if (!string.IsNullOrEmpty(CaCertificatePath)) settings = settings with { CaCertificatePath = ResolvePath(CaCertificatePath) };
        if (!string.IsNullOrEmpty(CertificatePath)) settings = settings with { CertificatePath = ResolvePath(CertificatePath) };
        if (!string.IsNullOrEmpty(KeyPath)) settings = settings with { KeyPath = ResolvePath(KeyPath) };
        if (Credential is not null && Credential != PSCredential.Empty)
            settings = settings with { Username = Credential.UserName, Password = Credential.GetNetworkCredential().Password };
        if (SkipCertificateCheck.IsPresent) settings = settings with { SkipCertificateCheck = true };
        if (DialTimeout is { } dial) settings = settings with { DialTimeout = dial };
        if (CommandTimeout is { } command) settings = settings with { CommandTimeout = command };
        if (!string.IsNullOrWhiteSpace(ClusterId))
        {
            if (!MemberId.TryParse(ClusterId, out var wanted))
                throw new FormatException($"'{ClusterId}' is not an etcd cluster ID: give it in hex as Get-EtcdMember and Get-EtcdConnection show it.");
            if (wanted != 0 && settings.ExpectedClusterId is { } known && known != wanted)
                throw new EtcdException(EtcdErrorKind.ClusterMismatch, EtcdTools.Protocol.GrpcStatusCode.FailedPrecondition,
                    $"The object piped in (or -ClusterId) belongs to cluster {MemberId.Format(wanted)}, but {connectionName} is to cluster {MemberId.Format(known)}. " +
                    "Nothing was done. Pass -Connection for the cluster the object came from.");
            // 0: the object's cluster was unknown when it was made (an endpoint that never answered).
            if (wanted != 0) settings = settings with { ExpectedClusterId = wanted };
        }
        // Fail fast on a malformed URL, before any network work.
        settings.GetEndpointUris();
        return settings;
    }

    internal static string[] SplitEndpoints(IEnumerable<string> endpoints) =>
        endpoints.Where(e => e is not null).SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();

    /// <summary>The cluster for this record's settings, reused across records with the same settings.</summary>
    protected EtcdCluster GetCluster()
    {
        var settings = ResolveSettings();
        var key = string.Join("|", string.Join(",", settings.Endpoints), settings.CaCertificatePath, settings.CertificatePath, settings.KeyPath,
            settings.Username, settings.Password?.GetHashCode(StringComparison.Ordinal), settings.SkipCertificateCheck, settings.DialTimeout,
            settings.CommandTimeout, settings.ServerName, settings.ExpectedClusterId, settings.Connector?.GetHashCode());
        if (!_clusters.TryGetValue(key, out var cluster))
        {
            cluster = new EtcdCluster(settings);
            _clusters[key] = cluster;
        }
        return cluster;
    }

    protected override void EndProcessing() => DisposeClusters();

    private void DisposeClusters()
    {
        foreach (var cluster in _clusters.Values) cluster.Dispose();
        _clusters.Clear();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) DisposeClusters();
        base.Dispose(disposing);
    }
}
