using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Keys;

namespace EtcdTools.Commands;

/// <summary>
/// Deletes a key, or every key under a prefix. ConfirmImpact High: deletion cannot be undone
/// (only a snapshot brings keys back), so the prompt shows by default and names how many keys
/// will go, counted first. The delete then runs only if no key of the range changed since that
/// count, so it never takes keys the operator did not see counted (-Force skips that guard).
/// An empty prefix, the whole keyspace, is refused unless -Force.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "EtcdKey", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(long))]
public sealed class RemoveEtcdKeyCommand : EtcdCmdlet
{
    /// <summary>The key, or with -Prefix the prefix. Binds the Key property of piped objects (Get-EtcdKey).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    [TextArgument]
    [ArgumentCompleter(typeof(KeyCompleter))]
    public string Key { get; set; } = "";

    /// <summary>Delete every key that starts with -Key.</summary>
    [Parameter]
    public SwitchParameter Prefix { get; set; }

    /// <summary>Allow an empty prefix (every key), and delete whatever the range holds when the delete runs.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Emit the number of keys deleted.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (!Prefix && Key.Length == 0)
        {
            WriteError(EtcdErrorRecords.Create(new ArgumentException("An etcd key cannot be empty: give a key, or -Prefix with a prefix."),
                "EtcdKeyMissing", ErrorCategory.InvalidArgument, Key));
            return;
        }
        var range = KeyRange.Create(Key, Prefix);
        if (range.IsWholeKeyspace && !Force)
        {
            WriteError(EtcdErrorRecords.Create(
                new ArgumentException("An empty prefix means every key in the cluster. Nothing was deleted; add -Force if you really mean to delete the whole keyspace."),
                "EtcdWholeKeyspaceRefused", ErrorCategory.InvalidArgument, Key));
            return;
        }

        var cluster = GetCluster();
        KeyCount count = default;
        if (!Run(async (_, ct) => count = await KeyReader.CountAsync(cluster, range, cancellationToken: ct).ConfigureAwait(false), Key)) return;

        if (count.Count == 0)
        {
            if (Prefix)
            {
                WriteVerbose($"No key starts with '{Key}': nothing to delete.");
                if (PassThru) WriteObject(0L);
            }
            else
            {
                WriteError(EtcdErrorRecords.Create(new ItemNotFoundException($"The key '{Key}' does not exist."), "EtcdKeyNotFound", ErrorCategory.ObjectNotFound, Key));
            }
            return;
        }

        var target = Prefix
            ? $"{count.Count} key{(count.Count == 1 ? "" : "s")} under {range.Describe()} (counted at revision {count.Revision})"
            : $"key '{Key}'";
        if (!ShouldProcess(target, "Remove")) return;

        var guardRevision = Force ? (long?)null : count.Revision;
        var key = Key;
        Run(async (output, ct) =>
        {
            var result = await KeyDeletion.DeleteAsync(cluster, range, guardRevision, ct).ConfigureAwait(false);
            if (!result.Applied)
            {
                await output.WriteErrorAsync(EtcdErrorRecords.Create(
                    new InvalidOperationException($"Keys under {range.Describe()} were written after they were counted ({count.Count} at revision {count.Revision}), so nothing was deleted. Run the command again to count and confirm afresh, or add -Force to delete whatever the range holds."),
                    "EtcdKeysChanged", ErrorCategory.ResourceBusy, key));
                return;
            }
            await output.WriteVerboseAsync($"Deleted {result.Deleted} key{(result.Deleted == 1 ? "" : "s")} under {range.Describe()} at revision {result.Revision}.");
            if (PassThru) await output.WriteObjectAsync(result.Deleted);
        }, key);
    }
}
