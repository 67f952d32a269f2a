using System.Management.Automation;
using EtcdTools.Client;
using EtcdTools.Framework;

namespace EtcdTools.Commands;

/// <summary>
/// Checks a connection (it lists the members) and keeps it for the session, so later cmdlets
/// need no connection parameters. Takes parameters, a sandbox from the pipeline, or ETCDCTL_*.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "EtcdCluster")]
[OutputType(typeof(EtcdConnection))]
public sealed class ConnectEtcdClusterCommand : EtcdCmdlet
{
    /// <summary>Emit the connection object.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        // A new connection: built from the parameters (or the piped object), else ETCDCTL_*, else
        // the default endpoint, never on top of the session's connection it is about to replace.
        var settings = ResolveSettings(newConnection: true);
        var source = DescribeSettingsSource(newConnection: true);
        EtcdConnection? connection = null;
        Run(async (_, ct) => connection = await EtcdConnection.OpenAsync(settings, source, ct).ConfigureAwait(false),
            string.Join(",", settings.Endpoints));

        // Here, on the pipeline thread: the session's connection is kept per runspace, and the
        // runspace (Runspace.DefaultRunspace) is thread-static, so it is unknown on the thread pool
        // where Run's work runs. Set before -PassThru writes, so a cmdlet downstream already sees it.
        SessionConnection.Set(connection!);
        WriteVerbose($"Connected to {connection}.");
        if (PassThru) WriteObject(connection);
    }
}
