using System.Management.Automation;
using System.Text;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Keys;

namespace EtcdTools.Commands;

/// <summary>
/// Writes a key: text with -Value (or piped strings), bytes with -RawValue. Objects from
/// Get-EtcdKey bind by property name (Key, RawValue), so a prefix can be copied to another cluster;
/// a redacted secret has no RawValue and is refused rather than written as its placeholder.
/// ConfirmImpact Medium: one key is overwritten, the previous value stays in etcd's history until compaction.
/// </summary>
[Cmdlet(VerbsCommon.Set, "EtcdKey", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = TextSet)]
[OutputType(typeof(EtcdKeyValue))]
public sealed class SetEtcdKeyCommand : EtcdCmdlet
{
    private const string TextSet = "Text";
    private const string RawSet = "Raw";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [TextArgument]
    [ArgumentCompleter(typeof(KeyCompleter))]
    public string Key { get; set; } = "";

    /// <summary>The value as text, stored as UTF-8.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    [TextArgument]
    public string Value { get; set; } = "";

    /// <summary>The value's bytes, stored as given.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = RawSet)]
    [AllowEmptyCollection]
    public byte[] RawValue { get; set; } = [];

    /// <summary>Attach the key to this lease (hex ID, as etcdctl prints it); the key goes when the lease expires.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Lease { get; set; }

    /// <summary>Emit the key as stored, with its new revision.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        long leaseId = 0;
        if (Lease is not null && !LeaseId.TryParse(Lease, out leaseId))
        {
            ThrowTerminatingError(EtcdErrorRecords.Create(new FormatException($"'{Lease}' is not an etcd lease ID: give it in hex as etcdctl prints it, e.g. 694d7d9f7d3f8a0b."),
                "EtcdLeaseIdInvalid", ErrorCategory.InvalidArgument, Lease));
        }
        var bytes = ParameterSetName == RawSet ? RawValue : Encoding.UTF8.GetBytes(Value);
        var action = $"Set value ({bytes.Length} bytes{(leaseId != 0 ? $", lease {LeaseId.Format(leaseId)}" : "")})";
        if (!ShouldProcess($"key '{Key}'", action)) return;

        var cluster = GetCluster();
        var key = Key;
        Run(async (output, ct) =>
        {
            var stored = await KeyWriter.PutAsync(cluster, key, bytes, leaseId, showSecret: false, ct).ConfigureAwait(false);
            await output.WriteVerboseAsync($"Set '{key}' at revision {stored.ModRevision} (version {stored.Version}).");
            if (PassThru) await output.WriteObjectAsync(stored);
        }, key);
    }
}
