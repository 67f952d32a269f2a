using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Snapshots;

namespace EtcdTools.Commands;

/// <summary>
/// Checks a snapshot file (or a stopped member's db file) offline: the SHA-256 etcd appends, both
/// bbolt meta pages, the freelist, every page of every bucket, the page accounting and etcd's key
/// bucket. Returns $true when all pass, $false otherwise (-Verbose says why), or with -Detailed
/// one result per check. A file that does not exist is an error, not $false.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "EtcdSnapshot", DefaultParameterSetName = PathSet)]
[OutputType(typeof(bool))]
[OutputType(typeof(EtcdSnapshotCheckResult))]
public sealed class TestEtcdSnapshotCommand : SnapshotFileCmdlet
{
    /// <summary>Emit every check's result instead of one Boolean per file.</summary>
    [Parameter]
    public SwitchParameter Detailed { get; set; }

    protected override void ProcessRecord()
    {
        var detailed = Detailed.IsPresent;
        foreach (var file in ResolveExistingFiles())
        {
            Run(async (output, ct) =>
            {
                var inspection = SnapshotInspector.Inspect(file, checkSha256: true, ct);
                if (detailed)
                {
                    foreach (var check in inspection.Checks)
                        await output.WriteObjectAsync(check);
                    return;
                }
                foreach (var check in inspection.Checks)
                    await output.WriteVerboseAsync($"{file}: {check}");
                await output.WriteObjectAsync(inspection.Passed);
            }, file);
        }
    }
}
