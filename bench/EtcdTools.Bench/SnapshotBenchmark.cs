using System.Diagnostics;
using System.Security.Cryptography;
using EtcdTools.Client;
using EtcdTools.Sandbox;

namespace EtcdTools.Bench;

/// <summary>
/// Fills one member to about the requested size, then alternates `etcdctl snapshot save` and
/// EtcdClient.SnapshotAsync to files on the same disk, checks both files are byte-identical, and
/// prints the times, throughput and the ratio of ours to etcdctl's.
/// </summary>
internal static class SnapshotBenchmark
{
    public static async Task<int> RunAsync(int sizeMb, int runs, bool tls, CancellationToken cancellationToken)
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions
        {
            Members = 1, Tls = tls, QuotaBackendBytes = 8L << 30, ReadyTimeout = TimeSpan.FromSeconds(60),
        }, cancellationToken);
        var settings = sandbox.ConnectionSettings with { CommandTimeout = TimeSpan.FromSeconds(60) };
        using var client = new EtcdClient(settings);

        var fill = Stopwatch.StartNew();
        await FillAsync(client, sizeMb, cancellationToken);
        var status = await client.StatusAsync(cancellationToken: cancellationToken);
        Console.WriteLine($"etcd {status.Version}, db {status.DbSize / 1e6:F1} MB ({status.DbSizeInUse / 1e6:F1} MB in use), filled in {fill.Elapsed.TotalSeconds:F1} s, TLS: {tls}");

        var dir = Directory.CreateTempSubdirectory("etcdtools-bench-");
        try
        {
            var ours = new List<double>();
            var theirs = new List<double>();
            long allocated = 0;
            string? hashOurs = null, hashTheirs = null;
            for (var run = 0; run <= runs; run++)
            {
                // Alternate who goes first, so neither always gets the warmer page cache.
                var order = run % 2 == 0 ? new[] { "etcdctl", "ours" } : ["ours", "etcdctl"];
                foreach (var who in order)
                {
                    var file = Path.Combine(dir.FullName, $"{who}.db");
                    File.Delete(file);
                    var clock = Stopwatch.StartNew();
                    if (who == "etcdctl")
                    {
                        await EtcdctlSnapshotAsync(settings, file, cancellationToken);
                        clock.Stop();
                        if (run > 0) theirs.Add(clock.Elapsed.TotalSeconds);
                        hashTheirs ??= Sha256(file);
                    }
                    else
                    {
                        var before = GC.GetTotalAllocatedBytes(precise: true);
                        await using (var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
                            await client.SnapshotAsync(stream, cancellationToken: cancellationToken);
                        clock.Stop();
                        if (run > 0)
                        {
                            ours.Add(clock.Elapsed.TotalSeconds);
                            allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                        }
                        hashOurs ??= Sha256(file);
                    }
                }
            }
            var size = new FileInfo(Path.Combine(dir.FullName, "ours.db")).Length;
            Console.WriteLine($"snapshot file {size / 1e6:F1} MB; identical bytes: {hashOurs == hashTheirs} (sha256 {hashOurs?[..16]}...)");
            Report("etcdctl snapshot save", theirs, size);
            Report("EtcdClient.SnapshotAsync", ours, size);
            Console.WriteLine($"ratio ours/etcdctl (median): {Median(ours) / Median(theirs):F2}; managed allocation per snapshot: {allocated / 1e6:F1} MB");
            return hashOurs == hashTheirs ? 0 : 1;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task FillAsync(EtcdClient client, int sizeMb, CancellationToken cancellationToken)
    {
        const int valueSize = 64 * 1024;
        var count = sizeMb * 1024 * 1024 / valueSize;
        var value = Google.Protobuf.ByteString.CopyFrom(RandomNumberGenerator.GetBytes(valueSize));
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
            await client.PutAsync(new Protocol.Etcdserverpb.PutRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8($"/bench/{i:D8}"), Value = value }, cancellationToken: ct));
    }

    private static async Task EtcdctlSnapshotAsync(EtcdConnectionSettings settings, string file, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--endpoints=" + settings.Endpoints[0]);
        if (settings.CaCertificatePath is not null) start.ArgumentList.Add("--cacert=" + settings.CaCertificatePath);
        if (settings.CertificatePath is not null) start.ArgumentList.Add("--cert=" + settings.CertificatePath);
        if (settings.KeyPath is not null) start.ArgumentList.Add("--key=" + settings.KeyPath);
        start.ArgumentList.Add("snapshot");
        start.ArgumentList.Add("save");
        start.ArgumentList.Add(file);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ETCDCTL_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0) throw new InvalidOperationException($"etcdctl snapshot save failed: {await stderr}");
    }

    private static void Report(string what, List<double> seconds, long bytes) =>
        Console.WriteLine($"{what,-26} median {Median(seconds):F3} s  min {seconds.Min():F3} s  max {seconds.Max():F3} s  ({bytes / 1e6 / Median(seconds):F0} MB/s, {seconds.Count} runs)");

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
