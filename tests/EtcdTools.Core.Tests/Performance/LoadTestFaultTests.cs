using EtcdTools.Client;
using EtcdTools.Performance;
using EtcdTools.Protocol.Etcdserverpb;
using EtcdTools.Sandbox;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Performance;

/// <summary>Load tests against clusters in trouble, each on a sandbox of its own: a member down, a member hung, a quota too small, NOSPACE mid-test.</summary>
public sealed class LoadTestFaultTests
{
    private static EtcdLoadTestOptions Small => new()
    {
        Load = "custom", Rate = 40, Clients = 6, Duration = TimeSpan.FromSeconds(3), KeySize = 32, ValueSize = 100,
    };

    [Fact]
    public async Task AMemberDownIsRefusedBeforeAnythingIsWritten()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        await sandbox.StopMemberAsync(2);
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings with { CommandTimeout = TimeSpan.FromSeconds(2) });
        using var client = new EtcdClient(sandbox.GetConnectionSettings(0));
        var revision = (await client.StatusAsync()).Header.Revision;

        var plan = await EtcdLoadTestPlan.CreateAsync(cluster, Small);

        Assert.NotNull(plan.Refusal);
        Assert.Contains("The cluster fails its health checks", plan.Refusal, StringComparison.Ordinal);
        Assert.Contains($"MemberHealth [{sandbox.Members[2].Name}]", plan.Refusal, StringComparison.Ordinal);
        Assert.Equal(revision, (await client.StatusAsync()).Header.Revision);
    }

    [Fact]
    public async Task AMemberHungDuringPartOfTheTestShowsAsErrorsAndNoKeyIsLeft()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings with { CommandTimeout = TimeSpan.FromSeconds(1) });
        var plan = await EtcdLoadTestPlan.CreateAsync(cluster, Small with { Duration = TimeSpan.FromSeconds(8) });
        var test = new EtcdLoadTest(cluster, plan);
        var running = test.RunAsync();
        while (test.GetProgress().Succeeded < 20) await Task.Delay(20);

        // Hung for 3 s: its clients' puts time out; thawed, it handles what it held while the test still runs.
        sandbox.SuspendMember(0);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        finally
        {
            sandbox.ResumeMember(0);
        }
        var result = await running;

        Assert.True(result.Errors > 0, result.Verdict);
        Assert.False(result.ErrorsPassed);
        Assert.False(result.Passed);
        Assert.StartsWith("Errors: ", result.FailureReasons, StringComparison.Ordinal);
        Assert.Contains(sandbox.Members[0].ClientUrl.Replace("http://", "", StringComparison.Ordinal), result.ErrorSummary, StringComparison.Ordinal);
        Assert.Contains("had no answer (timed out or abandoned)", result.CleanupNote, StringComparison.Ordinal);
        Assert.Equal("", result.CleanupError);
        await sandbox.WaitReadyAsync();
        Assert.Equal(0, await LoadTestTests.CountAsync(cluster, plan.Prefix));
        // Every put that was applied, whether its client saw the answer or not, was deleted.
        Assert.True(result.KeysDeleted >= result.Succeeded, $"{result.KeysDeleted} deleted, {result.Succeeded} succeeded");
    }

    [Fact]
    public async Task ATestThatWouldFillTheQuotaIsRefused()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1, QuotaBackendBytes = 8L * 1024 * 1024 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);

        var plan = await EtcdLoadTestPlan.CreateAsync(cluster, EtcdLoadTestOptions.ForLoad("s"));

        Assert.Contains("would take", plan.Refusal, StringComparison.Ordinal);
        Assert.Contains("of its 8.0 MiB quota", plan.Refusal, StringComparison.Ordinal);
        Assert.Contains("NOSPACE", plan.Refusal, StringComparison.Ordinal);
        Assert.Equal(9000, plan.PlannedRequests);
        Assert.Null((await EtcdLoadTestPlan.CreateAsync(cluster, Small)).Refusal);
    }

    [Fact]
    public async Task NospaceDuringTheTestStopsItAndTheKeysAreStillDeleted()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1, QuotaBackendBytes = 8L * 1024 * 1024 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var plan = await EtcdLoadTestPlan.CreateAsync(cluster, Small with { Duration = TimeSpan.FromSeconds(30) });
        Assert.Null(plan.Refusal);
        var test = new EtcdLoadTest(cluster, plan);
        var running = test.RunAsync();
        while (test.GetProgress().Succeeded < 20) await Task.Delay(20);

        // Someone else fills the database while the test runs.
        using var filler = new EtcdClient(sandbox.ConnectionSettings);
        var value = ByteString.CopyFrom(new byte[256 * 1024]);
        for (var i = 0; i < 100; i++)
        {
            try { await filler.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"/filler/{i}"), Value = value }); }
            catch (EtcdException e) when (e.Kind == EtcdErrorKind.NoSpace) { break; }
        }
        var result = await running;

        Assert.True(result.Stopped);
        Assert.Contains("NOSPACE", result.StopReason, StringComparison.Ordinal);
        Assert.True(result.Errors > 0);
        Assert.Contains("database space exceeded", result.ErrorSummary, StringComparison.Ordinal);
        Assert.True(result.ElapsedMs < 30_000, $"{result.ElapsedMs} ms");
        Assert.Equal("", result.CleanupError);
        Assert.Equal(0, await LoadTestTests.CountAsync(cluster, plan.Prefix));
        Assert.True(result.KeysDeleted > 0);
    }
}
