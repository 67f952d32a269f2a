using System.Management.Automation;
using EtcdTools.Client;
using EtcdTools.Framework;
using EtcdTools.Sandbox;

namespace EtcdTools.Commands;

/// <summary>
/// Starts a throwaway local etcd cluster (real etcd processes on free loopback ports, data in a
/// temporary directory) for trying the module and for acceptance tests. The object it returns
/// carries the connection settings, so it pipes into the other cmdlets and into Connect-EtcdCluster.
/// -FromSnapshot restores every member from a snapshot first and compares what the sandbox serves
/// with the snapshot (the sandbox's RestoreVerification), proving a backup restorable.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "EtcdSandbox", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(EtcdSandbox))]
public sealed class StartEtcdSandboxCommand : EtcdToolsCmdlet
{
    [Parameter(Position = 0)]
    [ValidateSet("1", "3", "5")]
    public int Members { get; set; } = 1;

    /// <summary>TLS with client-certificate authentication on client and peer ports, from a CA made for the sandbox.</summary>
    [Parameter]
    public SwitchParameter Tls { get; set; }

    /// <summary>etcd's --quota-backend-bytes: a small quota raises NOSPACE quickly for drills.</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long QuotaBackendBytes { get; set; }

    /// <summary>The etcd binary or its directory; by default `etcd` on PATH.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EtcdPath { get; set; }

    [Parameter]
    [ValidatePattern("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public string? Name { get; set; }

    /// <summary>Where the sandbox makes its directory; by default the temporary directory.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? BaseDirectory { get; set; }

    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan ReadyTimeout { get; set; } = EtcdSandboxOptions.DefaultReadyTimeout;

    /// <summary>More etcd flags, e.g. '--auth-token-ttl','60'.</summary>
    [Parameter]
    public string[]? ExtraArgument { get; set; }

    /// <summary>
    /// A snapshot every member is restored from (with etcdutl or etcdctl, as Restore-EtcdSnapshot
    /// does): proves a backup restorable, and compares the keys and HashKV the sandbox serves with
    /// the snapshot's (the sandbox's RestoreVerification).
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? FromSnapshot { get; set; }

    /// <summary>With -FromSnapshot: etcdutl (or etcdctl before 3.6) to restore with; by default found on PATH.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EtcdutlPath { get; set; }

    /// <summary>Also make it the session's connection (Connect-EtcdCluster).</summary>
    [Parameter]
    public SwitchParameter Connect { get; set; }

    protected override void ProcessRecord()
    {
        var options = new EtcdSandboxOptions
        {
            Members = Members,
            Tls = Tls.IsPresent,
            QuotaBackendBytes = QuotaBackendBytes > 0 ? QuotaBackendBytes : null,
            EtcdPath = EtcdPath is null ? null : ResolvePath(EtcdPath),
            BaseDirectory = BaseDirectory is null ? null : ResolvePath(BaseDirectory),
            ReadyTimeout = ReadyTimeout,
            Name = Name,
            ExtraArguments = ExtraArgument ?? [],
            FromSnapshot = FromSnapshot is null ? null : ResolvePath(FromSnapshot),
            RestoreToolPath = EtcdutlPath is null ? null : ResolvePath(EtcdutlPath),
        };
        if (options.FromSnapshot is not null && !File.Exists(options.FromSnapshot))
            ThrowTerminatingError(EtcdErrorRecords.Create(new FileNotFoundException($"Cannot find the snapshot '{options.FromSnapshot}'.", options.FromSnapshot),
                "PathNotFound", ErrorCategory.ObjectNotFound, options.FromSnapshot));
        if (!ShouldProcess($"{Members} member(s){(Tls ? " with TLS" : "")}",
            options.FromSnapshot is null ? "Start an etcd sandbox" : $"Start an etcd sandbox restored from {options.FromSnapshot}")) return;

        EtcdSandbox? sandbox = null;
        EtcdConnection? connection = null;
        var connect = Connect.IsPresent;
        Run(async (output, ct) =>
        {
            var progress = new ProgressRecord(1, "Start-EtcdSandbox", $"Starting {options.Members} etcd member(s)");
            await output.WriteProgressAsync(progress);
            sandbox = await EtcdSandbox.StartAsync(options, ct).ConfigureAwait(false);
            progress.RecordType = ProgressRecordType.Completed;
            await output.WriteProgressAsync(progress);
            if (sandbox.RestoreVerification is { } verification)
            {
                await output.WriteVerboseAsync(verification.Message);
                // The sandbox is still returned: it is the evidence to look at.
                if (!verification.Matches)
                    await output.WriteErrorAsync(EtcdErrorRecords.Create(new InvalidDataException(verification.Message), "EtcdRestoreMismatch", ErrorCategory.InvalidData, sandbox));
            }
            if (!connect) return;
            try
            {
                // Checked as Connect-EtcdCluster does, so the session's connection carries the real cluster ID.
                connection = await EtcdConnection.OpenAsync(sandbox.ConnectionSettings, "Sandbox", ct).ConfigureAwait(false);
            }
            catch (EtcdException e)
            {
                // The sandbox runs and is still returned, for the caller to look at and stop.
                await output.WriteErrorAsync(e, sandbox);
            }
        }, options);
        if (sandbox is null) return;
        if (connection is not null) EtcdSession.Of(this).Connection = connection;
        WriteObject(sandbox);
    }
}
