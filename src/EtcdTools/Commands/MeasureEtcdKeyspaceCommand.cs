using System.Diagnostics;
using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Keys;

namespace EtcdTools.Commands;

/// <summary>
/// Counts keys and their key and value bytes per prefix: under /registry/ per Kubernetes resource
/// type and namespace, elsewhere per first path segment, or -Depth segments on request; or, with
/// -Report, the keys with the largest values or the most versions. Online it reads the keyspace in
/// byte-sized Range pages at one revision (flat memory, values included since etcd cannot send
/// their sizes alone); with -Path it reads a snapshot file offline.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "EtcdKeyspace", DefaultParameterSetName = ClusterSet)]
[OutputType(typeof(EtcdKeyspaceUsage), typeof(EtcdKeyspaceKey))]
public sealed class MeasureEtcdKeyspaceCommand : EtcdCmdlet
{
    private const string ClusterSet = "Cluster";
    private const string SnapshotSet = "Snapshot";

    /// <summary>Only keys starting with this; by default every key.</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(KeyCompleter))]
    public string Prefix { get; set; } = "";

    /// <summary>A snapshot file (or a stopped member's db file) to measure instead of the cluster.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SnapshotSet)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Path segments per prefix (1 = "/a/", 2 = "/a/b/"); by default Kubernetes resource and namespace under /registry/, the first segment elsewhere.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int Depth { get; set; }

    /// <summary>Measure the keyspace as it was at this revision (after the last compaction); by default the current one.</summary>
    [Parameter(ParameterSetName = ClusterSet)]
    [ValidateRange(1, long.MaxValue)]
    public long Revision { get; set; }

    /// <summary>Prefixes (default), LargestKeys (by value size) or MostVersions.</summary>
    [Parameter]
    [ValidateSet("Prefixes", "LargestKeys", "MostVersions")]
    public string Report { get; set; } = "Prefixes";

    /// <summary>How many keys -Report LargestKeys or MostVersions lists.</summary>
    [Parameter]
    [ValidateRange(1, 100_000)]
    public int Top { get; set; } = 20;

    protected override void ProcessRecord()
    {
        var options = new KeyspaceOptions { Prefix = Prefix, Depth = Depth, Top = Top, Revision = Revision };
        var report = Report;
        if (ParameterSetName == SnapshotSet)
        {
            if (Connection is not null || Endpoint is not null)
                ThrowTerminatingError(EtcdErrorRecords.Create(new ArgumentException("-Path measures a snapshot file: -Connection and -Endpoint do not apply to it."),
                    "InvalidArgument", ErrorCategory.InvalidArgument, Path));
            var file = ResolvePath(Path!);
            if (!File.Exists(file))
                ThrowTerminatingError(EtcdErrorRecords.Create(new FileNotFoundException($"Cannot find the snapshot '{file}'.", file), "PathNotFound", ErrorCategory.ObjectNotFound, file));
            Run(async (output, ct) =>
            {
                var clock = Stopwatch.StartNew();
                var result = KeyspaceMeasurement.Measure(file, options, ct);
                await output.WriteVerboseAsync($"{file}: {result.Keys} key(s), {result.Bytes} bytes of keys and values at revision {result.Revision}, read in {clock.ElapsedMilliseconds} ms.");
                await WriteAsync(output, result, report);
            }, file);
            return;
        }

        var cluster = GetCluster();
        Run(async (output, ct) =>
        {
            var clock = Stopwatch.StartNew();
            var progress = new PeriodicProgress<KeyspaceProgress>(output, latest => new ProgressRecord(1, "Measure-EtcdKeyspace", $"{latest.KeysRead:N0} of {latest.TotalKeys:N0} keys")
            {
                PercentComplete = latest.TotalKeys > 0 ? (int)Math.Min(100, 100 * latest.KeysRead / latest.TotalKeys) : -1,
            });
            var result = await progress.RunAsync(() => KeyspaceMeasurement.MeasureAsync(cluster, options, progress, ct), ct).ConfigureAwait(false);
            await output.WriteVerboseAsync($"{result.Source}: {result.Keys} key(s), {result.Bytes} bytes of keys and values at revision {result.Revision}, in {result.Pages} page(s) and {clock.ElapsedMilliseconds} ms.");
            await WriteAsync(output, result, report);
        }, string.Join(",", cluster.Settings.Endpoints));
    }

    private static async Task WriteAsync(PipelineWriter output, KeyspaceReport result, string report)
    {
        IEnumerable<object> rows = report switch
        {
            "LargestKeys" => result.LargestKeys,
            "MostVersions" => result.MostVersions,
            _ => result.Prefixes,
        };
        foreach (var row in rows)
            await output.WriteObjectAsync(row);
    }
}
