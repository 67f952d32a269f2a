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
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

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
            var progress = new LatestProgress();
            using var stopProgress = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var reporter = ReportProgressAsync(output, progress, source, target, stopProgress.Token);
            EtcdSnapshot snapshot;
            try
            {
                snapshot = await SnapshotSaver.SaveAsync(cluster, source, target, overwrite: exists, progress, ct).ConfigureAwait(false);
            }
            finally
            {
                await stopProgress.CancelAsync().ConfigureAwait(false);
                await reporter.ConfigureAwait(false);
            }
            await output.WriteProgressAsync(new ProgressRecord(1, "Save-EtcdSnapshot", "Saved") { RecordType = ProgressRecordType.Completed });
            await output.WriteVerboseAsync($"Saved {snapshot.SizeBytes} bytes at revision {snapshot.Revision} from {source} in {snapshot.DurationMs} ms; SHA-256 {snapshot.Sha256} checked.");
            await output.WriteObjectAsync(snapshot);
        }, target);
    }

    /// <summary>Writes the latest progress every 250 ms until stopped: the stream itself never waits for the host.</summary>
    private static async Task ReportProgressAsync(PipelineWriter output, LatestProgress progress, SnapshotSource source, string target, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(ProgressInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                if (progress.Latest is not { } latest) continue;
                var total = latest.BytesReceived + latest.BytesRemaining;
                var rate = latest.Elapsed.TotalSeconds > 0 ? latest.BytesReceived / latest.Elapsed.TotalSeconds : 0;
                var record = new ProgressRecord(1, "Save-EtcdSnapshot", $"{latest.BytesReceived / 1048576.0:N1} of {total / 1048576.0:N1} MiB at {rate / 1048576.0:N1} MiB/s")
                {
                    CurrentOperation = $"from {source.Name} ({source.Endpoint}) to {target}",
                    PercentComplete = total > 0 ? (int)Math.Min(100, 100 * latest.BytesReceived / total) : -1,
                    SecondsRemaining = rate > 0 ? (int)(latest.BytesRemaining / rate) : -1,
                };
                await output.WriteProgressAsync(record).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The save ended.
        }
    }

    /// <summary>Keeps only the newest report: called on every blob, read four times a second.</summary>
    private sealed class LatestProgress : IProgress<SnapshotProgress>
    {
        private readonly Lock _gate = new();
        private SnapshotProgress? _latest;

        public SnapshotProgress? Latest
        {
            get
            {
                lock (_gate) return _latest;
            }
        }

        public void Report(SnapshotProgress value)
        {
            lock (_gate) _latest = value;
        }
    }
}
