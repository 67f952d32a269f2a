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
        Post(c =>
        {
            try { answer.TrySetResult(c.ShouldProcess(target, action)); }
            catch (Exception e) { answer.TrySetException(e); }
        });
        return answer.Task;
    }

    private void Post(Action<Cmdlet> action)
    {
        if (!_queue.IsAddingCompleted) _queue.Add(action);
    }

    internal void Complete() => _queue.CompleteAdding();

    internal IEnumerable<Action<Cmdlet>> Drain() => _queue.GetConsumingEnumerable();

    public void Dispose() => _queue.Dispose();
}
