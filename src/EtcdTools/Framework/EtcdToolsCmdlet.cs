using System.Management.Automation;

namespace EtcdTools.Framework;

/// <summary>
/// Base of every cmdlet of the module: the one bridge between async work and the pipeline thread,
/// cancellation on Ctrl+C, and the rule for errors. Work runs on the thread pool and hands what it
/// produces to a bounded <see cref="PipelineWriter"/>; this (pipeline) thread writes it. A failure
/// of one item is a non-terminating error with the item as its target, so -ErrorAction,
/// -ErrorVariable and $? behave as with PowerShell's own cmdlets; only a failure of the whole
/// command (<see cref="EtcdErrorRecords.EndsCommand"/>) is terminating.
/// </summary>
public abstract class EtcdToolsCmdlet : PSCmdlet, IDisposable
{
    /// <summary>How long stopped work may take to wind down before the pipeline moves on without it.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource _abandoned = new();
    private CancellationTokenSource? _stopping;

    /// <summary>
    /// Cancelled by Ctrl+C (<see cref="Cmdlet.PipelineStopToken"/>) and when the pipeline stops
    /// taking this cmdlet's output (Select-Object -First, -ErrorAction Stop), so work that spans
    /// several Runs (a watch) ends too.
    /// </summary>
    protected CancellationToken StopToken => (_stopping ??= CancellationTokenSource.CreateLinkedTokenSource(PipelineStopToken, _abandoned.Token)).Token;

    /// <summary>
    /// Runs <paramref name="work"/> off the pipeline thread while this thread writes what it
    /// produces, until the work ends. Returns true when it succeeded; false when it failed for this
    /// item, which has then been reported as a non-terminating error with <paramref name="target"/>
    /// as its target; a failure of the whole command is a terminating error. Ctrl+C ends it within
    /// a second, whether or not the work honours its token by then.
    /// </summary>
    protected bool Run(Func<PipelineWriter, CancellationToken, Task> work, object? target = null)
    {
        var token = StopToken;
        var writer = new PipelineWriter(token);
        var task = Task.Run(async () =>
        {
            try { await work(writer, token).ConfigureAwait(false); }
            finally { writer.Complete(); }
        }, CancellationToken.None);

        try
        {
            Drain(writer);
        }
        catch (Exception e)
        {
            // Ctrl+C, or a write threw (the pipeline downstream is done, -ErrorAction Stop): this
            // cmdlet is finished, so stop everything it started and let the exception travel on.
            _abandoned.Cancel();
            WindDown(task);
            if (e is OperationCanceledException && token.IsCancellationRequested) throw new PipelineStoppedException();
            throw;
        }

        try
        {
            task.GetAwaiter().GetResult();
            return true;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception e) when (e is not PipelineStoppedException and not ActionPreferenceStopException)
        {
            var record = EtcdErrorRecords.From(e, target);
            if (EtcdErrorRecords.EndsCommand(e)) ThrowTerminatingError(record);
            WriteError(record);
            return false;
        }
    }

    /// <summary>Writes what the work queues, on this thread, until the work completes the queue; Ctrl+C interrupts the wait.</summary>
    private void Drain(PipelineWriter writer)
    {
        var reader = writer.Reader;
        while (true)
        {
            while (reader.TryRead(out var action)) action(this);
            var waiting = reader.WaitToReadAsync(StopToken);
            var more = waiting.IsCompletedSuccessfully ? waiting.Result : waiting.AsTask().GetAwaiter().GetResult();
            if (!more) return;
        }
    }

    /// <summary>Gives cancelled work a moment to end (closing streams, deleting temporary files); its outcome no longer matters.</summary>
    private static void WindDown(Task task)
    {
        try { task.Wait(StopGrace); }
        catch (AggregateException) { /* the failure that stopped the pipeline is the one reported */ }
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>
    /// True under -WhatIf (or $WhatIfPreference): for cmdlets that show a plan even when they would
    /// refuse it, and emit nothing then.
    /// </summary>
    protected bool IsWhatIf => MyInvocation.BoundParameters.TryGetValue("WhatIf", out var value)
        ? value is SwitchParameter { IsPresent: true } or true
        : LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference"));

    /// <summary>A path as the user meant it: relative to the session's current location, not the process's.</summary>
    protected string ResolvePath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing) return;
        _stopping?.Dispose();
        _abandoned.Dispose();
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}
