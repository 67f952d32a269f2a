using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using EtcdTools.Client;
using EtcdTools.Performance;
using EtcdTools.Sandbox;

namespace EtcdTools.Bench;

/// <summary>
/// Invoke-EtcdLoadTest's engine vs `etcdctl check perf` at the same loads on the same 3-member
/// sandbox, one after the other (the order alternating between rounds). Every member is reached
/// through a <see cref="PutLatencyProxy"/>, which the members advertise as their client URLs, so
/// both tools' puts are timed at the same place: check perf prints no percentiles. The history
/// check perf leaves is compacted and the members defragmented between runs, so every run starts
/// from the same database.
/// </summary>
internal static partial class LoadTestBenchmark
{
    private sealed record Run(string Tool, string Load, int Round, double ReportedThroughput, double ReportedSlowestMs, double ReportedStddevMs, bool ReportedPass,
        double ProxyThroughput, int ProxyPuts, double P50Ms, double P90Ms, double P99Ms, double MaxMs, double ClientCpuSeconds, double ProxyCpuSeconds);

    public static async Task<int> RunAsync(string[] loads, int rounds, CancellationToken cancellationToken)
    {
        var proxies = Enumerable.Range(0, 3).Select(_ => new PutLatencyProxy()).ToList();
        try
        {
            await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions
            {
                Members = 3, Name = "bench-load-" + Guid.NewGuid().ToString("N")[..6],
                AdvertisedClientUrls = proxies.Select(p => p.Url.ToString().TrimEnd('/')).ToList(),
            }, cancellationToken);
            for (var i = 0; i < 3; i++) proxies[i].Forward(new Uri(sandbox.Members[i].ClientUrl));
            var settings = sandbox.ConnectionSettings with { Endpoints = proxies.Select(p => p.Url.ToString().TrimEnd('/')).ToArray() };
            using var cluster = new EtcdCluster(settings);
            Console.WriteLine($"3-member sandbox (etcd {(await cluster.GetClient(cluster.Endpoints[0]).StatusAsync(cancellationToken: cancellationToken)).Version}), each member behind a timing proxy; {Environment.ProcessorCount} cores; loads {string.Join(", ", loads)}, {rounds} round(s)");

            var runs = new List<Run>();
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var load in loads)
                {
                    var order = round % 2 == 1 ? new[] { "check perf", "engine" } : ["engine", "check perf"];
                    foreach (var tool in order)
                    {
                        var recording = new Recording(EtcdLoadTestOptions.DefaultKeySize + EtcdLoadTestOptions.DefaultValueSize);
                        foreach (var proxy in proxies) proxy.Record(recording);
                        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                        var childrenBefore = ChildrenCpu();
                        var reported = tool == "engine"
                            ? await RunEngineAsync(settings, load, cancellationToken)
                            : await RunCheckPerfAsync(settings, load, cancellationToken);
                        foreach (var proxy in proxies) proxy.Stop();
                        var proxyCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
                        var childCpu = ChildrenCpu() - childrenBefore;
                        var sorted = recording.Sorted();
                        // Both tools run as children; this process runs only the proxies.
                        var run = new Run(tool, load, round, reported.Throughput, reported.SlowestMs, reported.StddevMs, reported.Pass,
                            recording.Throughput, sorted.Length, LatencyStatistics.Percentile(sorted, 50), LatencyStatistics.Percentile(sorted, 90),
                            LatencyStatistics.Percentile(sorted, 99), sorted.Length > 0 ? sorted[^1] : 0,
                            childCpu, proxyCpu);
                        runs.Add(run);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  round {round} load {load} {tool,-10}: reported {run.ReportedThroughput,7:F1} writes/s, slowest {run.ReportedSlowestMs,6:F1} ms, stddev {run.ReportedStddevMs,5:F1} ms, {(run.ReportedPass ? "PASS" : "FAIL")} | proxy: {run.ProxyPuts,6} puts, {run.ProxyThroughput,7:F1}/s, p50 {run.P50Ms,6:F2} p90 {run.P90Ms,6:F2} p99 {run.P99Ms,6:F2} max {run.MaxMs,7:F2} ms | client CPU {run.ClientCpuSeconds:F1} s, proxies {run.ProxyCpuSeconds:F1} s"));
                        await ResetAsync(cluster, cancellationToken);
                    }
                }
            }

            Console.WriteLine();
            var ok = true;
            foreach (var load in loads)
            {
                var engine = runs.Where(r => r.Load == load && r.Tool == "engine").ToList();
                var checkPerf = runs.Where(r => r.Load == load && r.Tool == "check perf").ToList();
                var throughput = BenchMath.Median(engine.Select(r => r.ProxyThroughput)) / BenchMath.Median(checkPerf.Select(r => r.ProxyThroughput));
                var reportedThroughput = BenchMath.Median(engine.Select(r => r.ReportedThroughput)) / BenchMath.Median(checkPerf.Select(r => r.ReportedThroughput));
                var p99 = BenchMath.Median(engine.Select(r => r.P99Ms)) / BenchMath.Median(checkPerf.Select(r => r.P99Ms));
                var met = throughput >= 1 && p99 <= 1.1;
                ok &= met;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"load {load}: throughput engine/check perf {throughput:F3} at the proxies ({reportedThroughput:F3} as each reports it; target >= 1), p99 engine/check perf {p99:F2} (target <= 1.10): {(met ? "met" : "NOT met")}; client CPU engine {BenchMath.Median(engine.Select(r => r.ClientCpuSeconds)):F1} s vs etcdctl {BenchMath.Median(checkPerf.Select(r => r.ClientCpuSeconds)):F1} s"));
            }
            return ok ? 0 : 1;
        }
        finally
        {
            foreach (var proxy in proxies) await proxy.DisposeAsync();
        }
    }

    private sealed record Reported(double Throughput, double SlowestMs, double StddevMs, bool Pass);

    /// <summary>
    /// The engine runs in a process of its own, as etcdctl does: in this one its allocations and
    /// garbage collections would also delay the proxies, and so the very timing of its own puts.
    /// </summary>
    private static async Task<Reported> RunEngineAsync(EtcdConnectionSettings settings, string load, CancellationToken cancellationToken)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(LoadTestBenchmark).Assembly.Location);
        foreach (var argument in new[] { "engine", "--endpoints", string.Join(',', settings.Endpoints), "--load", load })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0) throw new InvalidOperationException($"The engine's process failed (exit {process.ExitCode}): {output} {await error}");
        var fields = output.Trim().Split(' ');
        return new Reported(double.Parse(fields[0], CultureInfo.InvariantCulture), double.Parse(fields[1], CultureInfo.InvariantCulture),
            double.Parse(fields[2], CultureInfo.InvariantCulture), fields[3] == "True");
    }

    /// <summary>The child's side of <see cref="RunEngineAsync"/>: one load test, its numbers on one line.</summary>
    public static async Task<int> RunEngineProcessAsync(string endpoints, string load, CancellationToken cancellationToken)
    {
        using var cluster = new EtcdCluster(new EtcdConnectionSettings { Endpoints = endpoints.Split(',') });
        var plan = await EtcdLoadTestPlan.CreateAsync(cluster, EtcdLoadTestOptions.ForLoad(load), cancellationToken);
        if (plan.Refusal is not null) throw new InvalidOperationException(plan.Refusal);
        var result = await new EtcdLoadTest(cluster, plan).RunAsync(cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.Throughput} {result.LatencyMaxMs} {result.LatencyStddevMs} {result.Passed}"));
        return 0;
    }

    private static async Task<Reported> RunCheckPerfAsync(EtcdConnectionSettings settings, string load, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--endpoints=" + string.Join(',', settings.Endpoints), "check", "perf", "--load", load })
            start.ArgumentList.Add(argument);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ETCDCTL_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        start.Environment["ETCDCTL_API"] = "3";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var throughput = CheckPerfThroughput().Match(output);
        if (!throughput.Success) throw new InvalidOperationException($"etcdctl check perf printed no throughput (exit {process.ExitCode}): {output} {await error}");
        return new Reported(
            double.Parse(throughput.Groups[1].Value, CultureInfo.InvariantCulture),
            double.Parse(CheckPerfSlowest().Match(output).Groups[1].Value, CultureInfo.InvariantCulture) * 1000,
            double.Parse(CheckPerfStddev().Match(output).Groups[1].Value, CultureInfo.InvariantCulture) * 1000,
            output.TrimEnd().EndsWith("PASS", StringComparison.Ordinal));
    }

    /// <summary>Compacts what the run left and defragments every member, so each run starts from the same database.</summary>
    private static async Task ResetAsync(EtcdCluster cluster, CancellationToken cancellationToken)
    {
        var members = await cluster.GetMembersAsync(cancellationToken);
        var status = await cluster.GetClient(cluster.Endpoints[0]).StatusAsync(cancellationToken: cancellationToken);
        await cluster.GetClient(cluster.Endpoints[0]).CompactAsync(status.Header.Revision, physical: true, timeout: TimeSpan.FromMinutes(1), cancellationToken: cancellationToken);
        foreach (var member in members.Members)
            await cluster.GetMemberClient(member)!.DefragmentAsync(TimeSpan.FromMinutes(1), cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
    }


    // check perf prints int(RPS)+1 writes/s.
    [GeneratedRegex(@"Throughput (?:is|too low:) (\d+) writes/s")]
    private static partial Regex CheckPerfThroughput();

    [GeneratedRegex(@"Slowest request took(?: too long:)? ([\d.]+)s")]
    private static partial Regex CheckPerfSlowest();

    [GeneratedRegex(@"Stddev (?:is|too high:) ([\d.]+)s")]
    private static partial Regex CheckPerfStddev();

    /// <summary>CPU seconds of the children this process has waited for (etcdctl once it exits), from getrusage(RUSAGE_CHILDREN).</summary>
    private static double ChildrenCpu()
    {
        var usage = new RUsage();
        return GetResourceUsage(-1, ref usage) == 0 ? usage.UserSeconds + usage.UserMicroseconds / 1e6 + usage.SystemSeconds + usage.SystemMicroseconds / 1e6 : 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        // The remaining 14 longs of struct rusage.
        public long R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13;
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetResourceUsage(int who, ref RUsage usage);
}
