using System.Globalization;
using System.Text.RegularExpressions;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Performance;
using EtcdTools.Protocol.Etcdserverpb;
using EtcdTools.Sandbox;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Performance;

/// <summary>A 3-member cluster for the load tests that leave it healthy (they compact it, which no other test may mind).</summary>
public sealed class LoadClusterFixture : IAsyncLifetime
{
    private EtcdSandbox? _sandbox;

    public EtcdSandbox Sandbox => _sandbox ?? throw new InvalidOperationException("The load cluster is not started.");

    public async Task InitializeAsync() =>
        _sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3, Name = "load-" + Guid.NewGuid().ToString("N")[..8] });

    public async Task DisposeAsync()
    {
        if (_sandbox is not null) await _sandbox.DisposeAsync();
    }
}

[CollectionDefinition("load-cluster")]
public sealed class LoadClusterGroup : ICollectionFixture<LoadClusterFixture>;

/// <summary>
/// Small loads (a few seconds) against real members, with etcdctl and the members' own /metrics as
/// witnesses: where the puts went, that no key is left, and what became of the history. Speed is
/// not asserted (the bench compares it with check perf); that the verdict follows the numbers is.
/// </summary>
[Collection("load-cluster")]
public sealed partial class LoadTestTests(LoadClusterFixture fixture)
{
    private static EtcdLoadTestOptions Small(string? prefix = null) => new()
    {
        Load = "custom", Rate = 40, Clients = 6, Duration = TimeSpan.FromSeconds(3), KeySize = 32, ValueSize = 100, Prefix = prefix,
    };

