using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Snapshots;

namespace EtcdTools.Commands;

/// <summary>
/// Reads a snapshot file, or a stopped member's member/snap/db, offline: the hash, revision, total
/// keys and total size `etcdctl snapshot status` prints for it, the keys a restored cluster holds and
/// its HashKV, after checking the SHA-256 trailer, both bbolt meta pages and every page. A damaged
/// file is an EtcdSnapshotCorrupt (InvalidData) error naming the check and the page.
/// </summary>
[Cmdlet(VerbsCommon.Get, "EtcdSnapshotInfo", DefaultParameterSetName = PathSet)]
[OutputType(typeof(EtcdSnapshotInfo))]
public sealed class GetEtcdSnapshotInfoCommand : SnapshotFileCmdlet
{
    /// <summary>Do not hash the database to compare it with the SHA-256 a snapshot ends with: the same work as etcdctl snapshot status.</summary>
    [Parameter]
    public SwitchParameter SkipHashCheck { get; set; }

    protected override void ProcessRecord()
    {
        var checkSha256 = !SkipHashCheck.IsPresent;
        foreach (var file in ResolveExistingFiles())
        {
            Run(async (output, ct) =>
            {
                var info = SnapshotInspector.Read(file, checkSha256, ct);
                await output.WriteVerboseAsync($"{file}: every check passed in {info.TookMs} ms{(info.HasSha256 && !checkSha256 ? " (the SHA-256 was not compared: -SkipHashCheck)" : "")}.");
                await output.WriteObjectAsync(info);
            }, file);
        }
    }
}
