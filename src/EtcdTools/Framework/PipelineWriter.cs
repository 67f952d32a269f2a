using System.Management.Automation;
using System.Threading.Channels;

namespace EtcdTools.Framework;

/// <summary>
/// What async work hands to the pipeline thread, the only thread where PowerShell allows
/// WriteObject, WriteError, WriteProgress and the host. The queue is bounded: when the consumer
/// downstream is slow, the work waits at its next write instead of reading ahead into memory, so
/// a slow pipeline slows etcd reads down rather than buffering a million keys.
/// </summary>
public sealed class PipelineWriter
{
    /// <summary>Items queued before a write waits: enough to keep the pipeline thread busy, small enough to bound memory.</summary>
    public const int Capacity = 256;

    private readonly Channel<Action<PSCmdlet>> _queue = Channel.CreateBounded<Action<PSCmdlet>>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationToken _stopped;

    internal PipelineWriter(CancellationToken stopped) => _stopped = stopped;

    public ValueTask WriteObjectAsync(object? value) => PostAsync(c => c.WriteObject(value));

    /// <summary>A non-terminating error: the command goes on with the next item.</summary>
    public ValueTask WriteErrorAsync(ErrorRecord record) => PostAsync(c => c.WriteError(record));

    /// <summary>A non-terminating error for one failing item (a member, a key), with the item as its target.</summary>
    public ValueTask WriteErrorAsync(Exception exception, object? target) => WriteErrorAsync(EtcdErrorRecords.From(exception, target));

    public ValueTask WriteWarningAsync(string text) => PostAsync(c => c.WriteWarning(text));

    public ValueTask WriteVerboseAsync(string text) => PostAsync(c => c.WriteVerbose(text));

    public ValueTask WriteProgressAsync(ProgressRecord record) => PostAsync(c => c.WriteProgress(record));

    /// <summary>Anything else that must run on the pipeline thread, such as drawing on the host's console.</summary>
    public ValueTask InvokeAsync(Action<PSCmdlet> action) => PostAsync(action);

    private ValueTask PostAsync(Action<PSCmdlet> action) => _queue.Writer.WriteAsync(action, _stopped);

    internal void Complete() => _queue.Writer.TryComplete();

    internal ChannelReader<Action<PSCmdlet>> Reader => _queue.Reader;
}
