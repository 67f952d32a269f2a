using System.Diagnostics;
using EtcdTools.Client;
using EtcdTools.Keys;
using EtcdTools.Sandbox;
using Google.Protobuf;

namespace EtcdTools.Bench;

/// <summary>
/// Lists a large keyspace: KeyReader (paged at one revision, what Get-EtcdKey -Prefix uses) vs
/// `etcdctl get --prefix` (one response holding every key), same member, same keys. Reports time
/// and the managed heap's peak while listing, which must stay flat however many keys there are.
/// </summary>
internal static class KeyListingBenchmark
{
    public static async Task<int> RunAsync(int keys, int valueBytes, int pageSize, int pageBytes, CancellationToken cancellationToken)
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
        await BatchedPuts.WriteAsync(client, keys, value, i => $"/bench/keys/{i:D9}", cancellationToken);
        Console.WriteLine($"{keys:N0} keys of {valueBytes} bytes written in {fill.Elapsed.TotalSeconds:F1} s");

        // etcdctl: one Range with no limit, printed to /dev/null.
        var etcdctl = Stopwatch.StartNew();
        var start = new ProcessStartInfo("etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--endpoints=" + settings.Endpoints[0], "--command-timeout=120s", "get", "--prefix", "/bench/keys/" })
            start.ArgumentList.Add(argument);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ETCDCTL_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        using (var process = Process.Start(start)!)
        {
            var lines = 0L;
            double peakRss = 0;
            while (await process.StandardOutput.ReadLineAsync(cancellationToken) is not null)
                if (++lines % 20_000 == 1) peakRss = Math.Max(peakRss, HighWaterMarkMb(process.Id));
            await process.WaitForExitAsync(cancellationToken);
            etcdctl.Stop();
            Console.WriteLine($"etcdctl get --prefix          {etcdctl.Elapsed.TotalSeconds,7:F2} s  ({lines / 2:N0} keys printed; peak RSS at least {peakRss:F0} MB)");
        }

        // Ours: every page at the first page's revision, objects as Get-EtcdKey emits them.
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0, count = 0;
        var ours = Stopwatch.StartNew();
        var reader = new KeyReader(cluster, new KeyReadOptions(KeyRange.ForPrefix("/bench/keys/")) { PageSize = pageSize > 0 ? pageSize : null, PageBytes = pageBytes });
        await foreach (var item in reader.ReadAllAsync(cancellationToken))
        {
            if (++count % 10_000 == 0) peak = Math.Max(peak, GC.GetTotalMemory(false) - baseline);
        }
        ours.Stop();
        Console.WriteLine($"KeyReader ({(pageSize > 0 ? $"{pageSize:N0}-key pages" : $"{pageBytes / 1024:N0} KiB pages")}) {ours.Elapsed.TotalSeconds,7:F2} s  ({count:N0} keys in {reader.PagesRead} pages; managed heap above baseline at most {peak / 1e6:F0} MB)");
        Console.WriteLine($"ratio ours/etcdctl: {ours.Elapsed / etcdctl.Elapsed:F2}");
        return count == keys ? 0 : 1;
    }

    /// <summary>The process's resident-set high-water mark (VmHWM), read while it prints.</summary>
    private static double HighWaterMarkMb(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException) { return 0; }
    }
}
