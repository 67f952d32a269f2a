using System.Diagnostics;
using System.Security.Cryptography;
using Xunit.Abstractions;
using EtcdTools.Client;
using EtcdTools.Health;
using EtcdTools.Protocol.Etcdserverpb;
using EtcdTools.Sandbox;
using static EtcdTools.Core.Tests.Health.HealthTestHelpers;

namespace EtcdTools.Core.Tests.Health;

/// <summary>Runs the timing-sensitive fault tests one after another rather than beside each other.</summary>
[CollectionDefinition("health-faults")]
public sealed class HealthFaultGroup;

/// <summary>Damaged clusters: each test starts its own sandbox and disposes it.</summary>
[Collection("health-faults")]
public sealed class HealthFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task StoppedMemberIsUnhealthyWhileTheOthersReportAndFaultToleranceIsLost()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        var stopped = await FollowerIndexAsync(sandbox);
        var stoppedName = sandbox.Members[stopped].Name;
        await sandbox.StopMemberAsync(stopped);

        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var health = await HealthAsync(cluster);

        Assert.Equal(3, health.Count);
        var down = Assert.Single(health, r => !r.Report.Healthy);
        Assert.Equal(stoppedName, down.Report.Name);
        Assert.Equal(EtcdErrorKind.Unavailable, down.Error!.Kind);
        Assert.Contains("refused", down.Report.Error);
        Assert.All(health.Where(r => r != down), r => Assert.True(r.Report.Healthy, r.Report.Error));

        var inventory = await InventoryAsync(cluster);
        var missing = Assert.Single(inventory, r => r.Error is not null);
        Assert.Equal(stoppedName, missing.Report.Name);
        Assert.Null(missing.Report.DbSizeBytes);
        Assert.Null(missing.Report.Version);
        Assert.Contains("refused", missing.Report.Errors);
        Assert.Equal(sandbox.Members[stopped].PeerUrl, missing.Report.PeerUrls);
        Assert.Single(inventory, r => r.Report.IsLeader);

        var results = EtcdClusterChecks.Evaluate(await EtcdClusterInspector.InspectAsync(cluster));
        Assert.Equal(EtcdCheckStatus.Pass, Single(results, EtcdClusterChecks.Quorum).Status);
        var tolerance = Single(results, EtcdClusterChecks.FaultTolerance);
        Assert.Equal(EtcdCheckStatus.Warn, tolerance.Status);
        Assert.Contains(stoppedName, tolerance.Message);
        Assert.Equal(EtcdCheckStatus.Fail, Single(results, EtcdClusterChecks.MemberHealth, stoppedName).Status);
        Assert.Equal(EtcdCheckStatus.Pass, Single(results, EtcdClusterChecks.Leader).Status);
        // What could not be read is said, not passed.
        var lag = Single(results, EtcdClusterChecks.AppliedIndexLag, stoppedName);
        Assert.Equal(EtcdCheckStatus.Warn, lag.Status);
        Assert.StartsWith("Could not be evaluated", lag.Message);
        Assert.False(EtcdClusterChecks.AllPassed(results));
    }

    [Fact]
    public async Task HungMemberCostsOneTimeoutAndIsReportedAsATimeout()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        var hung = await FollowerIndexAsync(sandbox);
        var hungName = sandbox.Members[hung].Name;
        var timeout = TimeSpan.FromSeconds(2);
        // Margin for a loaded 2-core test machine; far below the 2 x timeout a sequential probe would take.
        var margin = TimeSpan.FromSeconds(1.5);
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings with { CommandTimeout = timeout });
        var list = await ListMembersAsync(cluster);
        sandbox.SuspendMember(hung);
        try
        {
            var watch = Stopwatch.StartNew();
            var health = await HealthAsync(cluster, list.Members, timeout);
            var healthTook = watch.Elapsed;

            output.WriteLine($"health of 3 members, 1 hung, timeout {timeout.TotalSeconds} s: {healthTook.TotalMilliseconds:0} ms");
            Assert.True(healthTook < timeout + margin, $"health took {healthTook}");
            var stuck = Assert.Single(health, r => !r.Report.Healthy);
            Assert.Equal(hungName, stuck.Report.Name);
            Assert.Equal(EtcdErrorKind.Timeout, stuck.Error!.Kind);
            Assert.InRange(stuck.Report.TookMs, timeout.TotalMilliseconds * 0.9, (timeout + margin).TotalMilliseconds);
            Assert.All(health.Where(r => r != stuck), r => Assert.True(r.Report.Healthy, r.Report.Error));
            // The healthy ones were not held back by the hung one.
            Assert.All(health.Where(r => r != stuck), r => Assert.True(r.Report.TookMs < timeout.TotalMilliseconds / 2, $"{r.Report.Name} took {r.Report.TookMs} ms"));

            watch.Restart();
            var inventory = await InventoryAsync(cluster, timeout);
            output.WriteLine($"inventory with 1 hung: {watch.Elapsed.TotalMilliseconds:0} ms");
            Assert.True(watch.Elapsed < timeout + margin, $"inventory took {watch.Elapsed}");
            var silent = Assert.Single(inventory, r => r.Error is not null);
            Assert.Equal(hungName, silent.Report.Name);
            Assert.Equal(EtcdErrorKind.Timeout, silent.Error!.Kind);
            Assert.Equal(2, inventory.Count(r => r.Report.Version == "3.4.23"));

            watch.Restart();
            var results = EtcdClusterChecks.Evaluate(await EtcdClusterInspector.InspectAsync(cluster, timeout));
            output.WriteLine($"inspection with 1 hung: {watch.Elapsed.TotalMilliseconds:0} ms");
            Assert.True(watch.Elapsed < timeout + margin, $"inspection took {watch.Elapsed}");
            Assert.Equal(EtcdCheckStatus.Pass, Single(results, EtcdClusterChecks.Quorum).Status);
            Assert.Equal(EtcdCheckStatus.Warn, Single(results, EtcdClusterChecks.FaultTolerance).Status);
            Assert.Contains("did not answer within", Single(results, EtcdClusterChecks.MemberHealth, hungName).Message);

            // A hung endpoint listed first does not delay discovery either.
            var hungFirst = sandbox.ConnectionSettings with { Endpoints = [sandbox.Members[hung].ClientUrl, .. sandbox.GetClientEndpoints()], CommandTimeout = timeout };
            using var hungFirstCluster = new EtcdCluster(hungFirst);
            watch.Restart();
            var discovery = await MemberDiscovery.DiscoverAsync(hungFirstCluster);
            Assert.True(discovery.Succeeded);
            output.WriteLine($"discovery with the hung endpoint first: {watch.Elapsed.TotalMilliseconds:0} ms");
            Assert.True(watch.Elapsed < timeout / 2, $"discovery took {watch.Elapsed}");
        }
        finally
        {
            sandbox.ResumeMember(hung);
        }
    }

    [Fact]
    public async Task NospaceMakesTheMemberUnhealthyUntilCompactDefragAndDisarm()
    {
        const long quota = 1024 * 1024;
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { QuotaBackendBytes = quota });
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);

        // History of one key fills the backend: exactly what compaction can give back.
        var value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(75_000));
        EtcdException? full = null;
        var puts = 0;
        for (; puts < 100 && full is null; puts++)
        {
            try { await client.PutAsync("/filler", value); }
            catch (EtcdException e) { full = e; }
            // etcd weighs a put against the database file's size, which grows only when the backend
            // commits its batch (every 100 ms): on a fast machine 100 puts could all land before that.
            await Task.Delay(25);
        }
        Assert.NotNull(full);
        output.WriteLine($"NOSPACE at put {puts}: {full.Message}");
        Assert.Equal(EtcdErrorKind.NoSpace, full.Kind);
        Assert.Contains("etcdserver: mvcc: database space exceeded", full.Message);

        var unhealthy = Assert.Single(await HealthAsync(cluster));
        Assert.False(unhealthy.Report.Healthy);
        Assert.Equal("NOSPACE", unhealthy.Report.Alarms);
        Assert.Contains("NOSPACE", unhealthy.Report.Error);
        Assert.Equal(EtcdErrorKind.NoSpace, unhealthy.Error!.Kind);

        var member = Assert.Single(await InventoryAsync(cluster)).Report;
        Assert.Equal("NOSPACE", member.Alarms);
        Assert.Contains("alarm:NOSPACE", member.Errors);
        Assert.Equal(quota, member.QuotaBytes);
        Assert.True(member.DbSizeBytes >= quota * 9 / 10, $"db {member.DbSizeBytes}");

        var results = EtcdClusterChecks.Evaluate(await EtcdClusterInspector.InspectAsync(cluster));
        var alarms = Single(results, EtcdClusterChecks.Alarms);
        Assert.Equal(EtcdCheckStatus.Fail, alarms.Status);
        Assert.Contains("NOSPACE", alarms.Value);
        Assert.Contains("Repair-EtcdQuota", alarms.Recommendation);
        Assert.Equal(EtcdCheckStatus.Fail, Single(results, EtcdClusterChecks.DbQuota).Status);
        // An alarm does not take the member out of quorum: it still serves reads.
        Assert.Equal(EtcdCheckStatus.Pass, Single(results, EtcdClusterChecks.Quorum).Status);

        // The recovery etcd documents: compact to the current revision, defragment, disarm.
        var revision = (await client.GetAsync("/filler")).Header.Revision;
        await client.CompactAsync(revision, physical: true);
        await client.DefragmentAsync(TimeSpan.FromSeconds(30));
        await client.AlarmDisarmAsync(Convert.ToUInt64(member.MemberId, 16), AlarmType.Nospace);

        var healthy = Assert.Single(await HealthAsync(cluster));
        Assert.True(healthy.Report.Healthy, healthy.Report.Error);
        Assert.Equal("", healthy.Report.Alarms);
        await client.PutAsync("/after-recovery", "written");
        Assert.Equal("written", (await client.GetAsync("/after-recovery")).Kvs[0].Value.ToStringUtf8());
        var recovered = EtcdClusterChecks.Evaluate(await EtcdClusterInspector.InspectAsync(cluster));
        Assert.Equal(EtcdCheckStatus.Pass, Single(recovered, EtcdClusterChecks.Alarms).Status);
        Assert.NotEqual(EtcdCheckStatus.Fail, Single(recovered, EtcdClusterChecks.DbQuota).Status);
    }

    [Fact]
    public async Task WrongPasswordFailsAuthenticationQuicklyOnEveryMember()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        const string password = "correct horse battery staple";
        using (var admin = new EtcdClient(sandbox.ConnectionSettings))
        {
            await admin.UserAddAsync("root", password);
            await admin.RoleAddAsync("root");
            await admin.UserGrantRoleAsync("root", "root");
            await admin.AuthEnableAsync();
        }

        using var right = new EtcdCluster(sandbox.ConnectionSettings with { Username = "root", Password = password });
        var members = (await ListMembersAsync(right)).Members;
        using var wrong = new EtcdCluster(sandbox.ConnectionSettings with { Username = "root", Password = "wrong" });
        var watch = Stopwatch.StartNew();
        var report = Assert.Single(await HealthAsync(wrong, members));
        output.WriteLine($"wrong password: {watch.Elapsed.TotalMilliseconds:0} ms: {report.Report.Error}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
        Assert.False(report.Report.Healthy);
        Assert.Equal(EtcdErrorKind.AuthenticationFailed, report.Error!.Kind);
        Assert.Contains("authentication failed", report.Report.Error);

        var results = EtcdClusterChecks.Evaluate(await EtcdClusterInspector.InspectAsync(wrong));
        var connection = Single(results, EtcdClusterChecks.Connection);
        Assert.Equal(EtcdCheckStatus.Fail, connection.Status);
        Assert.Contains("password", connection.Recommendation);

        Assert.True(Assert.Single(await HealthAsync(right)).Report.Healthy);
    }
}
