using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Maintenance;

namespace EtcdTools.Commands;

/// <summary>
/// The NOSPACE recovery as etcd's maintenance guide prescribes it, each step checked and reported:
/// compact to the current revision, defragment every member one at a time (Invoke-EtcdDefrag's
/// engine and health checks, regardless of fragmentation), disarm NOSPACE, prove that a write
/// works. When the data itself fills the quota it stops and says what will help instead.
/// ConfirmImpact High: it discards history and takes members out of service one by one.
/// </summary>
[Cmdlet(VerbsDiagnostic.Repair, "EtcdQuota", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(EtcdRepairStep))]
public sealed class RepairEtcdQuotaCommand : EtcdCmdlet
{
    /// <summary>Accept that a cluster too small to have fault tolerance (one or two voting members) is unavailable while a member is defragmented.</summary>
    [Parameter]
    public SwitchParameter AllowDowntime { get; set; }

    /// <summary>How long one member's defragmentation may take (default 10 minutes).</summary>
    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan DefragTimeout { get; set; } = DefragOptions.DefaultDefragTimeout;

    /// <summary>The pause after a member is healthy and caught up, before the next one (default 5 s; 0 for none).</summary>
    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration(AllowZero = true)]
    public TimeSpan WaitBetween { get; set; } = DefragOptions.DefaultWaitBetween;

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        var options = new DefragOptions { AllowDowntime = AllowDowntime, DefragTimeout = DefragTimeout, WaitBetween = WaitBetween };
        var target = string.Join(",", cluster.Settings.Endpoints);
        QuotaRepairPlan? plan = null;
        if (!Run(async (_, ct) => plan = await QuotaRepair.PlanAsync(cluster, options, ct).ConfigureAwait(false), target) || plan is null) return;

        var description = plan.Describe();
        var repair = new QuotaRepair(cluster, plan);
        if (IsWhatIf)
        {
            ShouldProcess(description, description, "Repair-EtcdQuota");
            if (plan.Refusal is { } wouldRefuse)
            {
                repair.Refuse(wouldRefuse);
                WriteError(Record(repair));
            }
            return;
        }
        if (plan.Refusal is { } refusal)
        {
            WriteVerbose(description);
            foreach (var step in repair.Refuse(refusal)) WriteObject(step);
            WriteError(Record(repair));
            return;
        }
        if (!ShouldProcess(description, $"{description}{Environment.NewLine}The history before the current revision is discarded for good. Run these steps?", "Recover etcd from NOSPACE"))
            return;

        var activity = $"Recovering cluster {plan.ClusterId} from NOSPACE";
        Run(async (output, ct) =>
        {
            await foreach (var step in repair.RunAsync(p => output.WriteProgressAsync(MaintenanceProgressRecords.Of(activity, p)), ct).ConfigureAwait(false))
            {
                await output.WriteVerboseAsync($"{step}. {step.Detail}");
                await output.WriteObjectAsync(step);
            }
            await output.WriteProgressAsync(MaintenanceProgressRecords.Completed(activity));
            if (repair.Stop is not null) await output.WriteErrorAsync(Record(repair));
        }, target);
    }

    private static ErrorRecord Record(QuotaRepair repair)
    {
        var stop = repair.Stop!;
        var (id, category) = repair.DataExceedsQuota ? ("EtcdQuotaExceededByData", ErrorCategory.LimitsExceeded)
            : stop.Refused ? ("EtcdQuotaRepairRefused", ErrorCategory.ResourceUnavailable)
            : ("EtcdQuotaRepairFailed", stop.Cause is { } cause ? EtcdErrorRecords.Classify(cause.Kind).Category : ErrorCategory.NotSpecified);
        return EtcdErrorRecords.Create(stop, id, category, null);
    }
}
