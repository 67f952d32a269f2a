using System.Management.Automation;
using EtcdTools.Client;
using EtcdTools.Framework;

namespace EtcdTools.Commands;

/// <summary>
/// Checks a connection (it lists the members) and keeps it for the session, so later cmdlets
/// need no connection parameters; with -PassThru also returns it, for runbooks that hold several
/// clusters at once (-Connection). Takes parameters, a sandbox from the pipeline, or ETCDCTL_*.
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
        // A new connection: built from the parameters (or the piped object), else -Connection, else
        // ETCDCTL_*, else the default endpoint, never on top of the session's connection it replaces.
        var settings = ResolveSettings(out var source, newConnection: true);
        EtcdConnection? connection = null;
        if (!Run(async (_, ct) => connection = await EtcdConnection.OpenAsync(settings, source, ct).ConfigureAwait(false), string.Join(",", settings.Endpoints)))
            return;

        // Set before -PassThru writes, so a cmdlet downstream already sees it.
        Session.Connection = connection;
        WriteVerbose($"Connected to {connection}.");
        if (PassThru) WriteObject(connection);
    }
}
