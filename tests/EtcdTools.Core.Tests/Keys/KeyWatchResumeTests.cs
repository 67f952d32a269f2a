using EtcdTools.Client;
using EtcdTools.Keys;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Keys;

/// <summary>
/// A watch whose member is killed carries on at another member from the revision after the last
/// event it delivered: numbered values written before, during and after the kill arrive exactly
/// once, in order. A resumption into compacted history ends with an error, never a silent gap.
/// </summary>
public sealed class KeyWatchResumeTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AWatchWhoseMemberIsKilledKeepsDeliveringEveryEventExactlyOnce()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        var (leader, watched) = await LeaderAndFollowerAsync(sandbox);
        // The watch starts on the follower (first endpoint); writes go to the leader, so the kill costs no election.
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings with { Endpoints = [watched.ClientUrl, .. sandbox.GetClientEndpoints().Where(u => u != watched.ClientUrl)] });
        using var writer = new EtcdClient(sandbox.GetConnectionSettings(leader.Index));
        var prefix = KeyTestData.UniquePrefix();
        const int total = 300;
        var resumptions = new List<KeyWatchResumption>();
        await using var watch = await KeyWatch.StartAsync(cluster, new KeyWatchOptions(KeyRange.ForPrefix(prefix))
        {
            MaxEvents = total,
            Resumed = r => { resumptions.Add(r); return ValueTask.CompletedTask; },
        });
        Assert.Equal(watched.ClientUrl, watch.Endpoint.GetLeftPart(UriPartial.Authority));

        var written = new List<(int Number, long Revision)>();
        var writing = Task.Run(async () =>
        {
            for (var i = 1; i <= total; i++)
            {
                // Two keys take turns, so the events are not all of one key.
                var put = await writer.PutAsync($"{prefix}{i % 2}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                lock (written) written.Add((i, put.Header.Revision));
                if (i == total / 3)
                {
                    // Before the kill, the watch has delivered at least one event from this member.
                    while (watch.EventsDelivered == 0) await Task.Delay(5);
                    sandbox.KillMember(watched.Index);
                }
            }
        });

        var delivered = new List<EtcdWatchEvent>();
        while (await watch.ReadNextAsync().WaitAsync(Generous) is { } batch)
            delivered.AddRange(batch);
        await writing.WaitAsync(Generous);

        Assert.Equal(Enumerable.Range(1, total).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), delivered.Select(e => e.Value));
        Assert.Equal(written.OrderBy(w => w.Number).Select(w => w.Revision), delivered.Select(e => e.ModRevision));
        var resumption = Assert.Single(resumptions);
        Assert.Equal(watched.ClientUrl, resumption.LostEndpoint.GetLeftPart(UriPartial.Authority));
        Assert.NotEqual(watched.ClientUrl, resumption.Endpoint.GetLeftPart(UriPartial.Authority));
        Assert.Equal(1, watch.Resumptions);
        Assert.Equal(resumption.Endpoint, watch.Endpoint);
        // It resumed right after the last event it had delivered from the lost member.
        Assert.Contains(delivered, e => e.ModRevision == resumption.FromRevision);
        Assert.Contains(delivered, e => e.ModRevision == resumption.FromRevision - 1);
        Assert.Equal(KeyWatchEnd.CountReached, watch.EndReason);
        Assert.Equal(delivered[^1].ModRevision, watch.LastRevision);
    }

    [Fact]
    public async Task AResumptionIntoCompactedHistoryEndsWithEventsLostNeverSkipsThemSilently()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        var (leader, watched) = await LeaderAndFollowerAsync(sandbox);
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings with { Endpoints = [watched.ClientUrl, leader.ClientUrl] });
        using var writer = new EtcdClient(sandbox.GetConnectionSettings(leader.Index));
        var prefix = KeyTestData.UniquePrefix();
        await using var watch = await KeyWatch.StartAsync(cluster, new KeyWatchOptions(KeyRange.ForPrefix(prefix)));

        await writer.PutAsync(prefix + "a", "1");
        var first = Assert.Single((await watch.ReadNextAsync().WaitAsync(Generous))!);
        // While the reader is away: its member dies, more is written and compacted.
        sandbox.KillMember(watched.Index);
        await writer.PutAsync(prefix + "a", "2");
        var third = await writer.PutAsync(prefix + "a", "3");
        await writer.CompactAsync(third.Header.Revision, physical: true);

        var error = await Assert.ThrowsAsync<EtcdException>(() => watch.ReadNextAsync().WaitAsync(Generous));
        Assert.Equal(EtcdErrorKind.Compacted, error.Kind);
        Assert.StartsWith("Events were lost:", error.Message);
        Assert.Contains($"resume from revision {first.ModRevision + 1} (the last it delivered was {first.ModRevision})", error.Message);
        Assert.Equal(1, watch.Resumptions);
    }

    [Fact]
    public async Task WhenNoMemberCanTakeOverTheWatchEndsNamingTheRevisionToResumeFrom()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings with { DialTimeout = TimeSpan.FromMilliseconds(500), CommandTimeout = TimeSpan.FromSeconds(1) });
        using var writer = new EtcdClient(sandbox.ConnectionSettings);
        var prefix = KeyTestData.UniquePrefix();
        await using var watch = await KeyWatch.StartAsync(cluster, new KeyWatchOptions(KeyRange.ForPrefix(prefix)) { ResumeTimeout = TimeSpan.FromSeconds(2) });
        var put = await writer.PutAsync(prefix + "a", "1");
        Assert.Single((await watch.ReadNextAsync().WaitAsync(Generous))!);

        sandbox.KillMember(0);
        var error = await Assert.ThrowsAsync<EtcdException>(() => watch.ReadNextAsync().WaitAsync(Generous));
        Assert.Equal(EtcdErrorKind.Unavailable, error.Kind);
        Assert.Contains("no other member took it over within 2s", error.Message);
        Assert.Contains($"Every event up to revision {put.Header.Revision} was delivered: watch again from revision {put.Header.Revision + 1}", error.Message);
    }

    private static async Task<(EtcdSandboxMember Leader, EtcdSandboxMember Follower)> LeaderAndFollowerAsync(EtcdSandbox sandbox)
    {
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var leaderId = (await client.StatusAsync()).Leader;
        EtcdSandboxMember? leader = null, follower = null;
        foreach (var member in sandbox.Members)
        {
            using var own = new EtcdClient(sandbox.GetConnectionSettings(member.Index));
            if ((await own.StatusAsync()).Header.MemberId == leaderId) leader = member;
            else follower ??= member;
        }
        return (leader!, follower!);
    }
}
