using System.Collections;
using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Snapshots;

namespace EtcdTools.Commands;

/// <summary>
/// Restores a snapshot into new data directories with etcd's own tool (`etcdutl snapshot restore`,
/// or etcdctl 3.4/3.5's `snapshot restore`), one member (-Name, -DataDirectory, -PeerUrl) or every
/// member given as objects or hashtables (-Member). Before anything is written the snapshot must
/// pass every check of Test-EtcdSnapshot and every data directory must be absent or empty; members
/// are restored in order and the command stops at the first failure, with the tool's own words.
/// </summary>
[Cmdlet(VerbsData.Restore, "EtcdSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = OneSet)]
[OutputType(typeof(EtcdSnapshotRestore))]
public sealed class RestoreEtcdSnapshotCommand : EtcdToolsCmdlet
{
    private const string OneSet = "OneMember";
    private const string ManySet = "Members";

    /// <summary>The snapshot file (Save-EtcdSnapshot's, etcdctl's, or a member's db file).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The member's name (etcd --name).</summary>
    [Parameter(Mandatory = true, ParameterSetName = OneSet)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The data directory to create (etcd --data-dir): absent or empty.</summary>
    [Parameter(Mandatory = true, ParameterSetName = OneSet)]
    [ValidateNotNullOrEmpty]
    public string DataDirectory { get; set; } = "";

    /// <summary>The member's peer URLs (etcd --initial-advertise-peer-urls).</summary>
    [Parameter(ParameterSetName = OneSet)]
    [ValidateNotNullOrEmpty]
    public string[] PeerUrl { get; set; } = ["http://localhost:2380"];

    /// <summary>Every member to restore: objects or hashtables with Name, PeerUrl (or PeerUrls) and DataDirectory.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ManySet)]
    [ValidateNotNullOrEmpty]
    public object[] Member { get; set; } = [];

    /// <summary>etcd --initial-cluster ("name=peerUrl,..."); by default the members restored here.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? InitialCluster { get; set; }

    /// <summary>etcd --initial-cluster-token of the new cluster.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string InitialClusterToken { get; set; } = SnapshotRestorer.DefaultClusterToken;

    /// <summary>etcdutl (or etcdctl before 3.6) to restore with; by default found on PATH.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EtcdutlPath { get; set; }

    protected override void ProcessRecord()
    {
        var snapshotPath = ResolvePath(Path);
        if (!File.Exists(snapshotPath))
            ThrowTerminatingError(EtcdErrorRecords.Create(new FileNotFoundException($"Cannot find the snapshot '{snapshotPath}'.", snapshotPath),
                "PathNotFound", ErrorCategory.ObjectNotFound, snapshotPath));
        var members = ParameterSetName == ManySet ? Member.Select(ToMember).ToList() : [new SnapshotRestoreMember(Name, PeerUrl, ResolvePath(DataDirectory))];
        CheckMembers(members);
        var initialCluster = InitialCluster ?? SnapshotRestorer.InitialCluster(members);
        var token = InitialClusterToken;

        EtcdSnapshotInfo? info = null;
        SnapshotRestoreTool? tool = null;
        var toolPath = EtcdutlPath is null ? null : ResolvePath(EtcdutlPath);
        if (!Run(async (output, ct) =>
        {
            // A damaged snapshot is refused here, before the tool writes anything.
            info = SnapshotInspector.Read(snapshotPath, checkSha256: true, ct);
            tool = SnapshotRestorer.LocateTool(toolPath);
            await output.WriteVerboseAsync($"{snapshotPath} passed every check: revision {info.Revision}, {info.KeyCount} key(s), HashKV {info.HashKVHex}. Restoring with {tool}.");
        }, snapshotPath) || info is null || tool is null) return;

        var done = new List<string>();
        foreach (var member in members)
        {
            if (!ShouldProcess(member.DataDirectory,
                $"Restore {snapshotPath} (revision {info.Revision}, {info.KeyCount} keys) as member {member.Name} ({string.Join(",", member.PeerUrls)}) of cluster {initialCluster}, token {token}"))
                continue;
            var restored = Run(async (output, ct) =>
                await output.WriteObjectAsync(await SnapshotRestorer.RestoreAsync(tool, snapshotPath, info, member, initialCluster, token, ct).ConfigureAwait(false)), member.Name);
            if (!restored)
            {
                var remaining = members.SkipWhile(m => m != member).Select(m => m.Name);
                WriteWarning($"Stopped at member {member.Name}. Restored: {(done.Count == 0 ? "none" : string.Join(", ", done))}; not restored: {string.Join(", ", remaining)}.");
                return;
            }
            done.Add(member.Name);
        }
    }

    /// <summary>Every data directory absent or empty, names and directories distinct: checked for all before any is written.</summary>
    private void CheckMembers(List<SnapshotRestoreMember> members)
    {
        var problems = members.Select(m => SnapshotRestorer.CheckDataDirectory(m.DataDirectory)).OfType<string>().ToList();
        if (members.Select(m => m.Name).Distinct(StringComparer.Ordinal).Count() != members.Count) problems.Add("two members have the same name");
        if (members.Select(m => m.DataDirectory).Distinct(StringComparer.Ordinal).Count() != members.Count) problems.Add("two members have the same data directory");
        foreach (var url in members.SelectMany(m => m.PeerUrls))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                problems.Add($"the peer URL '{url}' is not an http:// or https:// URL");
        }
        if (problems.Count > 0)
            ThrowTerminatingError(EtcdErrorRecords.Create(new ArgumentException($"Nothing was restored: {string.Join("; ", problems)}."),
                problems.Any(p => p.Contains("not empty", StringComparison.Ordinal)) ? "EtcdDataDirectoryNotEmpty" : "InvalidArgument",
                problems.Any(p => p.Contains("not empty", StringComparison.Ordinal)) ? ErrorCategory.ResourceExists : ErrorCategory.InvalidArgument, members.Select(m => m.DataDirectory).ToArray()));
    }

    /// <summary>A member from a hashtable or an object: Name, PeerUrl or PeerUrls (one or several), DataDirectory.</summary>
    private SnapshotRestoreMember ToMember(object item)
    {
        var value = item is PSObject wrapped ? wrapped.BaseObject : item;
        object? Read(params string[] names)
        {
            foreach (var name in names)
            {
                var found = value is IDictionary dictionary
                    ? dictionary.Keys.Cast<object>().Where(k => string.Equals(k.ToString(), name, StringComparison.OrdinalIgnoreCase)).Select(k => dictionary[k]).FirstOrDefault()
                    : PSObject.AsPSObject(item).Properties[name]?.Value;
                if (found is PSObject inner) found = inner.BaseObject;
                if (found is not null) return found;
            }
            return null;
        }
        var name = Read("Name")?.ToString();
        var peers = Read("PeerUrl", "PeerUrls") switch
        {
            string text => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            IEnumerable many => many.Cast<object>().Select(o => (o is PSObject p ? p.BaseObject : o).ToString()!).ToArray(),
            _ => [],
        };
        var directory = Read("DataDirectory", "DataDir")?.ToString();
        if (string.IsNullOrEmpty(name) || peers.Length == 0 || string.IsNullOrEmpty(directory))
            ThrowTerminatingError(EtcdErrorRecords.Create(new ArgumentException("Each -Member needs Name, PeerUrl (or PeerUrls) and DataDirectory, e.g. @{ Name = 'etcd-0'; PeerUrl = 'https://10.0.0.1:2380'; DataDirectory = '/var/lib/etcd' }."),
                "InvalidArgument", ErrorCategory.InvalidArgument, item));
        return new SnapshotRestoreMember(name!, peers, ResolvePath(directory!));
    }
}