    [Fact]
    public async Task ASmallLoadIsSpreadOverTheMembersJudgedAndLeavesNoKeysButItsHistory()
    {
        var sandbox = fixture.Sandbox;
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var putsBefore = await PutsServedAsync(sandbox);

        var plan = await EtcdLoadTestPlan.CreateAsync(cluster, Small());
        Assert.Null(plan.Refusal);
        Assert.Equal(3, plan.Targets.Count);
        Assert.StartsWith("/etcdtools-loadtest/", plan.Prefix, StringComparison.Ordinal);
        Assert.Equal(120, plan.PlannedRequests);
        Assert.Equal(256 + plan.Prefix.Length + 32 + 100, plan.BytesPerPut);
        var test = new EtcdLoadTest(cluster, plan);
        var result = await test.RunAsync();

        Assert.Equal(0, result.Errors);
        Assert.True(result.Succeeded > 0 && result.Succeeded <= 120, $"{result.Succeeded} puts");
        Assert.Equal(result.Succeeded, result.Requests);
        Assert.Equal(result.Succeeded / (result.ElapsedMs / 1000), result.Throughput, 6);
        Assert.True(result.LatencyP50Ms > 0 && result.LatencyP50Ms <= result.LatencyP90Ms && result.LatencyP90Ms <= result.LatencyP99Ms && result.LatencyP99Ms <= result.LatencyMaxMs);
        Assert.Equal(result.ThroughputPassed && result.SlowestPassed && result.StddevPassed && result.ErrorsPassed, result.Passed);
        Assert.Equal(result.Throughput / 40 > 0.9, result.ThroughputPassed);
        Assert.Equal(result.LatencyMaxMs <= 500, result.SlowestPassed);
        Assert.Equal(result.LatencyStddevMs <= 100, result.StddevPassed);
        Assert.StartsWith(result.Passed ? "PASS: " : "FAIL: ", result.Verdict, StringComparison.Ordinal);
        Assert.Equal(result.Passed, result.FailureReasons.Length == 0);
        Assert.Equal(sandbox.Members.Select(m => m.Name).Order(), result.Members.Split(", ").Order());
        Assert.False(result.Stopped);

        // Every member served some of the puts (their own counters), and only as many as were sent.
        var putsAfter = await PutsServedAsync(sandbox);
        var served = putsAfter.Zip(putsBefore, (after, before) => after - before).ToList();
        Assert.All(served, s => Assert.True(s > 0, $"puts per member: {string.Join(", ", served)}"));
        Assert.Equal(result.Requests, served.Sum());

        // No key is left; the history is: a put of the test is still readable at its revision.
        var now = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "get", "--prefix", plan.Prefix, "--keys-only");
        Assert.Equal((0, ""), (now.ExitCode, now.StandardOutput));
        Assert.Equal(result.Succeeded, result.KeysDeleted);
        Assert.Equal(result.Succeeded + 1, result.HistoryRevisions);
        Assert.Equal(result.Succeeded * plan.BytesPerPut, result.HistoryBytes);
        Assert.Equal(0, result.OtherRevisions);
        Assert.Equal(result.StartRevision + result.HistoryRevisions, result.EndRevision);
        Assert.False(result.Compacted);
        Assert.Contains("stay in the history until the cluster is compacted", result.CleanupNote, StringComparison.Ordinal);
        var old = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "get", "--prefix", plan.Prefix, "--rev=" + (result.EndRevision - 1), "--keys-only");
        Assert.Equal(0, old.ExitCode);
        Assert.Equal(result.Succeeded, old.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(k => k.StartsWith(plan.Prefix, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task CompactRemovesTheHistoryOfAQuietClusterAndOnlyWithForceOfABusyOne()
    {
        var sandbox = fixture.Sandbox;
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);

        var quiet = await new EtcdLoadTest(cluster, await EtcdLoadTestPlan.CreateAsync(cluster, Small() with { Compact = true })).RunAsync();
        Assert.True(quiet.Compacted, quiet.CleanupNote);
        Assert.Equal(quiet.EndRevision, quiet.CompactRevision);
        Assert.Equal(0, quiet.OtherRevisions);
        var compacted = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "get", "--prefix", quiet.Prefix, "--rev=" + (quiet.EndRevision - 1));
        Assert.Contains("required revision has been compacted", compacted.StandardError, StringComparison.Ordinal);

        // Another client writes while the test runs: its history is not ours to take, unless forced.
        using var writing = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var writer = WriteElsewhereAsync(sandbox, writing.Token);
        var busy = await new EtcdLoadTest(cluster, await EtcdLoadTestPlan.CreateAsync(cluster, Small() with { Compact = true })).RunAsync();
        Assert.False(busy.Compacted);
        Assert.True(busy.OtherRevisions > 0);
        Assert.Contains("Not compacted: other clients wrote", busy.CleanupNote, StringComparison.Ordinal);
        var kept = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "get", "--prefix", busy.Prefix, "--rev=" + (busy.EndRevision - 1), "--keys-only");
        Assert.True(kept.ExitCode == 0, kept.ToString());
        Assert.Equal(busy.KeysDeleted, kept.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var forced = await new EtcdLoadTest(cluster, await EtcdLoadTestPlan.CreateAsync(cluster, Small() with { Compact = true, CompactEvenIfOthersWrote = true })).RunAsync();
        await writing.CancelAsync();
        var others = await writer;
        Assert.True(others > 0);
        Assert.True(forced.OtherRevisions > 0);
        Assert.True(forced.Compacted, forced.CleanupNote);
        Assert.Equal(forced.EndRevision, forced.CompactRevision);
        Assert.Contains("compacted", (await Etcdctl.RunAsync(sandbox.ConnectionSettings, "get", "--prefix", forced.Prefix, "--rev=" + (forced.EndRevision - 1))).StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneMemberNamedGetsAllTheLoad()
    {
        var sandbox = fixture.Sandbox;
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var before = await PutsServedAsync(sandbox);
        var plan = await EtcdLoadTestPlan.CreateAsync(cluster, Small() with { MemberIds = [sandbox.Members[1].Name] });
        Assert.Equal(sandbox.Members[1].Name, Assert.Single(plan.Targets).MemberName);

        var result = await new EtcdLoadTest(cluster, plan).RunAsync();

        var served = (await PutsServedAsync(sandbox)).Zip(before, (a, b) => a - b).ToList();
        Assert.Equal([0, result.Requests, 0], served);
        Assert.Equal(sandbox.Members[1].Name, result.Members);
        var unknown = await Assert.ThrowsAsync<EtcdException>(() => EtcdLoadTestPlan.CreateAsync(cluster, Small() with { MemberIds = ["no-such-member"] }));
        Assert.Equal(EtcdErrorKind.MemberNotFound, unknown.Kind);
    }

    [Fact]
    public async Task CancellingStopsTheLoadAtOnceAndStillDeletesTheKeys()
    {
        var sandbox = fixture.Sandbox;
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var plan = await EtcdLoadTestPlan.CreateAsync(cluster, Small() with { Duration = TimeSpan.FromMinutes(5) });
        var test = new EtcdLoadTest(cluster, plan);
        using var cancel = new CancellationTokenSource();
        var running = test.RunAsync(cancel.Token);
        while (test.GetProgress().Succeeded < 20) await Task.Delay(20);
        Assert.True(await CountAsync(cluster, plan.Prefix) > 0);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        Assert.Equal("Done", test.GetProgress().Phase);
        Assert.Equal(0, await CountAsync(cluster, plan.Prefix));
        Assert.True(test.GetProgress().Elapsed < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task APrefixThatHoldsKeysIsRefusedAndNothingIsWritten()
    {
        var sandbox = fixture.Sandbox;
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var prefix = $"/occupied-{Guid.NewGuid():N}/";
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var put = await client.PutAsync(prefix + "precious", "keep me");

        var plan = await EtcdLoadTestPlan.CreateAsync(cluster, Small(prefix));
        Assert.Contains($"The prefix '{prefix}' holds 1 key(s) already", plan.Refusal, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new EtcdLoadTest(cluster, plan));
        var status = await client.StatusAsync();
        Assert.Equal(put.Header.Revision, status.Header.Revision);
        Assert.Equal(1, await CountAsync(cluster, prefix));
    }

    [Fact]
    public void PresetsAreCheckPerfsAndBadSettingsAreRefused()
    {
        // etcd 3.4 etcdctl/ctlv3/command/check.go: checkPerfCfgMap, ksize 256, vsize 1024, 60 s.
        Assert.Equal((150, 50), (EtcdLoadTestOptions.ForLoad("s").Rate, EtcdLoadTestOptions.ForLoad("s").Clients));
        Assert.Equal((1000, 200), (EtcdLoadTestOptions.ForLoad("medium").Rate, EtcdLoadTestOptions.ForLoad("medium").Clients));
        Assert.Equal((8000, 500), (EtcdLoadTestOptions.ForLoad("l").Rate, EtcdLoadTestOptions.ForLoad("l").Clients));
        Assert.Equal((15000, 1000), (EtcdLoadTestOptions.ForLoad("xLarge").Rate, EtcdLoadTestOptions.ForLoad("xLarge").Clients));
        var small = EtcdLoadTestOptions.ForLoad("s");
        Assert.Equal((256, 1024, 60.0, "s"), (small.KeySize, small.ValueSize, small.Duration.TotalSeconds, small.Load));
        Assert.Throws<ArgumentException>(() => EtcdLoadTestOptions.ForLoad("xxl"));

        Assert.Throws<ArgumentException>(() => (small with { Rate = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => (small with { Clients = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => (small with { Duration = TimeSpan.FromMilliseconds(500) }).Validate());
        Assert.Throws<ArgumentException>(() => (small with { KeySize = 7 }).Validate());
        Assert.Throws<ArgumentException>(() => (small with { ValueSize = 2 * 1024 * 1024 }).Validate());
        Assert.Throws<ArgumentException>(() => (small with { Prefix = "" }).Validate());
        var unique = Assert.Throws<ArgumentException>(() => (small with { KeySize = 8, Rate = 15000, Duration = TimeSpan.FromHours(3) }).Validate());
        Assert.Contains("raise -KeySize", unique.Message, StringComparison.Ordinal);
    }

    internal static async Task<long> CountAsync(EtcdCluster cluster, string prefix)
    {
        var range = EtcdTools.Keys.KeyRange.ForPrefix(prefix);
        var response = await cluster.InvokeAsync((c, ct) => c.RangeAsync(new RangeRequest { Key = range.Key, RangeEnd = range.RangeEnd, CountOnly = true }, cancellationToken: ct));
        return response.Count;
    }

    /// <summary>Puts each member has answered, from its own grpc_server_handled_total counters (codes summed).</summary>
    internal static async Task<List<long>> PutsServedAsync(EtcdSandbox sandbox)
    {
        using var http = new HttpClient();
        var counts = new List<long>();
        foreach (var member in sandbox.Members)
        {
            var text = await http.GetStringAsync(new Uri(new Uri(member.MetricsUrl), "/metrics"));
            counts.Add(PutCounter().Matches(text).Sum(m => (long)double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)));
        }
        return counts;
    }

    [GeneratedRegex(@"^grpc_server_handled_total\{[^}]*grpc_method=""Put""[^}]*\} (\S+)$", RegexOptions.Multiline)]
    private static partial Regex PutCounter();

    /// <summary>Another client: a put every 20 ms elsewhere until cancelled; returns how many.</summary>
    private static async Task<int> WriteElsewhereAsync(EtcdSandbox sandbox, CancellationToken cancellationToken)
    {
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var written = 0;
        try
        {
            while (true)
            {
                await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/elsewhere/key"), Value = ByteString.CopyFromUtf8(written.ToString(CultureInfo.InvariantCulture)) }, cancellationToken: cancellationToken);
                written++;
                await Task.Delay(20, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            return written;
        }
    }
}
