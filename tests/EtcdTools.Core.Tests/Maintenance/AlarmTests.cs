using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Maintenance;
using EtcdTools.Protocol.Etcdserverpb;
using EtcdTools.Sandbox;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Maintenance;

/// <summary>Alarms raised for real or by request, each on a sandbox of its own (alarms are cluster-wide).</summary>
public sealed class AlarmTests
{
    private const long TinyQuota = 256 * 1024;

    [Fact]
    public async Task ARealNospaceAlarmIsListedItsQuotaReadAndItComesBackAfterAPrematureDisarm()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1, QuotaBackendBytes = TinyQuota });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        Assert.Empty(await EtcdAlarms.ListAsync(cluster));

        await FillUntilNoSpaceAsync(client);

        var alarm = Assert.Single(await EtcdAlarms.ListAsync(cluster));
        var member = (await client.MemberListAsync()).Members.Single();
        Assert.Equal(EtcdAlarms.NoSpace, alarm.Alarm);
        Assert.Equal(MemberId.Format(member.ID), alarm.MemberId);
        Assert.Equal(sandbox.Members[0].Name, alarm.MemberName);
        Assert.Equal(sandbox.Members[0].ClientUrl, alarm.Endpoint);
        var witness = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "alarm", "list");
        Assert.Contains($"memberID:{member.ID} alarm:NOSPACE", witness.StandardOutput);

        // The backend is still over its quota: disarming now would not last.
        var usage = Assert.Single(await EtcdAlarms.ReadBackendUsageAsync(cluster));
        Assert.Null(usage.Error);
        Assert.Equal(TinyQuota, usage.QuotaBytes);
        Assert.True(usage.DbSizeBytes >= TinyQuota, $"db {usage.DbSizeBytes} under quota {TinyQuota}");
        Assert.True(usage.WillRearmNoSpace);

        var cleared = Assert.Single(await EtcdAlarms.DisarmAsync(cluster, alarm));
        Assert.Equal(alarm.MemberId, cleared.MemberId);
        Assert.Equal(EtcdAlarms.NoSpace, cleared.Alarm);
        Assert.Empty(await EtcdAlarms.ListAsync(cluster));
        Assert.Equal("", (await Etcdctl.RunAsync(sandbox.ConnectionSettings, "alarm", "list")).StandardOutput);

        // The next write finds the backend still full and raises the alarm again.
        var again = await Assert.ThrowsAsync<EtcdException>(() => client.PutAsync("/fill/one-more", "x"));
        Assert.Equal(EtcdErrorKind.NoSpace, again.Kind);
        Assert.Equal(EtcdAlarms.NoSpace, Assert.Single(await EtcdAlarms.ListAsync(cluster)).Alarm);

        // Disarming an alarm that is no longer active reports nothing disarmed.
        Assert.Single(await EtcdAlarms.DisarmAsync(cluster, alarm));
        Assert.Empty(await EtcdAlarms.DisarmAsync(cluster, alarm));
    }

    [Fact]
    public async Task AlarmsRaisedOnSeveralMembersAreSelectedByMemberAndKindAndDisarmedOneByOne()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var members = (await client.MemberListAsync()).Members.OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
        await Activate(client, members[0].ID, AlarmType.Nospace);
        await Activate(client, members[1].ID, AlarmType.Nospace);
        await Activate(client, members[1].ID, AlarmType.Corrupt);

        var all = await EtcdAlarms.ListAsync(cluster);
        Assert.Equal(3, all.Count);
        Assert.All(all, a => Assert.Equal(sandbox.Members.Single(m => m.Name == a.MemberName).ClientUrl, a.Endpoint));

        var byName = await EtcdAlarms.SelectAsync(cluster, all, [members[1].Name], null);
        Assert.Equal([EtcdAlarms.Corrupt, EtcdAlarms.NoSpace], byName.Select(a => a.Alarm).Order());
        var byIdAndKind = await EtcdAlarms.SelectAsync(cluster, all, [MemberId.Format(members[1].ID)], [EtcdAlarms.Corrupt]);
        Assert.Equal(EtcdAlarms.Corrupt, Assert.Single(byIdAndKind).Alarm);
        Assert.Equal(2, (await EtcdAlarms.SelectAsync(cluster, all, null, ["nospace"])).Count);
        var unknown = await Assert.ThrowsAsync<EtcdException>(() => EtcdAlarms.SelectAsync(cluster, all, ["no-such-member"], null));
        Assert.Equal(EtcdErrorKind.MemberNotFound, unknown.Kind);

        await EtcdAlarms.DisarmAsync(cluster, byIdAndKind[0]);
        var left = await EtcdAlarms.ListAsync(cluster);
        Assert.Equal(2, left.Count);
        Assert.All(left, a => Assert.Equal(EtcdAlarms.NoSpace, a.Alarm));
        var witness = await Etcdctl.RunAsync(sandbox.ConnectionSettings, "alarm", "list");
        Assert.DoesNotContain("CORRUPT", witness.StandardOutput);
        Assert.Equal(2, witness.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        foreach (var alarm in left) await EtcdAlarms.DisarmAsync(cluster, alarm);
        Assert.Empty(await EtcdAlarms.ListAsync(cluster));
        // Writes work again once no NOSPACE is left.
        await client.PutAsync("/after/disarm", "ok");
    }

    [Fact]
    public async Task BackendUsageIsReadOverTlsWithTheClientCertificate()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1, Tls = true, QuotaBackendBytes = 64L * 1024 * 1024 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        var usage = Assert.Single(await EtcdAlarms.ReadBackendUsageAsync(cluster));
        Assert.Null(usage.Error);
        Assert.Equal(64L * 1024 * 1024, usage.QuotaBytes);
        Assert.InRange(usage.DbSizeBytes!.Value, 1, 64L * 1024 * 1024);
        Assert.False(usage.WillRearmNoSpace);
    }

    private static async Task FillUntilNoSpaceAsync(EtcdClient client)
    {
        var value = ByteString.CopyFrom(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8 * 1024));
        for (var i = 0; i < 1000; i++)
        {
            try
            {
                await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"/fill/{i}"), Value = value });
            }
            catch (EtcdException e) when (e.Kind == EtcdErrorKind.NoSpace)
            {
                return;
            }
        }
        Assert.Fail("1000 writes of 8 KiB never exceeded a 256 KiB quota.");
    }

    private static Task<AlarmResponse> Activate(EtcdClient client, ulong memberId, AlarmType alarm) =>
        client.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = memberId, Alarm = alarm });
}
