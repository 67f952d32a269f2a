using System.Collections.Concurrent;
using System.Management.Automation;

namespace EtcdTools.Framework;

/// <summary>
/// What async work hands back to the pipeline thread. PowerShell allows WriteObject, WriteError,
/// WriteProgress and ShouldProcess only on that thread, so the work queues them here and the
/// cmdlet drains the queue until the work is done.
/// </summary>
public sealed class CmdletOutput : IDisposable
{
    private readonly BlockingCollection<Action<Cmdlet>> _queue = new();
    private readonly CancellationTokenSource _abandoned = new();

    public void WriteObject(object? value) => Post(c => c.WriteObject(value));
    public void WriteError(ErrorRecord record) => Post(c => c.WriteError(record));
    public void WriteWarning(string text) => Post(c => c.WriteWarning(text));
    public void WriteVerbose(string text) => Post(c => c.WriteVerbose(text));
    public void WriteDebug(string text) => Post(c => c.WriteDebug(text));
    public void WriteProgress(ProgressRecord record) => Post(c => c.WriteProgress(record));

    /// <summary>Asks ShouldProcess on the pipeline thread (so -WhatIf and -Confirm prompts work) and waits for the answer.</summary>
    public Task<bool> ShouldProcessAsync(string target, string action)
    {
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Nobody will answer once the cmdlet stopped draining: cancel instead of waiting forever.
        _abandoned.Token.Register(() => answer.TrySetCanceled());
        Post(c =>
        {
            try { answer.TrySetResult(c.ShouldProcess(target, action)); }
            catch (Exception e) { answer.TrySetException(e); }
        });
        return answer.Task;
    }

    private void Post(Action<Cmdlet> action)
    {
        // After the pipeline thread stopped draining, writes go nowhere instead of failing the work.
        try { _queue.Add(action); }
        catch (ObjectDisposedException) { }
        catch (InvalidOperationException) { }
    }

    internal void Complete()
    {
        try { _queue.CompleteAdding(); }
        catch (ObjectDisposedException) { }
    }

    /// <summary>The pipeline thread stopped draining: pending and future questions are cancelled.</summary>
    internal void Abandon()
    {
        Complete();
        _abandoned.Cancel();
    }

    internal IEnumerable<Action<Cmdlet>> Drain() => _queue.GetConsumingEnumerable();

    public void Dispose()
    {
        _abandoned.Cancel();
        _abandoned.Dispose();
        _queue.Dispose();
    }
}
