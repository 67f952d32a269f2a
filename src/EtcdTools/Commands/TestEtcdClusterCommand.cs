using System.Collections;
using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Health;
using EtcdTools.Kubernetes;

namespace EtcdTools.Commands;

/// <summary>
/// Runs every health check of the cluster at once (quorum and fault tolerance, leader, member list
/// and cluster ID agreement, applied-index lag, alarms, database size against quota, fragmentation,
/// learners, certificate expiry) and returns $true when none fails, or with -Detailed one result per
/// check and member. Warnings do not make it $false.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "EtcdCluster", DefaultParameterSetName = BooleanSet)]
[OutputType(typeof(bool), ParameterSetName = [BooleanSet])]
[OutputType(typeof(EtcdCheckResult), ParameterSetName = [DetailedSet])]
public sealed class TestEtcdClusterCommand : EtcdCmdlet
{
    private const string BooleanSet = "Boolean";
    private const string DetailedSet = "Detailed";

    private EtcdHealthThresholds? _thresholds;

    /// <summary>Emit every check's result instead of one Boolean.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DetailedSet)]
    public SwitchParameter Detailed { get; set; }

    /// <summary>Overrides of the default thresholds, by name (see the help for the keys).</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? Thresholds { get; set; }

    /// <summary>How long each member may take; by default the command timeout (5 s).</summary>
    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan? Timeout { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        _thresholds = ParseThresholds(Thresholds);
    }

    private EtcdHealthThresholds ParseThresholds(Hashtable? overrides)
    {
        try
        {
            if (overrides is null) return EtcdHealthThresholds.Default;
            // Values typed at the prompt can arrive wrapped in PSObjects.
            var thresholds = EtcdHealthThresholds.FromDictionary(HashtableParameters.Plain(overrides));
            WriteVerbose($"Thresholds: {thresholds}.");
            return thresholds;
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(EtcdErrorRecords.From(e, overrides));
            throw; // not reached: ThrowTerminatingError always throws
        }
    }

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        var limit = Timeout ?? cluster.Settings.CommandTimeout;
        var thresholds = _thresholds!;
        var detailed = Detailed.IsPresent;
        // A connection made by Connect-EtcdCluster -Kubernetes adds the pods' own checks.
        var kubernetes = EtcdKubernetesConnection.Of(cluster.Settings);
        Run(async (output, ct) =>
        {
            var snapshot = await EtcdClusterInspector.InspectAsync(cluster, limit, ct).ConfigureAwait(false);
            var results = EtcdClusterChecks.Evaluate(snapshot, thresholds);
            if (kubernetes is not null)
                results = [.. results, .. await EtcdPodChecks.EvaluateAsync(kubernetes, cancellationToken: ct).ConfigureAwait(false)];
            if (detailed)
            {
                foreach (var result in results)
                    await output.WriteObjectAsync(result);
                return;
            }
            // The Boolean alone says nothing of why: -Verbose tells, without cluttering scripts.
            foreach (var result in results.Where(r => r.Status != EtcdCheckStatus.Pass))
                await output.WriteVerboseAsync(result.ToString());
            await output.WriteVerboseAsync($"{results.Count(r => r.Status == EtcdCheckStatus.Fail)} check(s) failed, {results.Count(r => r.Status == EtcdCheckStatus.Warn)} warned, {results.Count(r => r.Status == EtcdCheckStatus.Pass)} passed.");
            await output.WriteObjectAsync(EtcdClusterChecks.AllPassed(results));
        }, string.Join(",", cluster.Settings.Endpoints));
    }
}
