using EtcdTools.Client;
using EtcdTools.Protocol.Etcdserverpb;
using EtcdTools.Sandbox;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Maintenance;

/// <summary>Data that gives maintenance something to do: fragmented backends, large ones, full ones.</summary>
internal static class MaintenanceTestData
{
    /// <summary>Writes <paramref name="count"/> keys of <paramref name="valueBytes"/> random bytes under <paramref name="prefix"/>, several at once.</summary>
    public static async Task WriteAsync(EtcdClient client, string prefix, int count, int valueBytes, int parallelism = 8)
    {
        var value = ByteString.CopyFrom(System.Security.Cryptography.RandomNumberGenerator.GetBytes(valueBytes));
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, ct) =>
            await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"{prefix}{i:d6}"), Value = value }, TimeSpan.FromSeconds(30), ct));
    }

    /// <summary>
    /// Leaves every member's backend mostly free pages: writes about <paramref name="megabytes"/> MiB,
    /// deletes it, compacts it away and waits until every member has freed the pages (a physical
    /// compaction waits for the member that took it only).
    /// </summary>
    public static async Task FragmentAsync(EtcdSandbox sandbox, int megabytes)
    {
        const int valueBytes = 8 * 1024;
        using var client = new EtcdClient(sandbox.ConnectionSettings);
        var prefix = $"/fragment/{Guid.NewGuid():N}/";
        await WriteAsync(client, prefix, megabytes * 1024 * 1024 / valueBytes, valueBytes);
        var range = EtcdTools.Keys.KeyRange.ForPrefix(prefix);
        var deleted = await client.DeleteRangeAsync(new DeleteRangeRequest { Key = range.Key, RangeEnd = range.RangeEnd });
        await client.CompactAsync(deleted.Header.Revision, physical: true, TimeSpan.FromMinutes(1));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        foreach (var member in sandbox.Members)
        {
            using var own = new EtcdClient(sandbox.GetConnectionSettings(member.Index));
            while (true)
            {
                var status = await own.StatusAsync();
                if (status.DbSizeInUse * 2 < status.DbSize) break;
                Assert.True(DateTime.UtcNow < deadline, $"{member.Name} still uses {status.DbSizeInUse} of {status.DbSize} bytes after the compaction");
                // A backend recounts what is in use when it commits, and commits only with writes pending.
                await client.PutAsync(prefix + "tick", "commit");
                await Task.Delay(100);
            }
        }
    }
}
