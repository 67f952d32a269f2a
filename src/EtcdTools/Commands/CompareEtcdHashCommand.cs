using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Maintenance;

namespace EtcdTools.Commands;

/// <summary>
/// Hashes every member's keyspace at one revision and compares: the current revision, read once,
/// unless -Revision. Each member's hash is one object; members that differ from the majority are
/// an EtcdHashMismatch error naming them, and a member that cannot be reached is its own error
/// while the others still report.
/// </summary>
[Cmdlet(VerbsData.Compare, "EtcdHash")]
[OutputType(typeof(EtcdMemberHash))]
public sealed class CompareEtcdHashCommand : EtcdCmdlet
{
    /// <summary>The revision to hash at; without it, the cluster's current revision.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(1, long.MaxValue)]
    public long Revision { get; set; }

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        var revision = Revision;
        Run(async (output, ct) =>
        {
            var result = await HashComparison.CompareAsync(cluster, revision, cancellationToken: ct).ConfigureAwait(false);
            await output.WriteVerboseAsync($"Compared {result.Hashes.Count} member hash(es) at revision {result.Revision}.");
            foreach (var hash in result.Hashes)
                await output.WriteObjectAsync(hash);
            foreach (var failure in result.Failures)
                await output.WriteErrorAsync(failure.Error, failure.Name.Length > 0 ? failure.Name : failure.MemberId);
            if (result.DescribeMismatch() is { } mismatch)
            {
                await output.WriteErrorAsync(EtcdErrorRecords.Create(new InvalidDataException(mismatch), "EtcdHashMismatch", ErrorCategory.InvalidData, result.Revision));
            }
            else if (result.Hashes.Count == 1)
            {
                await output.WriteWarningAsync($"Only member {result.Hashes[0].Name} answered: there was nothing to compare its hash with.");
            }
        }, revision == 0 ? null : revision);
    }
}
