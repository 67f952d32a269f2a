using System.Management.Automation;
using EtcdTools.Client;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Health;

namespace EtcdTools.Commands;

/// <summary>
/// Lists the cluster's members, each merged with its own Status (version, database size and
/// fragmentation, raft indexes, leadership, alarms) and quota, all members queried at once. A member
/// that does not answer is still listed, with its error, and also gets a non-terminating error record.
/// </summary>
[Cmdlet(VerbsCommon.Get, "EtcdMember")]
[OutputType(typeof(EtcdMember))]
public sealed class GetEtcdMemberCommand : EtcdCmdlet
{
    /// <summary>Only these members, by hex ID (as etcdctl prints it) or name.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string[]? MemberId { get; set; }

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        var wanted = MemberId;
        Run(async (output, ct) =>
        {
            var discovery = await MemberDiscovery.DiscoverAsync(cluster, cancellationToken: ct).ConfigureAwait(false);
            if (!discovery.Succeeded) throw discovery.ToException();
            await output.WriteVerboseAsync($"Member list: {discovery}.");
            var members = discovery.Select(wanted, out var unknown);
            foreach (var name in unknown)
                await output.WriteErrorAsync(discovery.MemberNotFound(name), name);
            await foreach (var report in EtcdMemberInventory.GetAsync(cluster, members, discovery.ClusterId, cancellationToken: ct).ConfigureAwait(false))
            {
                await output.WriteObjectAsync(report.Report);
                if (report.Error is not null) await output.WriteErrorAsync(report.Error, report.Report);
            }
        }, string.Join(",", cluster.Settings.Endpoints));
    }
}
