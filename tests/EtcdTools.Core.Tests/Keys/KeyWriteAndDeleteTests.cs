using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Keys;

namespace EtcdTools.Core.Tests.Keys;

/// <summary>Set-EtcdKey and Remove-EtcdKey's core against real etcd, checked with etcdctl.</summary>
[Collection("single-member")]
public sealed class KeyWriteAndDeleteTests(SingleMemberFixture fixture)
{
    private EtcdConnectionSettings Settings => fixture.Sandbox.ConnectionSettings;

    [Fact]
    public async Task PutReportsTheStoredRevisionsAndVersionAsEtcdctlSeesThem()
    {
        using var cluster = new EtcdCluster(Settings);
        var key = KeyTestData.UniquePrefix() + "config";

        var created = await KeyWriter.PutAsync(cluster, key, KeyTestData.Utf8("one"));
        Assert.Equal(1, created.Version);
        Assert.Equal(created.ModRevision, created.CreateRevision);

        var updated = await KeyWriter.PutAsync(cluster, key, KeyTestData.Utf8("two"));
        var witness = (await KeyTestData.EtcdctlGetAsync(Settings, key))!.Value;
        Assert.Equal(2, updated.Version);
        Assert.Equal(witness.Version, updated.Version);
        Assert.Equal(witness.CreateRevision, updated.CreateRevision);
        Assert.Equal(witness.ModRevision, updated.ModRevision);
        Assert.Equal(created.CreateRevision, updated.CreateRevision);
        Assert.Equal("two", updated.Value);
        Assert.Equal("two"u8.ToArray(), witness.Value);
    }

    [Fact]
    public async Task PutWithALeaseAttachesTheKeyToIt()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var key = KeyTestData.UniquePrefix() + "leased";
        var lease = await client.LeaseGrantAsync(60);
        try
        {
            var stored = await KeyWriter.PutAsync(cluster, key, KeyTestData.Utf8("x"), lease.ID);
            Assert.Equal(LeaseId.Format(lease.ID), stored.Lease);
            Assert.Equal(lease.ID, (await KeyTestData.EtcdctlGetAsync(Settings, key))!.Value.Lease);
            var read = Assert.Single(await new KeyReader(cluster, new KeyReadOptions(KeyRange.ForKey(key))).ReadNextPageAsync());
            Assert.Equal(stored.Lease, read.Lease);
            Assert.Equal(lease.ID, LeaseId.Parse(read.Lease!));
        }
        finally
        {
            await client.LeaseRevokeAsync(lease.ID);
        }
        Assert.Null(await KeyTestData.EtcdctlGetAsync(Settings, key));
    }

    [Fact]
    public async Task PuttingToALeaseThatDoesNotExistFailsAndWritesNothing()
    {
        using var cluster = new EtcdCluster(Settings);
        var key = KeyTestData.UniquePrefix() + "orphan";
        var error = await Assert.ThrowsAsync<EtcdException>(() => KeyWriter.PutAsync(cluster, key, KeyTestData.Utf8("x"), 0x7fff_0000_0000_0001));
        Assert.Contains("lease not found", error.Message);
        Assert.Null(await KeyTestData.EtcdctlGetAsync(Settings, key));
    }

    [Fact]
    public async Task DeletingAPrefixDeletesExactlyTheKeysCountedAndNothingBesideIt()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var root = KeyTestData.UniquePrefix();
        var prefix = root + "app/";
        await KeyTestData.PutManyAsync(client, prefix, 1200);
        await client.PutAsync(root + "app", "the prefix without its slash");
        await client.PutAsync(root + "app0", "a sibling sorting right after the prefix");

        var range = KeyRange.ForPrefix(prefix);
        var count = await KeyReader.CountAsync(cluster, range);
        Assert.Equal(1200, count.Count);

        var result = await KeyDeletion.DeleteAsync(cluster, range, count.Revision);
        Assert.True(result.Applied);
        Assert.Equal(1200, result.Deleted);
        Assert.Equal(0, await KeyTestData.EtcdctlCountAsync(Settings, prefix));
        Assert.Equal(2, await KeyTestData.EtcdctlCountAsync(Settings, root));
    }

    [Fact]
    public async Task AGuardedDeleteLeavesARangeAloneWhenAKeyWasWrittenAfterTheCount()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var prefix = KeyTestData.UniquePrefix();
        await KeyTestData.PutManyAsync(client, prefix, 50);
        var range = KeyRange.ForPrefix(prefix);
        var count = await KeyReader.CountAsync(cluster, range);

        await client.PutAsync(prefix + "arrived-after-the-count", "x");
        var refused = await KeyDeletion.DeleteAsync(cluster, range, count.Revision);
        Assert.False(refused.Applied);
        Assert.Equal(0, refused.Deleted);
        Assert.Equal(51, await KeyTestData.EtcdctlCountAsync(Settings, prefix));

        // Modifying a counted key is a change too.
        var recount = await KeyReader.CountAsync(cluster, range);
        await client.PutAsync(prefix + "k00003", "modified");
        Assert.False((await KeyDeletion.DeleteAsync(cluster, range, recount.Revision)).Applied);

        // Without the guard (-Force), whatever the range holds goes.
        var forced = await KeyDeletion.DeleteAsync(cluster, range);
        Assert.True(forced.Applied);
        Assert.Equal(51, forced.Deleted);
    }

    [Fact]
    public async Task AGuardedDeleteStillRunsWhenKeysWereOnlyDeletedAfterTheCount()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var prefix = KeyTestData.UniquePrefix();
        await KeyTestData.PutManyAsync(client, prefix, 10);
        var range = KeyRange.ForPrefix(prefix);
        var count = await KeyReader.CountAsync(cluster, range);
        await client.DeleteRangeAsync(new() { Key = Google.Protobuf.ByteString.CopyFromUtf8(prefix + "k00000") });

        var result = await KeyDeletion.DeleteAsync(cluster, range, count.Revision);
        Assert.True(result.Applied);
        Assert.Equal(9, result.Deleted);
    }

    [Fact]
    public async Task DeletingOneKeyDeletesOnlyThatKey()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var prefix = KeyTestData.UniquePrefix();
        await client.PutAsync(prefix + "a", "1");
        await client.PutAsync(prefix + "ab", "2");
        var range = KeyRange.ForKey(prefix + "a");
        var count = await KeyReader.CountAsync(cluster, range);
        Assert.Equal(1, count.Count);

        var result = await KeyDeletion.DeleteAsync(cluster, range, count.Revision);
        Assert.Equal(1, result.Deleted);
        Assert.Null(await KeyTestData.EtcdctlGetAsync(Settings, prefix + "a"));
        Assert.NotNull(await KeyTestData.EtcdctlGetAsync(Settings, prefix + "ab"));
    }
}
