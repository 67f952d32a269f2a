using System.Management.Automation;
using EtcdTools.Maintenance;

namespace EtcdTools.Framework;

/// <summary>The progress bar of a member-by-member maintenance run (rolling defragmentation, NOSPACE recovery).</summary>
internal static class MaintenanceProgressRecords
{
    public static ProgressRecord Of(string activity, MaintenanceProgress progress) => new(1, activity, $"{progress.Target}: {progress.Activity}")
    {
        PercentComplete = progress.Total == 0 ? 100 : Math.Min(100, 100 * progress.Completed / progress.Total),
    };

    public static ProgressRecord Completed(string activity) => new(1, activity, "Done") { RecordType = ProgressRecordType.Completed };
}
