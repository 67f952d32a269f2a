using System.Management.Automation;
using EtcdTools.Client;
using EtcdTools.Framework;

namespace EtcdTools.Commands;

/// <summary>Forgets the session's connection; later cmdlets fall back to ETCDCTL_* or the default endpoint.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "EtcdCluster")]
[OutputType(typeof(EtcdConnection))]
public sealed class DisconnectEtcdClusterCommand : EtcdToolsCmdlet
{
    /// <summary>Emit the connection that was removed.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var session = EtcdSession.Of(this);
        var old = session.Connection;
        session.Connection = null;
        // A Kubernetes connection's local port-forwards served the session: they stop with it.
        session.Kubernetes?.StopLocalPortForwards();
        session.Kubernetes = null;
        if (old is null) WriteVerbose("There was no session connection.");
        else if (PassThru) WriteObject(old);
    }
}
