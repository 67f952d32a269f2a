using System.Management.Automation;
using EtcdTools.Client;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Snapshots;

namespace EtcdTools.Commands;

/// <summary>
/// Saves a snapshot of the cluster's data to a file, byte for byte what `etcdctl snapshot save`
/// writes, streamed from a healthy follower (sparing the leader) unless -MemberId names a member.
/// The stream goes to a temporary file beside the target, is flushed to disk and checked against
/// the SHA-256 etcd appends, and only then renamed into place: a member that dies, Ctrl+C or a full
/// disk leave neither a partial file nor the temporary one. An existing file is replaced only with
/// -Force, and then through ShouldProcess. It only reads the cluster: ConfirmImpact Medium.
/// </summary>
[Cmdlet(VerbsData.Save, "EtcdSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(EtcdSnapshot))]
public sealed class SaveEtcdSnapshotCommand : EtcdCmdlet
{
    /// <summary>The snapshot file to write.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The member to stream from (hex ID or name); by default a healthy follower.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string? MemberId { get; set; }

    /// <summary>Replace the file at -Path if there is one.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var target = ResolvePath(Path);
        if (System.IO.Path.GetDirectoryName(target) is { } directory && !Directory.Exists(directory))
        {
            // Before any member is asked: nothing could be saved.
            WriteError(EtcdErrorRecords.Create(new DirectoryNotFoundException($"The directory '{directory}' does not exist: create it first, or choose another -Path."),
                "PathNotFound", ErrorCategory.ObjectNotFound, target));
            return;
        }
        var exists = File.Exists(target);
        if (exists && !Force.IsPresent)
        {
            WriteError(EtcdErrorRecords.Create(new IOException($"'{target}' exists already: pass -Force to replace it, or choose another -Path."),
                "EtcdSnapshotFileExists", ErrorCategory.ResourceExists, target));
            return;
        }
        var cluster = GetCluster();
        var memberId = MemberId;
        SnapshotSource? source = null;
        if (!Run(async (_, ct) => source = await SnapshotSaver.ChooseMemberAsync(cluster, memberId, ct).ConfigureAwait(false), memberId ?? target) || source is null) return;
        var action = exists
            ? $"Replace the existing file with a snapshot of member {source} ({source.Reason})"
            : $"Save a snapshot of member {source} ({source.Reason})";
        if (!ShouldProcess(target, action)) return;

        Run(async (output, ct) =>
        {
            var progress = new PeriodicProgress<SnapshotProgress>(output, latest => Describe(latest, source, target));
            var snapshot = await progress.RunAsync(() => SnapshotSaver.SaveAsync(cluster, source, target, overwrite: exists, progress, ct), ct).ConfigureAwait(false);
            await output.WriteVerboseAsync($"Saved {snapshot.SizeBytes} bytes at revision {snapshot.Revision} from {source} in {snapshot.DurationMs} ms; SHA-256 {snapshot.Sha256} checked.");
            await output.WriteObjectAsync(snapshot);
        }, target);
    }

    private static ProgressRecord Describe(SnapshotProgress latest, SnapshotSource source, string target)
    {
        var total = latest.BytesReceived + latest.BytesRemaining;
        var rate = latest.Elapsed.TotalSeconds > 0 ? latest.BytesReceived / latest.Elapsed.TotalSeconds : 0;
        return new ProgressRecord(1, "Save-EtcdSnapshot", $"{latest.BytesReceived / 1048576.0:N1} of {total / 1048576.0:N1} MiB at {rate / 1048576.0:N1} MiB/s")
        {
            CurrentOperation = $"from {source.Name} ({source.Endpoint}) to {target}",
            PercentComplete = total > 0 ? (int)Math.Min(100, 100 * latest.BytesReceived / total) : -1,
            SecondsRemaining = rate > 0 ? (int)(latest.BytesRemaining / rate) : -1,
        };
    }
}
