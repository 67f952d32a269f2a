using System.Text.Json;
using EtcdTools.Client;
using EtcdTools.Performance;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Performance;

internal static class PerformanceTestHelpers
{
    /// <summary>Measures the cluster of <paramref name="settings"/> for <paramref name="duration"/> while <paramref name="during"/> runs (a workload, a fault).</summary>
    public static async Task<(EtcdPerformanceResult Result, List<EtcdPerformanceTick> Ticks)> MeasureAsync(EtcdConnectionSettings settings, TimeSpan duration,
        Func<CancellationToken, Task>? during = null, EtcdPerformanceOptions? options = null)
    {
        using var cluster = new EtcdCluster(settings);
        using var monitor = await EtcdPerformanceMonitor.StartAsync(cluster, options ?? new EtcdPerformanceOptions { Interval = TimeSpan.FromSeconds(1), KeepSamples = true });
        var ticks = new List<EtcdPerformanceTick>();
        using var stop = new CancellationTokenSource();
        var side = during is null ? Task.CompletedTask : Task.Run(() => during(stop.Token));
        try
        {
            await monitor.RunAsync(duration, tick =>
            {
                lock (ticks) ticks.Add(tick);
                return ValueTask.CompletedTask;
            });
        }
        finally
        {
            await stop.CancelAsync();
            await side;
        }
        return (monitor.GetResult(), ticks);
    }

    /// <summary>Puts a small key every <paramref name="pause"/> until cancelled; writes that fail (an election, a member down) are retried by the next.</summary>
    public static async Task WriteUntilCancelledAsync(EtcdConnectionSettings settings, TimeSpan pause, CancellationToken cancel)
    {
        using var cluster = new EtcdCluster(settings with { CommandTimeout = TimeSpan.FromSeconds(3) });
        for (var i = 0; !cancel.IsCancellationRequested; i++)
        {
            try
            {
                await cluster.InvokeAsync((c, ct) => c.PutAsync($"/perf/{i % 32}", new string('v', 256), cancellationToken: ct), cancel);
                await Task.Delay(pause, cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return;
            }
            catch (EtcdException)
            {
                // An election or a member down on the way: the next write tries again.
            }
        }
    }

    /// <summary>The leader's index in the sandbox, as the members' status says.</summary>
    public static async Task<int> LeaderIndexAsync(EtcdSandbox sandbox)
    {
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var status = await client.StatusAsync();
        var members = await client.MemberListAsync();
        var leaderName = members.Members.Single(m => m.ID == status.Leader).Name;
        return sandbox.Members.Single(m => m.Name == leaderName).Index;
    }

    public static string Describe(EtcdPerformanceResult result) => JsonSerializer.Serialize(new
    {
        result.Summary.Verdict,
        result.Summary.VerdictReason,
        Findings = result.Summary.Findings.Select(f => f.ToString()),
        Members = result.Members.Select(m => new { m.Member, m.WalFsyncP99Ms, m.BackendCommitP99Ms, m.PeerRttP99Ms, m.LeaderChanges, m.FailedScrapes, m.CpuPercent }),
        Failures = result.Failures.Select(f => $"{f.Member}: {f.Error.Message}"),
    });
}
