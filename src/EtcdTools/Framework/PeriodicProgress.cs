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
        ProgressRecord? last;
        try
        {
            result = await work().ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            last = await writer.ConfigureAwait(false);
        }
        if (last is not null)
        {
            last.RecordType = ProgressRecordType.Completed;
            await output.WriteProgressAsync(last).ConfigureAwait(false);
        }
        return result;
    }

    private async Task<ProgressRecord?> WriteAsync(CancellationToken stop)
    {
        ProgressRecord? record = null;
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                T? latest;
                lock (_gate) latest = _latest;
                if (latest is null) continue;
                record = describe(latest.Value);
                await output.WriteProgressAsync(record).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The work ended.
        }
        return record;
    }
}
