using System.Diagnostics;
using System.Text.Json;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Core.Tests.Keys;
using EtcdTools.Maintenance;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Maintenance;

/// <summary>Compare-EtcdHash's core on the shared TLS cluster (read-only apart from its own keys).</summary>
[Collection("tls-cluster")]
public sealed class HashComparisonTests(TlsClusterFixture fixture)
{
    private EtcdSandbox Sandbox => fixture.Sandbox;

    [Fact]
    public async Task EveryMemberMatchesAtOneFixedRevisionWhileWritesGoOn()
    {
        using var cluster = new EtcdCluster(Sandbox.ConnectionSettings);
        using var client = new EtcdClient(Sandbox.ConnectionSettings);
        var prefix = KeyTestData.UniquePrefix();
        using var stop = new CancellationTokenSource();
        var writes = 0;
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await client.PutAsync($"{prefix}{w}/{i % 50}", $"value {i}");
                Interlocked.Increment(ref writes);
            }
        })).ToList();
        try
        {
            while (Volatile.Read(ref writes) < 100) await Task.Delay(10);
            for (var round = 0; round < 5; round++)
            {
                var before = Volatile.Read(ref writes);
                var result = await HashComparison.CompareAsync(cluster);
                Assert.True(Volatile.Read(ref writes) > before || round > 0, "the writers stalled: the comparison did not run under load");
                Assert.Empty(result.Failures);
                Assert.Equal(3, result.Hashes.Count);
                Assert.True(result.AllMatch, result.DescribeMismatch());
                Assert.Null(result.DescribeMismatch());
                Assert.All(result.Hashes, h => Assert.Equal(result.Revision, h.Revision));
                Assert.Single(result.Hashes.Select(h => h.Hash).Distinct());
                Assert.Equal(Sandbox.Members.Select(m => m.Name).Order(), result.Hashes.Select(h => h.Name).Order());
                Assert.All(result.Hashes, h => Assert.Equal(h.Hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture), h.HashHex));
            }
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(writers);
        }
    }

    [Fact]
    public async Task AChosenRevisionHashesAsEtcdctlHashesIt()
    {
        using var cluster = new EtcdCluster(Sandbox.ConnectionSettings);
        using var client = new EtcdClient(Sandbox.ConnectionSettings);
        var put = await client.PutAsync(KeyTestData.UniquePrefix() + "marker", "x");
        await client.PutAsync(KeyTestData.UniquePrefix() + "after", "y");

        var result = await HashComparison.CompareAsync(cluster, put.Header.Revision);
        Assert.Equal(put.Header.Revision, result.Revision);
        Assert.True(result.AllMatch);

        var witness = await Etcdctl.RunAsync(Sandbox.ConnectionSettings, "endpoint", "hashkv", $"--rev={put.Header.Revision}", "-w", "json");
        Assert.True(witness.ExitCode == 0, witness.ToString());
        using var json = JsonDocument.Parse(witness.StandardOutput);
        var etcdctlHashes = json.RootElement.EnumerateArray()
            .ToDictionary(e => MemberId.Format(e.GetProperty("HashKV").GetProperty("header").GetProperty("member_id").GetUInt64()),
                e => e.GetProperty("HashKV").GetProperty("hash").GetUInt32());
        Assert.Equal(3, etcdctlHashes.Count);
        Assert.All(result.Hashes, h => Assert.Equal(etcdctlHashes[h.MemberId], h.Hash));
    }

    [Fact]
    public async Task ARevisionInTheFutureIsRefusedBeforeAnyMemberIsAsked()
    {
        using var cluster = new EtcdCluster(Sandbox.ConnectionSettings);
        var error = await Assert.ThrowsAsync<EtcdException>(() => HashComparison.CompareAsync(cluster, long.MaxValue / 2));
        Assert.Equal(EtcdErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("in the future", error.Message);
    }

    [Theory]
    [InlineData(new uint[] { 7, 7, 7 }, 7u)]
    [InlineData(new uint[] { 7, 9, 7 }, 7u)]
    [InlineData(new uint[] { 7, 9 }, null)]
    [InlineData(new uint[] { 1, 2, 3 }, null)]
    [InlineData(new uint[] { 5 }, 5u)]
    [InlineData(new uint[] { }, null)]
    public void TheMajorityIsTheHashMostMembersHoldAndATieHasNone(uint[] hashes, uint? majority) =>
        Assert.Equal(majority, HashComparison.MajorityHash(hashes));
}

