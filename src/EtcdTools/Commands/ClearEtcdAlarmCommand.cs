using System.Globalization;
using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Maintenance;

namespace EtcdTools.Commands;

/// <summary>
/// Disarms active alarms: all of them, or those of -MemberId and/or -Alarm (objects from
/// Get-EtcdAlarm bind by property name). ConfirmImpact Medium: disarming NOSPACE is the routine
/// last step of recovery and harmless when premature (etcd raises it again on the next write while
/// a backend is still at its quota, which this cmdlet warns about); disarming CORRUPT silences a
/// data-integrity alarm, so that one asks a second time unless -Force.
/// </summary>
[Cmdlet(VerbsCommon.Clear, "EtcdAlarm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(EtcdAlarm))]
public sealed class ClearEtcdAlarmCommand : EtcdCmdlet
{
    private bool _yesToAll;
    private bool _noToAll;

    /// <summary>Only alarms raised by these members (hex ID or name).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string[]? MemberId { get; set; }

    /// <summary>Only these kinds of alarm.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet(EtcdAlarms.NoSpace, EtcdAlarms.Corrupt)]
    public string[]? Alarm { get; set; }

    /// <summary>Disarm CORRUPT alarms without the second confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Emit each alarm disarmed.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        var members = MemberId;
        var kinds = Alarm;
        var target = members is null ? null : string.Join(",", members);
        IReadOnlyList<EtcdAlarm> selected = [];
        IReadOnlyList<MemberBackendUsage> usage = [];
        if (!Run(async (_, ct) =>
        {
            var alarms = await EtcdAlarms.ListAsync(cluster, ct).ConfigureAwait(false);
            selected = await EtcdAlarms.SelectAsync(cluster, alarms, members, kinds, ct).ConfigureAwait(false);
            // Read before disarming: a backend still at its quota brings NOSPACE straight back.
            if (selected.Any(a => a.Alarm == EtcdAlarms.NoSpace))
                usage = await EtcdAlarms.ReadBackendUsageAsync(cluster, ct).ConfigureAwait(false);
        }, target))
            return;

        if (selected.Count == 0)
        {
            WriteVerbose("No active alarm matches: nothing to disarm.");
            return;
        }

        var approved = new List<EtcdAlarm>();
        foreach (var alarm in selected)
        {
            var member = Client.MemberId.Describe(alarm.MemberName, alarm.MemberId);
            if (!ShouldProcess($"{alarm.Alarm} alarm of member {member}", "Disarm")) continue;
            if (alarm.Alarm == EtcdAlarms.Corrupt && !Force && !ShouldContinue(
                    $"Member {member} raised CORRUPT: its keyspace hash differed from the other members'. Disarming lets a member that may hold wrong data serve clients again. Check with Compare-EtcdHash first. Disarm it?",
                    "Disarm a CORRUPT alarm", ref _yesToAll, ref _noToAll))
                continue;
            approved.Add(alarm);
        }
        if (approved.Count == 0) return;

        Run(async (output, ct) =>
        {
            foreach (var alarm in approved)
            {
                var cleared = await EtcdAlarms.DisarmAsync(cluster, alarm, ct).ConfigureAwait(false);
                if (cleared.Count == 0)
                {
                    await output.WriteVerboseAsync($"{alarm} was no longer active.");
                    continue;
                }
                await output.WriteVerboseAsync($"Disarmed {alarm}.");
                if (PassThru) await output.WriteObjectAsync(alarm);
            }
            if (!approved.Any(a => a.Alarm == EtcdAlarms.NoSpace)) return;
            foreach (var member in usage)
            {
                var name = Client.MemberId.Describe(member.MemberName, member.MemberId);
                if (member.WillRearmNoSpace)
                {
                    await output.WriteWarningAsync(
                        $"Member {name}'s backend is {FormatBytes(member.DbSizeBytes!.Value)}, {member.QuotaRatio!.Value.ToString("P0", CultureInfo.InvariantCulture)} of its {FormatBytes(member.QuotaBytes!.Value)} quota: " +
                        (member.QuotaRatio >= 1
                            ? "etcd raises NOSPACE again on the next write. "
                            : "etcd raises NOSPACE again as soon as it grows past the quota. ") +
                        "Repair-EtcdQuota compacts the history, defragments every member in turn and clears the alarm, checking that writes work again.");
                }
                else if (member.Error is not null)
                {
                    await output.WriteVerboseAsync($"Could not check whether member {name} is still at its quota: {member.Error}");
                }
            }
        }, target);
    }

    private static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : $"{value.ToString("0.#", CultureInfo.InvariantCulture)} {units[unit]}";
    }
}
