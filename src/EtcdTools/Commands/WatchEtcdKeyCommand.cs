using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Keys;

namespace EtcdTools.Commands;

/// <summary>
/// Streams changes to a key or prefix as they happen, each written to the pipeline as it arrives,
/// until Ctrl+C, -Count events or -Timeout. -Revision replays history from that revision first.
/// When its member is lost, the watch resumes on another from the revision after the last event
/// it wrote, with a warning: no event is lost or repeated.
/// </summary>
[Cmdlet(VerbsCommon.Watch, "EtcdKey")]
[OutputType(typeof(EtcdWatchEvent))]
public sealed class WatchEtcdKeyCommand : EtcdCmdlet
{
    /// <summary>The key, or with -Prefix the prefix ("" or none: the whole keyspace).</summary>
    [Parameter(Position = 0)]
    [AllowEmptyString]
    [ArgumentCompleter(typeof(KeyCompleter))]
    public string? Key { get; set; }

    [Parameter]
    public SwitchParameter Prefix { get; set; }

    /// <summary>Start at this revision, replaying the changes since; without it, changes from now on.</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long Revision { get; set; }

    /// <summary>Stop after this many events.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    /// <summary>Stop after this long (5, '30s', '10m'); not an error.</summary>
    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan? Timeout { get; set; }

    /// <summary>Include each key's previous value (PreviousValue).</summary>
    [Parameter]
    public SwitchParameter PrevKv { get; set; }

    /// <summary>Show the values of Kubernetes secrets instead of redacting them.</summary>
    [Parameter]
    public SwitchParameter ShowSecret { get; set; }

    protected override void ProcessRecord()
    {
        var text = Key ?? "";
        if (!Prefix && text.Length == 0)
        {
            ThrowTerminatingError(EtcdErrorRecords.Create(new ArgumentException("Give a key to watch, or -Prefix to watch every key under a prefix (-Prefix alone watches the whole keyspace)."),
                "EtcdKeyMissing", ErrorCategory.InvalidArgument, Key));
        }
        var range = KeyRange.Create(text, Prefix);
        var cluster = GetCluster();
        var revision = Revision;
        var previousValues = PrevKv.IsPresent;
        var showSecrets = ShowSecret.IsPresent;
        var count = Count;
        var timeout = Timeout;
        Run(async (output, ct) =>
        {
            var options = new KeyWatchOptions(range)
            {
                StartRevision = revision,
                PreviousValues = previousValues,
                ShowSecrets = showSecrets,
                MaxEvents = count,
                Duration = timeout,
                Resumed = resumption => output.WriteWarningAsync(
                    $"The watch lost {resumption.LostEndpoint.GetLeftPart(UriPartial.Authority)} ({resumption.Reason.TrimEnd('.')}); it resumed on {resumption.Endpoint.GetLeftPart(UriPartial.Authority)} from revision {resumption.FromRevision}, so no event is lost or repeated."),
            };
            await using var watch = await KeyWatch.StartAsync(cluster, options, ct).ConfigureAwait(false);
            await output.WriteVerboseAsync($"Watching {range.Describe()} on {watch.Endpoint.GetLeftPart(UriPartial.Authority)} from revision {watch.StartRevision} (current revision {watch.CurrentRevision}).");
            while (await watch.ReadNextAsync().ConfigureAwait(false) is { } batch)
            {
                foreach (var change in batch)
                    await output.WriteObjectAsync(change);
                if (watch.EndReason != KeyWatchEnd.None) break;
            }
            await output.WriteVerboseAsync(watch.EndReason == KeyWatchEnd.CountReached
                ? $"Received {watch.EventsDelivered} events: done."
                : $"Watched for {Duration.Format(timeout!.Value)} ({watch.EventsDelivered} events): done.");
        }, text);
    }
}
