using System.Management.Automation;
using EtcdTools.Client;
using EtcdTools.Framework;

namespace EtcdTools.Commands;

/// <summary>
/// Shows the connection the other cmdlets will use now: the session's (Connect-EtcdCluster), else
/// the one built from the ETCDCTL_* variables or the default endpoint, checked by listing members.
/// </summary>
[Cmdlet(VerbsCommon.Get, "EtcdConnection")]
[OutputType(typeof(EtcdConnection))]
public sealed class GetEtcdConnectionCommand : EtcdCmdlet
{
    protected override void ProcessRecord()
    {
        // The session's connection as kept, unless a parameter changes any of its settings (even only a
        // timeout or -SkipCertificateCheck): then the changed settings are built and checked below.
        if (SessionConnection.Current is { } current && DescribeSettingsSource() == "Session"
            && string.IsNullOrEmpty(KeyPath) && !SkipCertificateCheck.IsPresent && DialTimeout is null && CommandTimeout is null)
        {
            WriteObject(current);
            return;
        }
        var settings = ResolveSettings();
        var source = DescribeSettingsSource();
        Run(async (output, ct) => output.WriteObject(await EtcdConnection.OpenAsync(settings, source, ct).ConfigureAwait(false)),
            string.Join(",", settings.Endpoints));
    }
}
