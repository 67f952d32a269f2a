using System.Management.Automation;
using EtcdTools.Client;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Maintenance;

namespace EtcdTools.Commands;

/// <summary>
/// Defragments members one at a time, safely (the plan and the checks are RollingDefrag's): before
/// each member the cluster must be healthy with a fault tolerance of at least one; followers first,
/// the leader last; after each, the member must be healthy and caught up. Members piped in
/// (Get-EtcdMember) are collected and done together at the end, in that safe order. The first
/// failure or refusal stops the run: every member is still reported (NotStarted for those left),
/// with one non-terminating error naming the members done and remaining, so $? is false and the
/// report stays in the runbook's hands.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "EtcdDefrag", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(EtcdDefragResult))]
public sealed class InvokeEtcdDefragCommand : EtcdCmdlet
{
    private readonly List<(EtcdConnectionSettings Settings, string[]? Members)> _records = [];

    /// <summary>Only these members (hex ID or name); every member when none is given. Binds from Get-EtcdMember and from earlier results.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string[]? MemberId { get; set; }

    /// <summary>Defragment members under the fragmentation threshold too. Never overrides the health check.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Hand the leader's leadership to a defragmented member before its turn.</summary>
    [Parameter]
    public SwitchParameter MoveLeaderFirst { get; set; }

    /// <summary>Accept that a cluster too small to have fault tolerance (one or two voting members) is unavailable while a member is defragmented.</summary>
    [Parameter]
    public SwitchParameter AllowDowntime { get; set; }

    /// <summary>A member is worth defragmenting from this share of its file not in use (OpenShift: 45).</summary>
    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double MinFragmentedPercent { get; set; } = DefragOptions.DefaultMinFragmentedPercent;

    /// <summary>... and from this database size (OpenShift: 100 MiB; 100MB in PowerShell is 100 MiB).</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long MinDbSizeBytes { get; set; } = DefragOptions.DefaultMinDbSizeBytes;

    /// <summary>How long one member's defragmentation may take (default 10 minutes; etcdctl's 5 s fails on large databases).</summary>
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
        // Act once at the end: the order is only safe when every member to do is known.
        _records.Add((ResolveSettings(), MemberId));
    }

    protected override void EndProcessing()
    {
        try
        {
            Defragment();
        }
        finally
        {
            base.EndProcessing();
        }
    }

    private void Defragment()
    {
        // An empty pipeline (every member filtered out) selects nothing: not every member.
        if (_records.Count == 0) return;
        var settings = MergedSettings();
        using var cluster = new EtcdCluster(settings);
        // Any record without -MemberId (a sandbox piped in, or none at all) means every member.
        var members = _records.Any(r => r.Members is not { Length: > 0 }) ? null : _records.SelectMany(r => r.Members!).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var options = new DefragOptions
        {
            MinFragmentedPercent = MinFragmentedPercent,
            MinDbSizeBytes = MinDbSizeBytes,
            IgnoreThreshold = Force,
            MoveLeaderFirst = MoveLeaderFirst,
            AllowDowntime = AllowDowntime,
            DefragTimeout = DefragTimeout,
            WaitBetween = WaitBetween,
        };
        var target = members is null ? string.Join(",", settings.Endpoints) : string.Join(",", members);
        DefragPlan? plan = null;
        if (!Run(async (_, ct) => plan = await RollingDefrag.PlanAsync(cluster, members, options, ct).ConfigureAwait(false), target) || plan is null) return;

        var description = plan.Describe();
        if (IsWhatIf)
        {
            ShouldProcess(description, description, "Invoke-EtcdDefrag");
            if (plan.Refusal is { } wouldRefuse) WriteError(Refused(new RollingDefrag(cluster, plan), wouldRefuse));
            return;
        }
        var run = new RollingDefrag(cluster, plan);
        if (plan.Refusal is { } refusal)
        {
            // Nothing to ask: the cluster cannot spare a member now.
            WriteVerbose(description);
            WriteError(Refused(run, refusal));
            return;
        }
        if (plan.ToDefragment > 0 && !ShouldProcess(description,
                $"{description}{Environment.NewLine}While a member's database is rewritten it serves no reads or writes. Defragment these members one at a time?",
                "Defragment etcd members"))
            return;

        var activity = $"Defragmenting {plan.ToDefragment} member(s) of cluster {plan.ClusterId}";
        Run(async (output, ct) =>
        {
            await foreach (var result in run.RunAsync(p => output.WriteProgressAsync(MaintenanceProgressRecords.Of(activity, p)), ct).ConfigureAwait(false))
            {
                await output.WriteVerboseAsync($"{result.Member}: {result.Action}. {result.Reason}");
                await output.WriteObjectAsync(result);
            }
            await output.WriteProgressAsync(MaintenanceProgressRecords.Completed(activity));
            if (run.Stop is { } stop) await output.WriteErrorAsync(Record(stop, run));
        }, target);
    }

    /// <summary>Writes every member NotStarted (or Skipped) and returns the refusal's error.</summary>
    private ErrorRecord Refused(RollingDefrag run, string refusal)
    {
        var results = run.Refuse(refusal);
        if (!IsWhatIf) foreach (var result in results) WriteObject(result);
        return Record(run.Stop!, run);
    }

    private static ErrorRecord Record(MaintenanceStoppedException stop, RollingDefrag run)
    {
        var at = run.Results.FirstOrDefault(r => r.Action is EtcdDefragAction.Failed or EtcdDefragAction.NotStarted);
        var (id, category) = stop.Refused
            ? ("EtcdDefragRefused", ErrorCategory.ResourceUnavailable)
            : ("EtcdDefragFailed", stop.Cause is { } cause ? EtcdErrorRecords.Classify(cause.Kind).Category : ErrorCategory.NotSpecified);
        return EtcdErrorRecords.Create(stop, id, category, at);
    }

    /// <summary>
    /// One cluster for every record: the first record's settings with every record's endpoints, so
    /// members piped from Get-EtcdMember (each carrying its own endpoint) are reached as one cluster.
    /// Objects of two different clusters are refused.
    /// </summary>
    private EtcdConnectionSettings MergedSettings()
    {
        var clusters = _records.Select(r => r.Settings.ExpectedClusterId).OfType<ulong>().Distinct().ToList();
        if (clusters.Count > 1)
        {
            ThrowTerminatingError(EtcdErrorRecords.From(new EtcdException(EtcdErrorKind.ClusterMismatch, Protocol.GrpcStatusCode.FailedPrecondition,
                $"The members piped in belong to {clusters.Count} clusters ({string.Join(", ", clusters.Select(Client.MemberId.Format))}): a rolling defragmentation works on one cluster. Nothing was done."), null));
        }
        var first = _records[0].Settings;
        return first with { Endpoints = _records.SelectMany(r => r.Settings.Endpoints).Distinct(StringComparer.OrdinalIgnoreCase).ToArray() };
    }
}
