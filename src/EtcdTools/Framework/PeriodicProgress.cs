using System.Management.Automation;

namespace EtcdTools.Framework;

/// <summary>
/// Progress of long work (a snapshot stream, a keyspace scan) shown on the host: the work reports
/// as often as it likes, and only the newest value is written, four times a second, so the work
/// never waits for the host.
/// </summary>
internal sealed class PeriodicProgress<T>(PipelineWriter output, Func<T, ProgressRecord> describe) : IProgress<T> where T : struct
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly Lock _gate = new();
    private T? _latest;

    public void Report(T value)
    {
        lock (_gate) _latest = value;
    }

    /// <summary>Runs <paramref name="work"/> while writing its progress; the record is completed when it ends.</summary>
    public async Task<TResult> RunAsync<TResult>(Func<Task<TResult>> work, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = WriteAsync(stop.Token);
        TResult result;
        try
        {
            result = await work().ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await writer.ConfigureAwait(false);
        }
        // The final state, marked completed: also for work too quick to have shown any progress.
        T? latest;
        lock (_gate) latest = _latest;
        if (latest is not null)
        {
            var record = describe(latest.Value);
            record.RecordType = ProgressRecordType.Completed;
            await output.WriteProgressAsync(record).ConfigureAwait(false);
        }
        return result;
    }

    private async Task WriteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                T? latest;
                lock (_gate) latest = _latest;
                if (latest is null) continue;
                await output.WriteProgressAsync(describe(latest.Value)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The work ended.
        }
    }
}
