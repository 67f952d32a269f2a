using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EtcdTools.Performance;

namespace EtcdTools.Bench;

/// <summary>
/// Test-EtcdDisk's engine vs `fio --rw=write --ioengine=sync --fdatasync=1 --size=22m --bs=2300`
/// on the same directory, alternating which goes first. Compares fdatasync percentiles (fio's
/// "sync" latencies from its JSON output), write rates and CPU time.
/// </summary>
internal static class DiskBenchmark
{
    private sealed record Run(string Tool, double P50Ms, double P90Ms, double P99Ms, double MaxMs, double MeanMs, double Iops, double CpuSeconds);

    public static async Task<int> RunAsync(string? directory, int runs, CancellationToken cancellationToken)
    {
        var scratch = directory is null ? Directory.CreateTempSubdirectory("etcdtools-bench-disk-") : null;
        var dir = directory is null ? scratch!.FullName : Path.GetFullPath(directory);
        try
        {
            var results = new List<Run>();
            for (var run = 0; run <= runs; run++)
            {
                var order = run % 2 == 0 ? new[] { "fio", "engine" } : ["engine", "fio"];
                foreach (var tool in order)
                {
                    var result = tool == "fio" ? await FioAsync(dir, cancellationToken) : await EngineAsync(dir, cancellationToken);
                    // The first round warms the file system up and is not counted.
                    if (run > 0) results.Add(result);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {(run == 0 ? "warm-up" : $"run {run}"),-7} {tool,-6}: fdatasync p50 {result.P50Ms,6:F3} p90 {result.P90Ms,6:F3} p99 {result.P99Ms,6:F3} max {result.MaxMs,7:F3} mean {result.MeanMs,6:F3} ms, {result.Iops,6:F0} writes/s, CPU {result.CpuSeconds:F2} s"));
                }
            }
            var fio = results.Where(r => r.Tool == "fio").ToList();
            var engine = results.Where(r => r.Tool == "engine").ToList();
            var p99 = BenchMath.Median(engine.Select(r => r.P99Ms)) / BenchMath.Median(fio.Select(r => r.P99Ms));
            var p50 = BenchMath.Median(engine.Select(r => r.P50Ms)) / BenchMath.Median(fio.Select(r => r.P50Ms));
            var iops = BenchMath.Median(engine.Select(r => r.Iops)) / BenchMath.Median(fio.Select(r => r.Iops));
            var within = Math.Abs(p99 - 1) <= 0.15;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{dir}: fdatasync p99 engine/fio {p99:F3} (target within 0.85..1.15: {(within ? "met" : "NOT met")}), p50 {p50:F3}, writes/s {iops:F3}; CPU engine {BenchMath.Median(engine.Select(r => r.CpuSeconds)):F2} s vs fio {BenchMath.Median(fio.Select(r => r.CpuSeconds)):F2} s ({runs} runs each, medians)"));
            return within ? 0 : 1;
        }
        finally
        {
            scratch?.Delete(recursive: true);
        }
    }

    private static async Task<Run> EngineAsync(string directory, CancellationToken cancellationToken)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var result = await new EtcdDiskTest(new EtcdDiskTestOptions { Directory = directory }).RunAsync(cancellationToken);
        var used = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        return new Run("engine", result.SyncP50Ms, result.SyncP90Ms, result.SyncP99Ms, result.SyncMaxMs, result.SyncMeanMs, result.WriteIops, used);
    }

    private static async Task<Run> FioAsync(string directory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("fio") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--name=etcd", "--rw=write", "--ioengine=sync", "--fdatasync=1", "--size=22m", "--bs=2300", "--directory=" + directory, "--output-format=json" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0) throw new InvalidOperationException($"fio failed (exit {process.ExitCode}): {await error}");
        // fio leaves its file behind: etcd.0.0.
        foreach (var file in Directory.GetFiles(directory, "etcd.*")) File.Delete(file);

        using var json = JsonDocument.Parse(output);
        var job = json.RootElement.GetProperty("jobs")[0];
        var sync = job.GetProperty("sync").GetProperty("lat_ns");
        var percentiles = sync.GetProperty("percentile");
        double Ms(string percentile) => percentiles.GetProperty(percentile).GetDouble() / 1e6;
        var runtimeSeconds = job.GetProperty("write").GetProperty("runtime").GetDouble() / 1000;
        // fio reports CPU as a percentage of its run time.
        var cpu = (job.GetProperty("usr_cpu").GetDouble() + job.GetProperty("sys_cpu").GetDouble()) / 100 * runtimeSeconds;
        return new Run("fio", Ms("50.000000"), Ms("90.000000"), Ms("99.000000"), sync.GetProperty("max").GetDouble() / 1e6, sync.GetProperty("mean").GetDouble() / 1e6,
            job.GetProperty("write").GetProperty("iops").GetDouble(), cpu);
    }
}
