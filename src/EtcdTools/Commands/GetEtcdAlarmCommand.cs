using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Maintenance;

namespace EtcdTools.Commands;

/// <summary>Lists the cluster's active alarms (NOSPACE, CORRUPT), optionally only those of some members.</summary>
[Cmdlet(VerbsCommon.Get, "EtcdAlarm")]
[OutputType(typeof(EtcdAlarm))]
public sealed class GetEtcdAlarmCommand : EtcdCmdlet
{
    /// <summary>Only alarms raised by these members (hex ID or name).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string[]? MemberId { get; set; }

    /// <summary>Only these kinds of alarm.</summary>
    [Parameter]
    [ValidateSet(EtcdAlarms.NoSpace, EtcdAlarms.Corrupt)]
    public string[]? Alarm { get; set; }

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        var members = MemberId;
        var kinds = Alarm;
        Run(async (output, ct) =>
        {
            var alarms = await EtcdAlarms.ListAsync(cluster, ct).ConfigureAwait(false);
            var selected = await EtcdAlarms.SelectAsync(cluster, alarms, members, kinds, ct).ConfigureAwait(false);
            if (selected.Count == 0)
                await output.WriteVerboseAsync(alarms.Count == 0 ? "The cluster has no active alarm." : $"None of the {alarms.Count} active alarms matches.");
            foreach (var alarm in selected)
                await output.WriteObjectAsync(alarm);
        }, members is null ? null : string.Join(",", members));
    }
}
