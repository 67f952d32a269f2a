using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Keys;

namespace EtcdTools.Commands;

/// <summary>
/// Reads one key, or every key under a prefix, page by page at one revision: keys reach the
/// pipeline as their page arrives, and the next page is read only as fast as the pipeline takes
/// them, so a million keys stream in flat memory and the listing is consistent even while the
/// keyspace changes. Secrets are redacted unless
/// -ShowSecret. -CountOnly emits just the number of keys.
/// </summary>
[Cmdlet(VerbsCommon.Get, "EtcdKey", DefaultParameterSetName = ListSet)]
[OutputType(typeof(EtcdKeyValue), ParameterSetName = [ListSet])]
[OutputType(typeof(long), ParameterSetName = [CountSet])]
public sealed class GetEtcdKeyCommand : EtcdCmdlet
{
    private const string ListSet = "List";
    private const string CountSet = "Count";

    /// <summary>The key, or with -Prefix the prefix ("" or none: the whole keyspace).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    [TextArgument]
    [ArgumentCompleter(typeof(KeyCompleter))]
    public string? Key { get; set; }

    /// <summary>Read every key that starts with -Key.</summary>
    [Parameter]
    public SwitchParameter Prefix { get; set; }

    /// <summary>Keys and their metadata without values.</summary>
    [Parameter(ParameterSetName = ListSet)]
    public SwitchParameter KeysOnly { get; set; }

    /// <summary>Emit only the number of keys.</summary>
    [Parameter(ParameterSetName = CountSet, Mandatory = true)]
    public SwitchParameter CountOnly { get; set; }

    /// <summary>At most this many keys.</summary>
    [Parameter(ParameterSetName = ListSet)]
    [ValidateRange(1, long.MaxValue)]
    public long Limit { get; set; }

    /// <summary>Read the keyspace as it was at this revision.</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long Revision { get; set; }

    /// <summary>Let the member answer from its local state (no round trip to the leader; may be stale).</summary>
    [Parameter]
    public SwitchParameter Serializable { get; set; }

    /// <summary>Show the values of Kubernetes secrets instead of redacting them.</summary>
    [Parameter(ParameterSetName = ListSet)]
    public SwitchParameter ShowSecret { get; set; }

    /// <summary>Keys per request, fixed; by default pages hold about 4 MiB of keys and values.</summary>
    [Parameter(ParameterSetName = ListSet)]
    [ValidateRange(1, 100_000)]
    public int PageSize { get; set; }

    protected override void ProcessRecord()
    {
        var text = Key ?? "";
        if (!Prefix && text.Length == 0)
        {
            WriteError(EtcdErrorRecords.Create(new ArgumentException("Give a key, or -Prefix to read every key under a prefix (-Prefix alone reads the whole keyspace)."),
                "EtcdKeyMissing", ErrorCategory.InvalidArgument, Key));
            return;
        }
        var range = KeyRange.Create(text, Prefix);
        var cluster = GetCluster();

        if (CountOnly)
        {
            Run(async (output, ct) =>
            {
                var count = await KeyReader.CountAsync(cluster, range, Revision, Serializable, ct).ConfigureAwait(false);
                await output.WriteVerboseAsync($"{range.Describe()} holds {count.Count} keys at revision {count.Revision}.");
                await output.WriteObjectAsync(count.Count);
            }, text);
            return;
        }

        var reader = new KeyReader(cluster, new KeyReadOptions(range)
        {
            KeysOnly = KeysOnly,
            Limit = Limit,
            Revision = Revision,
            Serializable = Serializable,
            ShowSecrets = ShowSecret,
            PageSize = PageSize > 0 ? PageSize : null,
        });
        // Pages are read one after another while the pipeline thread writes; the writer's bounded
        // queue makes a slow consumer hold the next page back, so memory stays at about one page.
        if (!Run(async (output, ct) =>
            {
                do
                {
                    var first = reader.PagesRead == 0;
                    var page = await reader.ReadNextPageAsync(ct).ConfigureAwait(false);
                    if (first)
                        await output.WriteVerboseAsync($"Reading {range.Describe()} at revision {reader.Revision}: {reader.TotalCount} keys{(Limit > 0 ? $", at most {Limit}" : "")}.");
                    foreach (var item in page)
                        await output.WriteObjectAsync(item);
                }
                while (!reader.IsComplete);
            }, text))
            return;

        if (!Prefix && reader.KeysRead == 0)
        {
            WriteError(EtcdErrorRecords.Create(new ItemNotFoundException($"The key '{text}' does not exist{(Revision > 0 ? $" at revision {Revision}" : "")}."),
                "EtcdKeyNotFound", ErrorCategory.ObjectNotFound, text));
        }
    }
}
