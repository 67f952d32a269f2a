using System.Globalization;
using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Performance;

namespace EtcdTools.Commands;

/// <summary>
/// etcdctl check perf's write load (-Load s, m, l, xl) or one's own (-Rate -Clients -Duration
/// -KeySize -ValueSize), judged by check perf's rules, with latency percentiles. ConfirmImpact
/// High: it loads a live cluster. It refuses an unhealthy cluster, an occupied prefix and a load
/// whose history would take a database near its quota; it deletes its keys afterwards, also on
/// Ctrl+C, and compacts the history only with -Compact (compaction is cluster-wide).
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "EtcdLoadTest", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(EtcdLoadTestResult))]
public sealed class InvokeEtcdLoadTestCommand : EtcdCmdlet
{
    /// <summary>How long Ctrl+C waits for the cleanup (normally well under a second) before giving the prompt back.</summary>
    private static readonly TimeSpan CleanupWait = TimeSpan.FromSeconds(30);

    private Task? _running;

    /// <summary>check perf's workload: s (150 puts/s, 50 clients), m (1000, 200), l (8000, 500), xl (15000, 1000); 60 s each.</summary>
    [Parameter(Position = 0)]
    [ValidateSet("s", "m", "l", "xl")]
    public string Load { get; set; } = "s";

    /// <summary>Puts per second, instead of the load's.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int? Rate { get; set; }

    /// <summary>Clients (each its own connection), instead of the load's.</summary>
    [Parameter]
    [ValidateRange(1, 10_000)]
    public int? Clients { get; set; }

    /// <summary>How long to write: 60 s by default.</summary>
    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan? Duration { get; set; }

    /// <summary>Bytes per key after the prefix: 256 by default, as check perf.</summary>
    [Parameter]
    [ValidateRange(EtcdLoadTestOptions.MinKeySize, EtcdLoadTestOptions.MaxRequestBytes)]
    public int? KeySize { get; set; }

    /// <summary>Bytes per value: 1024 by default, as check perf.</summary>
    [Parameter]
    [ValidateRange(0, EtcdLoadTestOptions.MaxRequestBytes)]
    public int? ValueSize { get; set; }

    /// <summary>The prefix to write under; by default /etcdtools-loadtest/ and a run ID. It must hold no keys.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Prefix { get; set; }

    /// <summary>Members (hex ID or name) to load; by default every voting member.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string[]? MemberId { get; set; }

    /// <summary>Compact the history to the revision at the end, if no other client wrote during the test.</summary>
    [Parameter]
    public SwitchParameter Compact { get; set; }

    /// <summary>With -Compact: compact even when other clients wrote during the test.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var options = BuildOptions();
        var cluster = GetCluster();
        EtcdLoadTestPlan? plan = null;
        var target = string.Join(",", cluster.Settings.Endpoints);
        if (!Run(async (_, ct) => plan = await EtcdLoadTestPlan.CreateAsync(cluster, options, ct).ConfigureAwait(false), target) || plan is null) return;

        foreach (var warning in plan.Warnings) WriteWarning(warning);
        if (plan.Refusal is not null)
        {
            WriteError(EtcdErrorRecords.Create(new InvalidOperationException("The load test was not started. " + plan.Refusal), "EtcdLoadTestRefused", ErrorCategory.InvalidOperation, target));
            return;
        }
        if (Force && !Compact) WriteWarning("-Force matters only with -Compact: nothing will be compacted.");
        var members = string.Join(", ", plan.Targets.Select(t => t.MemberName));
        if (!ShouldProcess($"cluster {plan.ClusterId} (members {members})", "Run a load test, " + plan.Describe())) return;

        Run(async (output, ct) =>
        {
            var test = new EtcdLoadTest(cluster, plan);
            var running = test.RunAsync(ct);
            _running = running;
            var progress = new ProgressRecord(2, "Invoke-EtcdLoadTest", $"Connecting {plan.Options.Clients} clients to {members}");
            long lastSucceeded = 0;
            var lastElapsed = TimeSpan.Zero;
            while (!running.IsCompleted)
            {
                await Task.WhenAny(running, Task.Delay(1000, ct)).ConfigureAwait(false);
                var now = test.GetProgress();
                if (now.Phase == "Writing")
                {
                    var window = (now.Elapsed - lastElapsed).TotalSeconds;
                    var live = window > 0 ? (now.Succeeded - lastSucceeded) / window : 0;
                    (lastSucceeded, lastElapsed) = (now.Succeeded, now.Elapsed);
                    var elapsed = Math.Min(now.Elapsed.TotalSeconds, now.Duration.TotalSeconds);
                    progress.PercentComplete = (int)(100 * elapsed / now.Duration.TotalSeconds);
                    progress.SecondsRemaining = (int)Math.Ceiling(now.Duration.TotalSeconds - elapsed);
                    progress.StatusDescription = string.Create(CultureInfo.InvariantCulture,
                        $"{elapsed:0} s of {now.Duration.TotalSeconds:0} s: {live:0} writes/s (target {plan.Options.Rate}), {now.Succeeded:N0} done, {now.Failed:N0} errors");
                }
                else if (now.Phase != "Connecting")
                {
                    progress.PercentComplete = 100;
                    progress.SecondsRemaining = -1;
                    progress.StatusDescription = $"{now.Phase}: deleting the keys under {plan.Prefix}{(plan.Options.Compact ? " and compacting" : "")}";
                }
                await output.WriteProgressAsync(progress);
            }
            var result = await running.ConfigureAwait(false);
            progress.RecordType = ProgressRecordType.Completed;
            await output.WriteProgressAsync(progress);
            if (result.Stopped) await output.WriteWarningAsync(result.StopReason);
            if (result.CleanupError.Length > 0)
                await output.WriteErrorAsync(EtcdErrorRecords.Create(new InvalidOperationException(result.CleanupError), "EtcdLoadTestCleanupFailed", ErrorCategory.ResourceUnavailable, result));
            else
                await output.WriteVerboseAsync(result.CleanupNote);
            await output.WriteObjectAsync(result);
        }, target);
    }

    private EtcdLoadTestOptions BuildOptions()
    {
        var preset = EtcdLoadTestOptions.ForLoad(Load);
        var custom = (Rate is { } rate && rate != preset.Rate) || (Clients is { } clients && clients != preset.Clients)
            || (KeySize is { } key && key != preset.KeySize) || (ValueSize is { } value && value != preset.ValueSize);
        var options = preset with
        {
            Load = custom ? "custom" : preset.Load,
            Rate = Rate ?? preset.Rate,
            Clients = Clients ?? preset.Clients,
            Duration = Duration ?? preset.Duration,
            KeySize = KeySize ?? preset.KeySize,
            ValueSize = ValueSize ?? preset.ValueSize,
            Prefix = Prefix,
            MemberIds = MemberId,
            Compact = Compact.IsPresent,
            CompactEvenIfOthersWrote = Force.IsPresent,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(EtcdErrorRecords.From(e, options));
        }
        return options;
    }

    protected override void Dispose(bool disposing)
    {
        // Ctrl+C: the puts stop at once, but the keys must still go. The pipeline moves on within a
        // second; this holds the prompt until the cleanup is done (normally well under a second).
        if (disposing && _running is { IsCompleted: false } running)
        {
            try { running.Wait(CleanupWait); }
            catch (AggregateException) { /* cancelled: the cleanup ran before the cancellation surfaced */ }
        }
        base.Dispose(disposing);
    }
}
