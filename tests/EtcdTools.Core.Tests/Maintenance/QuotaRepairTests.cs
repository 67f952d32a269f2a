using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Maintenance;
using EtcdTools.Protocol.Etcdserverpb;
using EtcdTools.Sandbox;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Maintenance;

/// <summary>Repair-EtcdQuota's core on small-quota sandboxes brought to a real NOSPACE.</summary>
public sealed class QuotaRepairTests
{
    private const long TinyQuota = 256 * 1024;
    private static readonly DefragOptions Options = new() { WaitBetween = TimeSpan.FromMilliseconds(200) };

    [Fact]
    public async Task NospaceFromHistoryIsRecoveredAndWritesWorkAgain()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3, QuotaBackendBytes = TinyQuota });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        // One key rewritten until the quota is reached: all of it is history, which compaction frees.
        await FillUntilNoSpaceAsync(client, distinctKeys: false);
        var alarms = await EtcdAlarms.ListAsync(cluster);
        Assert.NotEmpty(alarms);
        Assert.All(alarms, a => Assert.Equal(EtcdAlarms.NoSpace, a.Alarm));

        var plan = await QuotaRepair.PlanAsync(cluster, Options);
        Assert.True(plan.NoSpaceActive);
        Assert.Null(plan.Refusal);
        Assert.Equal(3, plan.Defrag.ToDefragment);
        Assert.All(plan.Members, m => Assert.Equal(TinyQuota, m.QuotaBytes));
        var text = plan.Describe();
        Assert.Contains($"Recover cluster {sandbox.ClusterId} from NOSPACE: NOSPACE is active for ", text);
        Assert.Contains($"  1. Compact to revision {plan.Compaction.CurrentRevision}, discarding ", text);
        Assert.Contains("  5. Disarm NOSPACE of ", text);
        Assert.Contains($"  6. Verify that writes work: put and delete a key under {QuotaRepair.VerifyPrefix}.", text);

        var repair = new QuotaRepair(cluster, plan);
        var steps = new List<EtcdRepairStep>();
        await foreach (var step in repair.RunAsync()) steps.Add(step);

        Assert.Null(repair.Stop);
        Assert.False(repair.DataExceedsQuota);
        // One DisarmAlarm per member that raised NOSPACE (more may have raised it since the list above).
        var disarmed = steps.Count(s => s.Action == "DisarmAlarm");
        Assert.True(disarmed >= alarms.Count, $"{disarmed} alarm(s) disarmed, {alarms.Count} listed before");
        Assert.Equal(["Compact", "Defragment", "Defragment", "Defragment", .. Enumerable.Repeat("DisarmAlarm", disarmed), "VerifyWrite"], steps.Select(s => s.Action));
        Assert.All(steps, s => Assert.Equal(EtcdRepairStatus.Done, s.Status));
        Assert.Equal(Enumerable.Range(1, steps.Count), steps.Select(s => s.Step));
        Assert.Equal(plan.Compaction.CurrentRevision, steps[0].Revision);
        Assert.All(steps.Where(s => s.Action == "Defragment"), s => Assert.True(s.DbSizeAfterBytes < s.DbSizeBeforeBytes && s.DbSizeAfterBytes < TinyQuota / 2,
            $"{s.Target}: {s.DbSizeBeforeBytes} -> {s.DbSizeAfterBytes}"));
        Assert.StartsWith($"Wrote {QuotaRepair.VerifyPrefix}", steps[^1].Detail);

        Assert.Empty(await EtcdAlarms.ListAsync(cluster));
        Assert.Equal("", (await Etcdctl.RunAsync(sandbox.ConnectionSettings, "alarm", "list")).StandardOutput);
        await client.PutAsync("/after/repair", "writable");
        Assert.Equal(0, (await client.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(QuotaRepair.VerifyPrefix), RangeEnd = ByteString.CopyFromUtf8("/etcdtools/repair-quota0"), CountOnly = true })).Count);
    }

    [Fact]
    public async Task DataThatFillsTheQuotaIsReportedAfterTheFirstDefragmentationShowsIt()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3, QuotaBackendBytes = TinyQuota });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        // Distinct keys: every byte is live data that compaction cannot free.
        await FillUntilNoSpaceAsync(client, distinctKeys: true);

        var repair = new QuotaRepair(cluster, await QuotaRepair.PlanAsync(cluster, Options));
        var steps = new List<EtcdRepairStep>();
        await foreach (var step in repair.RunAsync()) steps.Add(step);

        Assert.True(repair.DataExceedsQuota);
        var stop = repair.Stop!;
        Assert.Contains("the data itself fills the quota", stop.Message);
        Assert.Contains("Raise --quota-backend-bytes on every member", stop.Message);
        Assert.Contains("or delete data", stop.Message);
        // The first member defragmented shows it: the others are left alone.
        Assert.Equal(["Compact", "Defragment", "Defragment", "Defragment", "DisarmAlarm", "VerifyWrite"], steps.Select(s => s.Action));
        Assert.Equal([EtcdRepairStatus.Done, EtcdRepairStatus.Done, EtcdRepairStatus.NotStarted, EtcdRepairStatus.NotStarted, EtcdRepairStatus.NotStarted, EtcdRepairStatus.NotStarted],
            steps.Select(s => s.Status));
        Assert.True(steps[1].DbSizeAfterBytes >= TinyQuota * 0.95, $"defragmented to {steps[1].DbSizeAfterBytes}");
        Assert.Equal(["compaction", $"defragmentation of {steps[1].Target}"], stop.Done);
        // Nothing was disarmed: the cluster says NOSPACE still.
        Assert.NotEmpty(await EtcdAlarms.ListAsync(cluster));
    }

    [Fact]
    public async Task ASingleMemberIsRepairedOnlyWithTheDowntimeAcknowledged()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1, QuotaBackendBytes = TinyQuota });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        await FillUntilNoSpaceAsync(client, distinctKeys: false);

        Assert.Contains("single voting member", (await QuotaRepair.PlanAsync(cluster, Options)).Refusal);
        var repair = new QuotaRepair(cluster, await QuotaRepair.PlanAsync(cluster, Options with { AllowDowntime = true }));
        var steps = new List<EtcdRepairStep>();
        await foreach (var step in repair.RunAsync()) steps.Add(step);
        Assert.Null(repair.Stop);
        Assert.All(steps, s => Assert.Equal(EtcdRepairStatus.Done, s.Status));
        await client.PutAsync("/after/repair", "writable");
    }

    private static async Task FillUntilNoSpaceAsync(EtcdClient client, bool distinctKeys)
    {
        var value = ByteString.CopyFrom(System.Security.Cryptography.RandomNumberGenerator.GetBytes(distinctKeys ? 1024 : 8 * 1024));
        for (var i = 0; i < 5000; i++)
        {
            try
            {
                await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(distinctKeys ? $"/fill/{i:d5}" : "/fill/one"), Value = value });
            }
            catch (EtcdException e) when (e.Kind == EtcdErrorKind.NoSpace)
            {
                return;
            }
        }
        Assert.Fail("5000 writes never exceeded the quota.");
    }
}
