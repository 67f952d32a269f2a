using System.Management.Automation;
using EtcdTools.Client;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Health;
using EtcdTools.Kubernetes;

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
        // A connection made by Connect-EtcdCluster -Kubernetes adds each member's pod: readiness, restarts, log warnings.
        var kubernetes = EtcdKubernetesConnection.Of(cluster.Settings);
        Run(async (output, ct) =>
        {
            var pods = kubernetes is null ? null : ReadPodsAsync(kubernetes, output, ct);
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
            var states = pods is null ? [] : await pods.ConfigureAwait(false);
            await foreach (var report in EtcdHealthProbe.ProbeAsync(cluster, members, limit, ct).ConfigureAwait(false))
            {
                await output.WriteObjectAsync(EtcdPodChecks.WithPod(report.Report, states));
                if (report.Error is not null) await output.WriteErrorAsync(report.Error, report.Report);
            }
        }, string.Join(",", cluster.Settings.Endpoints));
    }

    /// <summary>The pods' states, read while the members are probed; the API server's failure costs the pod fields, not the health report.</summary>
    private static async Task<IReadOnlyList<EtcdPodState>> ReadPodsAsync(EtcdKubernetesConnection kubernetes, PipelineWriter output, CancellationToken ct)
    {
        try
        {
            return await EtcdPodChecks.ReadAsync(kubernetes, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (KubernetesException e)
        {
            await output.WriteWarningAsync($"The etcd pods could not be read, so their readiness, restarts and log warnings are missing: {e.Message}").ConfigureAwait(false);
            return [];
        }
    }
}
