using System.Diagnostics;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Keys;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Keys;

/// <summary>Watch-EtcdKey's core: events as they happen, count, duration, cancellation, history.</summary>
[Collection("single-member")]
public sealed class KeyWatchTests(SingleMemberFixture fixture)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    private EtcdConnectionSettings Settings => fixture.Sandbox.ConnectionSettings;

    [Fact]
    public async Task EventsArriveWhileTheWatchGoesOnAndCountEndsIt()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var prefix = KeyTestData.UniquePrefix();
        await using var watch = await KeyWatch.StartAsync(cluster, new KeyWatchOptions(KeyRange.ForPrefix(prefix)) { MaxEvents = 3 });
        await client.PutAsync(prefix.TrimEnd('/') + "-outside", "not watched");

        // One event at a time: each is delivered before the next is even written.
        var first = await client.PutAsync(prefix + "a", "1");
        var batch = await watch.ReadNextAsync().WaitAsync(Generous);
        var put = Assert.Single(batch!);
        Assert.Equal("PUT", put.Type);
        Assert.Equal(prefix + "a", put.Key);
        Assert.Equal("1", put.Value);
        Assert.Equal(first.Header.Revision, put.ModRevision);
        Assert.Equal(1, put.Version);
        Assert.True(watch.StartRevision <= first.Header.Revision);

        await client.DeleteRangeAsync(new() { Key = Google.Protobuf.ByteString.CopyFromUtf8(prefix + "a") });
        var deleted = Assert.Single((await watch.ReadNextAsync().WaitAsync(Generous))!);
        Assert.Equal("DELETE", deleted.Type);
        Assert.Null(deleted.Value);
        Assert.Equal(KeyValueText.None, deleted.ValueEncoding);

        await client.PutAsync(prefix + "b", "2");
        await client.PutAsync(prefix + "c", "3");
        var last = await watch.ReadNextAsync().WaitAsync(Generous);
        Assert.Equal(prefix + "b", Assert.Single(last!).Key);
        Assert.Equal(KeyWatchEnd.CountReached, watch.EndReason);
        Assert.Equal(3, watch.EventsDelivered);
        Assert.Null(await watch.ReadNextAsync());
    }

    [Fact]
    public async Task AStartRevisionReplaysHistoryWithPreviousValues()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var key = KeyTestData.UniquePrefix() + "replayed";
        var v1 = await client.PutAsync(key, "v1");
        await client.PutAsync(key, "v2");
        await client.PutAsync(key, "v3");

        await using var watch = await KeyWatch.StartAsync(cluster,
            new KeyWatchOptions(KeyRange.ForKey(key)) { StartRevision = v1.Header.Revision, PreviousValues = true, MaxEvents = 3 });
        var events = new List<EtcdWatchEvent>();
        await foreach (var change in watch.ReadAllAsync().WithCancellation(CancellationToken.None)) events.Add(change);

        Assert.Equal(["v1", "v2", "v3"], events.Select(e => e.Value));
        Assert.Equal([null, "v1", "v2"], events.Select(e => e.PreviousValue));
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.Version));
        Assert.Equal(v1.Header.Revision, events[0].ModRevision);
        Assert.Equal(events[1].PreviousModRevision, events[0].ModRevision);
    }

    [Fact]
    public async Task TheDurationEndsAnIdleWatchQuietlyAtItsTime()
    {
        using var cluster = new EtcdCluster(Settings);
        var duration = TimeSpan.FromMilliseconds(700);
        await using var watch = await KeyWatch.StartAsync(cluster, new KeyWatchOptions(KeyRange.ForPrefix(KeyTestData.UniquePrefix())) { Duration = duration });
        var clock = Stopwatch.StartNew();
        Assert.Null(await watch.ReadNextAsync().WaitAsync(Generous));
        Assert.Equal(KeyWatchEnd.TimedOut, watch.EndReason);
        Assert.InRange(clock.Elapsed, duration - TimeSpan.FromMilliseconds(50), duration + TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task CancellingEndsAWaitingWatchPromptly()
    {
        using var cluster = new EtcdCluster(Settings);
        using var cancel = new CancellationTokenSource();
        await using var watch = await KeyWatch.StartAsync(cluster, new KeyWatchOptions(KeyRange.ForPrefix(KeyTestData.UniquePrefix())), cancel.Token);
        var reading = watch.ReadNextAsync();
        await Task.Delay(200);
        Assert.False(reading.IsCompleted);
        var clock = Stopwatch.StartNew();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(Generous));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the watch took {clock.Elapsed} to end after cancellation");
    }

    [Fact]
    public async Task SecretsInEventsAreRedacted()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var prefix = $"/registry/secrets/{Guid.NewGuid():N}/";
        await using var watch = await KeyWatch.StartAsync(cluster, new KeyWatchOptions(KeyRange.ForPrefix(prefix)) { PreviousValues = true, MaxEvents = 2 });
        await client.PutAsync(prefix + "token", "first-secret");
        await client.PutAsync(prefix + "token", "second-secret");
        var events = new List<EtcdWatchEvent>();
        await foreach (var change in watch.ReadAllAsync()) events.Add(change);

        Assert.All(events, e => Assert.True(e.IsRedacted));
        Assert.All(events, e => Assert.Null(e.RawValue));
        Assert.Equal("<redacted: 13 bytes>", events[1].Value);
        Assert.Equal("<redacted: 12 bytes>", events[1].PreviousValue);
    }

    [Fact]
    public async Task ACompactedStartRevisionIsAClearError()
    {
        // Compaction is cluster-wide and permanent: a sandbox of its own.
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1 });
        using var cluster = new EtcdCluster(sandbox.ConnectionSettings);
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var early = await client.PutAsync("/history/key", "1");
        await client.PutAsync("/history/key", "2");
        var late = await client.PutAsync("/history/key", "3");
        await client.CompactAsync(late.Header.Revision, physical: true);

        await using var watch = await KeyWatch.StartAsync(cluster, new KeyWatchOptions(KeyRange.ForKey("/history/key")) { StartRevision = early.Header.Revision });
        var error = await Assert.ThrowsAsync<EtcdException>(() => watch.ReadNextAsync().WaitAsync(Generous));
        Assert.Equal(EtcdErrorKind.Compacted, error.Kind);
        Assert.Contains($"revision {early.Header.Revision}", error.Message);
        Assert.Contains("compacted", error.Message);

        // From the compaction revision on, history is still there.
        await using var fromCompaction = await KeyWatch.StartAsync(cluster, new KeyWatchOptions(KeyRange.ForKey("/history/key")) { StartRevision = late.Header.Revision, MaxEvents = 1 });
        Assert.Equal("3", Assert.Single((await fromCompaction.ReadNextAsync().WaitAsync(Generous))!).Value);

        var oldRead = new KeyReader(cluster, new KeyReadOptions(KeyRange.ForKey("/history/key")) { Revision = early.Header.Revision });
        var readError = await Assert.ThrowsAsync<EtcdException>(() => oldRead.ReadNextPageAsync());
        Assert.Equal(EtcdErrorKind.Compacted, readError.Kind);
        Assert.Contains($"Revision {early.Header.Revision} has been compacted", readError.Message);
    }
}
