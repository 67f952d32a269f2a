using System.Diagnostics;
using EtcdTools.Client;
using EtcdTools.Keys;
using EtcdTools.Sandbox;
using EtcdTools.Snapshots;
using Google.Protobuf;

namespace EtcdTools.Bench;

/// <summary>
/// A Kubernetes-like keyspace (/registry/&lt;resource&gt;/&lt;namespace&gt;/&lt;name&gt;) of the
/// requested size: KeyspaceMeasurement (Measure-EtcdKeyspace: byte-sized Range pages at one
/// revision, values included, read in place) vs `etcdctl get / --prefix --keys-only` piped into awk
/// counting per resource and namespace (keys only: no value sizes). Alternates the two, reports
/// time, our managed heap's and RSS's peak above the baseline, and the offline measurement of a
/// snapshot of the same data.
/// </summary>
internal static class KeyspaceBenchmark
{
    private static readonly string[] Resources = ["pods", "configmaps", "secrets", "events", "services/specs", "apps.openshift.io/deploymentconfigs", "leases", "endpointslices"];

    public static async Task<int> RunAsync(int keys, int valueBytes, int runs, CancellationToken cancellationToken)
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions
        {
            Members = 1, QuotaBackendBytes = 8L << 30, ReadyTimeout = TimeSpan.FromSeconds(60),
        }, cancellationToken);
        var settings = sandbox.ConnectionSettings with { CommandTimeout = TimeSpan.FromSeconds(120) };
        using var cluster = new EtcdCluster(settings);
        var client = cluster.GetClient(cluster.Endpoints[0]);

        var fill = Stopwatch.StartNew();
        var value = ByteString.CopyFrom(new byte[valueBytes]);
        await BatchedPuts.WriteAsync(client, keys, value, i => $"/registry/{Resources[i % Resources.Length]}/ns-{i % 97}/object-{i:D8}", cancellationToken);
        var status = await client.StatusAsync(cancellationToken: cancellationToken);
        Console.WriteLine($"{keys:N0} keys of {valueBytes} bytes in {Resources.Length} resources x 97 namespaces written in {fill.Elapsed.TotalSeconds:F1} s (db {status.DbSize / 1e6:F0} MB)");

        var ours = new List<double>();
        var theirs = new List<double>();
        double peakHeapMb = 0, peakRssMb = 0;
        KeyspaceReport? report = null;
        var groups = 0;
        for (var run = 0; run <= runs; run++)
        {
            foreach (var who in run % 2 == 0 ? new[] { "etcdctl", "ours" } : ["ours", "etcdctl"])
            {
                if (who == "etcdctl")
                {
                    var clock = Stopwatch.StartNew();
                    groups = await EtcdctlPipelineAsync(settings, cancellationToken);
                    if (run > 0) theirs.Add(clock.Elapsed.TotalSeconds);
                    continue;
                }
                GC.Collect();
                var baselineHeap = GC.GetTotalMemory(forceFullCollection: true);
                var baselineRss = PeakRss.ResetMb();
                long peakHeap = 0;
                using var sampling = new CancellationTokenSource();
                var sampler = Task.Run(async () =>
                {
                    while (!sampling.IsCancellationRequested)
                    {
                        peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false) - baselineHeap);
                        try { await Task.Delay(5, sampling.Token); } catch (OperationCanceledException) { }
                    }
                }, CancellationToken.None);
                var timer = Stopwatch.StartNew();
                report = await KeyspaceMeasurement.MeasureAsync(cluster, new KeyspaceOptions(), cancellationToken: cancellationToken);
                timer.Stop();
                await sampling.CancelAsync();
                await sampler;
                if (run > 0)
                {
                    ours.Add(timer.Elapsed.TotalSeconds);
                    peakHeapMb = Math.Max(peakHeapMb, peakHeap / 1e6);
                    peakRssMb = Math.Max(peakRssMb, PeakRss.Mb() - baselineRss);
                }
            }
        }
        Console.WriteLine($"etcdctl get / --prefix --keys-only | awk (count per resource/namespace)  median {BenchMath.Median(theirs):F2} s  ({groups} groups, keys only)");
        Console.WriteLine($"Measure-EtcdKeyspace (KeyspaceMeasurement)                           median {BenchMath.Median(ours):F2} s  ({report!.Prefixes.Count} prefixes, {report.Keys:N0} keys, "
            + $"{report.Bytes / 1e6:F0} MB of keys and values in {report.Pages} pages; managed heap above baseline at most {peakHeapMb:F0} MB, RSS {peakRssMb:F0} MB)");
        Console.WriteLine($"keyspace ratio ours/etcdctl pipeline (median): {BenchMath.Median(ours) / BenchMath.Median(theirs):F2}");

        var dir = Directory.CreateTempSubdirectory("etcdtools-bench-");
        try
        {
            var snapshot = await SnapshotSaver.SaveAsync(cluster, await SnapshotSaver.ChooseMemberAsync(cluster, null, cancellationToken), Path.Combine(dir.FullName, "s.db"),
                overwrite: false, cancellationToken: cancellationToken);
            var offlineClock = Stopwatch.StartNew();
            var offline = KeyspaceMeasurement.Measure(snapshot.Path, new KeyspaceOptions(), cancellationToken);
            Console.WriteLine($"Measure-EtcdKeyspace -Path (offline, {snapshot.SizeBytes / 1e6:F0} MB snapshot)  {offlineClock.Elapsed.TotalSeconds:F2} s ({offline.Keys:N0} keys, {offline.Prefixes.Count} prefixes)");
            return report.Keys == keys && offline.Keys == keys && groups == report.Prefixes.Count ? 0 : 1;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The operator's one-liner: keys only, through awk, counted per /registry/resource/namespace (the group's own segment for API groups).</summary>
    private static async Task<int> EtcdctlPipelineAsync(EtcdConnectionSettings settings, CancellationToken cancellationToken)
    {
        const string awk = """awk -F/ 'NF > 1 { r = $3; n = 4; if (index(r, ".") || (r == "services" && ($4 == "specs" || $4 == "endpoints"))) { r = r "/" $4; n = 5 } c[r "/" $n]++ } END { for (k in c) print c[k], k }'""";
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"etcdctl --endpoints={settings.Endpoints[0]} --command-timeout=300s get / --prefix --keys-only | {awk}");
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ETCDCTL_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var lines = (await process.StandardOutput.ReadToEndAsync(cancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0) throw new InvalidOperationException($"The etcdctl pipeline failed: {await stderr}");
        return lines.Length;
    }
}
