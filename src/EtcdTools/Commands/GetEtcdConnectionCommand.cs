using System.Management.Automation;
using EtcdTools.Client;
using EtcdTools.Framework;

namespace EtcdTools.Commands;

/// <summary>
/// Shows the connection the other cmdlets will use now: -Connection or the session's
/// (Connect-EtcdCluster) as kept, else the one built from the parameters, the ETCDCTL_* variables
/// or the default endpoint, checked by listing members.
/// </summary>
[Cmdlet(VerbsCommon.Get, "EtcdConnection")]
[OutputType(typeof(EtcdConnection))]
public sealed class GetEtcdConnectionCommand : EtcdCmdlet
{
    protected override void ProcessRecord()
    {
        // A kept connection as it is, unless a parameter changes any of its settings (even only a
        // timeout or -SkipCertificateCheck): then the changed settings are built and checked below.
        var kept = Connection ?? Session.Connection;
        if (kept is not null && Endpoint is null && string.IsNullOrEmpty(CaCertificatePath) && string.IsNullOrEmpty(CertificatePath)
            && string.IsNullOrEmpty(KeyPath) && Credential is null && !SkipCertificateCheck.IsPresent && DialTimeout is null && CommandTimeout is null
            && string.IsNullOrEmpty(ClusterId))
        {
            WriteObject(kept);
            return;
        }
        var settings = ResolveSettings(out var source);
        Run(async (output, ct) => await output.WriteObjectAsync(await EtcdConnection.OpenAsync(settings, source, ct).ConfigureAwait(false)).ConfigureAwait(false),
            string.Join(",", settings.Endpoints));
    }
}
