using System.Management.Automation;
using EtcdTools.Client;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Health;

namespace EtcdTools.Commands;

/// <summary>
/// Checks each member as etcdctl 3.6's endpoint health does (a linearizable read of "health",
/// serializable for learners, then the alarm list), all members at once with one timeout each.
/// An unhealthy member is reported with Healthy = false and its reason, and gets a non-terminating
/// error record; the others still report.
/// </summary>
[Cmdlet(VerbsCommon.Get, "EtcdHealth")]
[OutputType(typeof(EtcdMemberHealth))]
public sealed class GetEtcdHealthCommand : EtcdCmdlet
{
    /// <summary>Only these members, by hex ID or name; binds from Get-EtcdMember's output.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string[]? MemberId { get; set; }

    /// <summary>How long each member may take; by default the command timeout (5 s).</summary>
    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan? Timeout { get; set; }

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        var limit = Timeout ?? cluster.Settings.CommandTimeout;
        var wanted = MemberId;
        Run(async (output, ct) =>
        {
            var discovery = await MemberDiscovery.DiscoverAsync(cluster, limit, ct).ConfigureAwait(false);
            if (!discovery.Succeeded)
            {
                // Nothing answered the member list: report each endpoint as etcdctl endpoint health does.
                foreach (var report in EtcdHealthProbe.FromDiscoveryFailures(discovery))
                {
                    await output.WriteObjectAsync(report.Report);
                    await output.WriteErrorAsync(report.Error!, report.Report);
                }
                return;
            }
            await output.WriteVerboseAsync($"Member list: {discovery}.");
            var members = discovery.Select(wanted, out var unknown);
            foreach (var name in unknown)
                await output.WriteErrorAsync(discovery.MemberNotFound(name), name);
            await foreach (var report in EtcdHealthProbe.ProbeAsync(cluster, members, limit, ct).ConfigureAwait(false))
            {
                await output.WriteObjectAsync(report.Report);
                if (report.Error is not null) await output.WriteErrorAsync(report.Error, report.Report);
            }
        }, string.Join(",", cluster.Settings.Endpoints));
    }
}
