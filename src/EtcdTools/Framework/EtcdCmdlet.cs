using System.Management.Automation;
using EtcdTools.Client;

namespace EtcdTools.Framework;

/// <summary>
/// Base of every cmdlet that talks to etcd. It owns the connection parameters and resolves them
/// in this order: parameters (including ones bound from the pipeline, such as a sandbox's or a
/// member's Endpoint) over the session's connection (Connect-EtcdCluster) over the ETCDCTL_*
/// environment variables over http://127.0.0.1:2379. It runs async work off the pipeline thread,
/// cancels it on Ctrl+C, and turns failures into error records.
/// </summary>
public abstract class EtcdCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<string, EtcdCluster> _clusters = new(StringComparer.Ordinal);

    /// <summary>Client URLs; a comma-separated string works too, as etcdctl --endpoints takes it.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Endpoint { get; set; }

    // No [ValidateNotNullOrEmpty] on the TLS paths: a piped object without TLS (a plain sandbox or
    // connection) carries them as null, and PowerShell runs validation on pipeline values too, so the
    // attribute would fail the whole record. Null or empty means "not given" (see ResolveSettings).
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

    private bool _endpointFromCommandLine;

    /// <summary>Remembers whether -Endpoint was typed (bound before this runs) or comes from piped objects.</summary>
    protected override void BeginProcessing() => _endpointFromCommandLine = Endpoint is { Length: > 0 };

    /// <summary>Cancelled when the user presses Ctrl+C (StopProcessing). (Cmdlet.Stopping is PowerShell's own bool.)</summary>
    protected CancellationToken StopToken => _stopping.Token;

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>The settings for this record, after the precedence rules above.</summary>
    /// <param name="newConnection">
    /// True for Connect-EtcdCluster, which replaces the session's connection instead of working on it:
    /// the session's settings are not the base, and piped endpoints (a sandbox's) are taken alone, never
    /// mixed with the endpoints of another cluster configured before.
    /// </param>
    protected EtcdConnectionSettings ResolveSettings(bool newConnection = false)
    {
        try
        {
            return BuildSettings(newConnection);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            // A malformed endpoint or ETCDCTL_* duration: one clear InvalidArgument before any network work.
            ThrowTerminatingError(EtcdErrorRecords.From(e, Endpoint is null ? null : string.Join(",", Endpoint)));
            throw;
        }
    }

    private EtcdConnectionSettings BuildSettings(bool newConnection)
    {
        var configured = (newConnection ? null : SessionConnection.Current?.GetSettings()) ?? EtcdConnectionSettings.FromEnvironment();
        var settings = configured ?? new EtcdConnectionSettings();
        if (Endpoint is { Length: > 0 })
        {
            // A typed -Endpoint means exactly those endpoints. An endpoint piped in from a member
            // is tried first, with the session's endpoints behind it, so a piped member that is
            // down still gets its own error instead of breaking cluster discovery.
            var endpoints = SplitEndpoints(Endpoint);
            if (!_endpointFromCommandLine && !newConnection && configured is not null)
                endpoints = endpoints.Concat(configured.Endpoints).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
            settings = settings with { Endpoints = endpoints };
        }
        if (!string.IsNullOrEmpty(CaCertificatePath)) settings = settings with { CaCertificatePath = ResolvePath(CaCertificatePath) };
        if (!string.IsNullOrEmpty(CertificatePath)) settings = settings with { CertificatePath = ResolvePath(CertificatePath) };
        if (!string.IsNullOrEmpty(KeyPath)) settings = settings with { KeyPath = ResolvePath(KeyPath) };
        if (Credential is not null && Credential != PSCredential.Empty)
            settings = settings with { Username = Credential.UserName, Password = Credential.GetNetworkCredential().Password };
        if (SkipCertificateCheck.IsPresent) settings = settings with { SkipCertificateCheck = true };
        if (DialTimeout is { } dial) settings = settings with { DialTimeout = dial };
        if (CommandTimeout is { } command) settings = settings with { CommandTimeout = command };
        // Fail fast on a malformed URL, before any network work.
        settings.GetEndpointUris();
        return settings;
    }

    /// <summary>Which source the settings came from, for Get-EtcdConnection and verbose output.</summary>
    protected string DescribeSettingsSource(bool newConnection = false)
    {
        if (Endpoint is { Length: > 0 } || !string.IsNullOrEmpty(CaCertificatePath) || !string.IsNullOrEmpty(CertificatePath) || Credential is not null) return "Parameters";
        if (!newConnection && SessionConnection.Current is not null) return "Session";
        return EtcdConnectionSettings.FromEnvironment() is not null ? "Environment" : "Default";
    }

    internal static string[] SplitEndpoints(IEnumerable<string> endpoints) =>
        endpoints.SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();

    /// <summary>The cluster for the current settings, reused across pipeline records with the same settings.</summary>
    protected EtcdCluster GetCluster()
    {
        var settings = ResolveSettings();
        var key = string.Join("|", string.Join(",", settings.Endpoints), settings.CaCertificatePath, settings.CertificatePath, settings.KeyPath,
            settings.Username, settings.Password?.GetHashCode(), settings.SkipCertificateCheck, settings.DialTimeout, settings.CommandTimeout, settings.ServerName);
        if (!_clusters.TryGetValue(key, out var cluster))
        {
            cluster = new EtcdCluster(settings);
            _clusters[key] = cluster;
        }
        return cluster;
    }

    /// <summary>A path as the user meant it: relative to the session's current location, not the process's.</summary>
    protected string ResolvePath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>
    /// Runs <paramref name="work"/> on the thread pool while this (pipeline) thread writes what it
    /// produces. A failure that escapes the work ends the cmdlet with a terminating error;
    /// Ctrl+C cancels the work's token and ends quietly.
    /// </summary>
    protected void Run(Func<CmdletOutput, CancellationToken, Task> work, object? errorTarget = null)
    {
        using var output = new CmdletOutput();
        var task = Task.Run(async () =>
        {
            try { await work(output, StopToken).ConfigureAwait(false); }
            finally { output.Complete(); }
        });
        try
        {
            foreach (var action in output.Drain())
                action(this);
        }
        catch
        {
            // Writing threw (-ErrorAction Stop, Select-Object -First, Ctrl+C): this cmdlet is done, so
            // cancel everything it started (work that spans Runs, such as a watch, holds StopToken too)
            // and let the work end before the exception travels on.
            output.Abandon();
            _stopping.Cancel();
            try { task.GetAwaiter().GetResult(); }
            catch (Exception) { /* the write's exception is the one that matters */ }
            throw;
        }
        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception e) when (e is not PipelineStoppedException and not ActionPreferenceStopException)
        {
            ThrowTerminatingError(EtcdErrorRecords.From(e, errorTarget));
        }
    }

    /// <summary>A non-terminating error for one failing item (a member), so the others still report.</summary>
    protected static ErrorRecord ErrorFor(Exception exception, object? target) => EtcdErrorRecords.From(exception, target);

    protected override void EndProcessing() => DisposeClusters();

    private void DisposeClusters()
    {
        foreach (var cluster in _clusters.Values) cluster.Dispose();
        _clusters.Clear();
    }

    public void Dispose()
    {
        DisposeClusters();
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
