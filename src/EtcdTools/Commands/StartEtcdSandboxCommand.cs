using System.Management.Automation;
using EtcdTools.Client;
using EtcdTools.Framework;
using EtcdTools.Sandbox;

namespace EtcdTools.Commands;

/// <summary>
/// Starts a throwaway local etcd cluster (real etcd processes on free loopback ports, data in a
/// temporary directory) for trying the module and for acceptance tests. The object it returns
/// carries the connection settings, so it pipes into the other cmdlets and into Connect-EtcdCluster.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "EtcdSandbox", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(EtcdSandbox))]
public sealed class StartEtcdSandboxCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

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
            EtcdPath = EtcdPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(EtcdPath),
            BaseDirectory = BaseDirectory is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(BaseDirectory),
            ReadyTimeout = ReadyTimeout,
            Name = Name,
            ExtraArguments = ExtraArgument ?? [],
        };
        if (!ShouldProcess($"{Members} member(s){(Tls ? " with TLS" : "")}", "Start an etcd sandbox")) return;

        WriteProgress(new ProgressRecord(1, "Start-EtcdSandbox", $"Starting {Members} etcd member(s)"));
        EtcdSandbox sandbox;
        try
        {
            sandbox = Task.Run(() => EtcdSandbox.StartAsync(options, _stopping.Token)).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception e)
        {
            ThrowTerminatingError(EtcdErrorRecords.From(e, options));
            return;
        }
        finally
        {
            WriteProgress(new ProgressRecord(1, "Start-EtcdSandbox", "Started") { RecordType = ProgressRecordType.Completed });
        }
        if (Connect)
        {
            // Checked like Connect-EtcdCluster does, so the session's connection carries the real cluster ID.
            try
            {
                var connection = Task.Run(() => EtcdConnection.OpenAsync(sandbox.ConnectionSettings, "Sandbox", _stopping.Token)).GetAwaiter().GetResult();
                SessionConnection.Set(connection);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception e)
            {
                WriteError(EtcdErrorRecords.From(e, sandbox));
            }
        }
        WriteObject(sandbox);
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