/// <summary>Comparisons with a member stopped, hung or history compacted: each on a sandbox of its own.</summary>
public sealed class HashComparisonFaultTests
{
    [Fact]
    public async Task AStoppedMemberIsItsOwnFailureWhileTheOthersReport()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var client = new EtcdClient(sandbox.GetConnectionSettings(0));
        await client.PutAsync("/before/stop", "x");
        await sandbox.StopMemberAsync(2);
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings with { CommandTimeout = TimeSpan.FromSeconds(3) });

        var result = await HashComparison.CompareAsync(cluster);

        Assert.Equal(2, result.Hashes.Count);
        Assert.True(result.AllMatch);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(sandbox.Members[2].Name, failure.Name);
        Assert.Equal(sandbox.Members[2].ClientUrl, failure.Endpoint);
        Assert.Equal(EtcdErrorKind.Unavailable, failure.Error.Kind);
    }

    [Fact]
    public async Task AHungMemberEndsAtItsTimeoutWhileTheOthersReport()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var probe = new EtcdClient(sandbox.GetConnectionSettings(0));
        var status = await probe.StatusAsync();
        var members = (await probe.MemberListAsync()).Members;
        // Hang a follower: a hung leader would stall the cluster itself until a new election.
        var follower = sandbox.Members.First(m => members.Single(x => x.Name == m.Name).ID != status.Leader);
        sandbox.SuspendMember(follower.Index);
        try
        {
            var commandTimeout = TimeSpan.FromSeconds(2);
            var memberTimeout = TimeSpan.FromSeconds(1.5);
            using var cluster = new EtcdCluster(sandbox.ConnectionSettings with { CommandTimeout = commandTimeout });
            var clock = Stopwatch.StartNew();
            var result = await HashComparison.CompareAsync(cluster, perMemberTimeout: memberTimeout);
            clock.Stop();

            Assert.Equal(2, result.Hashes.Count);
            Assert.True(result.AllMatch);
            var failure = Assert.Single(result.Failures);
            Assert.Equal(follower.Name, failure.Name);
            Assert.Equal(EtcdErrorKind.Timeout, failure.Error.Kind);
            // At worst the revision read waits out one command timeout on the hung endpoint before
            // failing over, then the members' hashes wait out one member timeout: not one per member.
            Assert.True(clock.Elapsed < commandTimeout + memberTimeout + TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        }
        finally
        {
            sandbox.ResumeMember(follower.Index);
        }
    }

    [Fact]
    public async Task ACompactedRevisionIsAClearErrorAndALaterOneReportsTheCompaction()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var early = await client.PutAsync("/compact/key", "1");
        var late = await client.PutAsync("/compact/key", "2");
        await client.CompactAsync(late.Header.Revision, physical: true);

        var error = await Assert.ThrowsAsync<EtcdException>(() => HashComparison.CompareAsync(cluster, early.Header.Revision));
        Assert.Equal(EtcdErrorKind.Compacted, error.Kind);
        Assert.Contains($"Revision {early.Header.Revision} has been compacted", error.Message);

        // HashKV refuses the compaction revision itself, though a Range at it still works.
        var boundary = await Assert.ThrowsAsync<EtcdException>(() => HashComparison.CompareAsync(cluster, late.Header.Revision));
        Assert.Equal(EtcdErrorKind.Compacted, boundary.Kind);

        await client.PutAsync("/compact/key", "3");
        var result = await HashComparison.CompareAsync(cluster);
        var hash = Assert.Single(result.Hashes);
        Assert.Equal(late.Header.Revision, hash.CompactRevision);
        Assert.Equal(late.Header.Revision + 1, hash.Revision);
        Assert.True(hash.Matches);
        Assert.False(result.AllMatch); // one member has nobody to agree with
    }
}
