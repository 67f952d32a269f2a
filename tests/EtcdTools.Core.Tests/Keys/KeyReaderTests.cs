using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Keys;

namespace EtcdTools.Core.Tests.Keys;

/// <summary>Paged, consistent reads of real etcd (Get-EtcdKey), each test under its own prefix.</summary>
[Collection("single-member")]
public sealed class KeyReaderTests(SingleMemberFixture fixture)
{
    private EtcdConnectionSettings Settings => fixture.Sandbox.ConnectionSettings;

    [Fact]
    public async Task AdaptivePagesAreSizedByBytesAndStillReturnEveryKeyOnceInOrder()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var prefix = KeyTestData.UniquePrefix();
        var keys = await KeyTestData.PutManyAsync(client, prefix, 2500);
        var bytesPerKey = System.Text.Encoding.UTF8.GetByteCount(keys[0]) + "v0".Length;

        // About 40 keys' worth of bytes a page: the first page is the default 1,000 keys, the rest shrink.
        var small = new KeyReader(cluster, new KeyReadOptions(KeyRange.ForPrefix(prefix)) { PageBytes = 40 * bytesPerKey });
        var smallRead = new List<EtcdKeyValue>();
        while (!small.IsComplete) smallRead.AddRange(await small.ReadNextPageAsync());
        // Room for every key at once: after the first page, one page takes the remaining 1,500.
        var large = new KeyReader(cluster, new KeyReadOptions(KeyRange.ForPrefix(prefix)) { PageBytes = 1 << 20 });
        var largeRead = new List<EtcdKeyValue>();
        while (!large.IsComplete) largeRead.AddRange(await large.ReadNextPageAsync());

        Assert.Equal(keys, smallRead.Select(k => k.Key));
        Assert.InRange(small.PagesRead, 1 + 1500 / 50, 1 + 1500 / 30);
        Assert.Equal(keys, largeRead.Select(k => k.Key));
        Assert.Equal(2, large.PagesRead);
    }

    [Fact]
    public async Task PagingReturnsEveryKeyOnceInOrderAtTheFirstPagesRevisionWhileTheRangeIsWritten()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var prefix = KeyTestData.UniquePrefix();
        var keys = await KeyTestData.PutManyAsync(client, prefix, 2500);

        var reader = new KeyReader(cluster, new KeyReadOptions(KeyRange.ForPrefix(prefix)) { PageSize = 1000 });
        var read = new List<EtcdKeyValue>(await reader.ReadNextPageAsync());
        var revision = reader.Revision;

        // Writes during the listing: new keys before and after the cursor, existing keys changed, keys deleted.
        using var stop = new CancellationTokenSource();
        var written = 0;
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await client.PutAsync($"{prefix}a-new-{i:D5}", "early");
                await client.PutAsync($"{prefix}z-new-{i:D5}", "late");
                await client.PutAsync(keys[1000 + i % 1500], "changed");
                if (i % 10 == 0) await client.DeleteRangeAsync(new() { Key = Google.Protobuf.ByteString.CopyFromUtf8(keys[2000 + i % 500]) });
                Interlocked.Increment(ref written);
            }
        });
        while (Volatile.Read(ref written) < 20) await Task.Delay(10);
        while (!reader.IsComplete)
        {
            read.AddRange(await reader.ReadNextPageAsync());
            while (Volatile.Read(ref written) < 20 * (reader.PagesRead)) await Task.Delay(10);
        }
        stop.Cancel();
        await writer;

        Assert.Equal(3, reader.PagesRead);
        Assert.Equal(2500, reader.TotalCount);
        Assert.Equal(keys, read.Select(k => k.Key));
        Assert.All(read, (kv, i) =>
        {
            Assert.True(kv.ModRevision <= revision, $"{kv.Key} has mod revision {kv.ModRevision}, after the listing's {revision}");
            Assert.Equal($"v{i}", kv.Value);
        });
        // The witness: etcdctl counts the same at that revision, and more now.
        Assert.Equal(2500, await KeyTestData.EtcdctlCountAsync(Settings, prefix, revision));
        Assert.True(await KeyTestData.EtcdctlCountAsync(Settings, prefix) > 2500);
    }

    [Fact]
    public async Task ReadAllStreamsEveryPageAndLimitStopsMidPage()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var prefix = KeyTestData.UniquePrefix();
        var keys = await KeyTestData.PutManyAsync(client, prefix, 1203);

        var all = new KeyReader(cluster, new KeyReadOptions(KeyRange.ForPrefix(prefix)) { PageSize = 100 });
        var seen = new List<string>();
        await foreach (var kv in all.ReadAllAsync()) seen.Add(kv.Key);
        Assert.Equal(keys, seen);
        Assert.Equal(13, all.PagesRead);

        var limited = new KeyReader(cluster, new KeyReadOptions(KeyRange.ForPrefix(prefix)) { PageSize = 100, Limit = 250 });
        var first250 = new List<string>();
        await foreach (var kv in limited.ReadAllAsync()) first250.Add(kv.Key);
        Assert.Equal(keys.Take(250), first250);
        Assert.Equal(3, limited.PagesRead); // 100 + 100 + 50: the last page asks only for what is left
        Assert.Equal(1203, limited.TotalCount);
    }

    [Fact]
    public async Task CountOnlyMatchesEtcdctlAndSendsNoKeys()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var prefix = KeyTestData.UniquePrefix();
        await KeyTestData.PutManyAsync(client, prefix, 321);
        await client.PutAsync(prefix.TrimEnd('/') + "-sibling", "outside the prefix");

        var count = await KeyReader.CountAsync(cluster, KeyRange.ForPrefix(prefix));
        Assert.Equal(321, count.Count);
        Assert.Equal(321, await KeyTestData.EtcdctlCountAsync(Settings, prefix, count.Revision));
        Assert.Equal(1, (await KeyReader.CountAsync(cluster, KeyRange.ForKey(prefix + "k00007"))).Count);
        Assert.Equal(0, (await KeyReader.CountAsync(cluster, KeyRange.ForKey(prefix + "missing"))).Count);
    }

    [Fact]
    public async Task TheEmptyPrefixIsTheWholeKeyspace()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var prefix = KeyTestData.UniquePrefix();
        await KeyTestData.PutManyAsync(client, prefix, 5);

        var whole = await KeyReader.CountAsync(cluster, KeyRange.ForPrefix(""));
        Assert.True(KeyRange.ForPrefix("").IsWholeKeyspace);
        Assert.True(whole.Count >= 5);
        Assert.Equal(await KeyTestData.EtcdctlCountAsync(Settings, "", whole.Revision), whole.Count);

        var reader = new KeyReader(cluster, new KeyReadOptions(KeyRange.ForPrefix("")) { Revision = whole.Revision, KeysOnly = true, PageSize = 500 });
        var all = new List<string>();
        await foreach (var kv in reader.ReadAllAsync()) all.Add(kv.Key);
        Assert.Equal(whole.Count, all.Count);
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
        Assert.Contains(prefix + "k00004", all);
    }

    [Fact]
    public async Task KeysOnlyReadsMetadataWithoutValues()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var prefix = KeyTestData.UniquePrefix();
        await client.PutAsync(prefix + "a", "first");
        await client.PutAsync(prefix + "a", "second");

        var reader = new KeyReader(cluster, new KeyReadOptions(KeyRange.ForPrefix(prefix)) { KeysOnly = true });
        var kv = Assert.Single(await reader.ReadNextPageAsync());
        Assert.Equal(prefix + "a", kv.Key);
        Assert.Null(kv.Value);
        Assert.Null(kv.RawValue);
        Assert.Null(kv.ValueBytes);
        Assert.Equal(KeyValueText.None, kv.ValueEncoding);
        Assert.Equal(2, kv.Version);
        var witness = await KeyTestData.EtcdctlGetAsync(Settings, prefix + "a");
        Assert.Equal(witness!.Value.ModRevision, kv.ModRevision);
        Assert.Equal(witness.Value.CreateRevision, kv.CreateRevision);
    }

    [Fact]
    public async Task ARevisionReadShowsTheKeyspaceAsItWas()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var prefix = KeyTestData.UniquePrefix();
        var first = await client.PutAsync(prefix + "key", "old");
        await client.PutAsync(prefix + "key", "new");
        await client.PutAsync(prefix + "later", "x");
        await client.DeleteRangeAsync(new() { Key = Google.Protobuf.ByteString.CopyFromUtf8(prefix + "key") });

        var then = new KeyReader(cluster, new KeyReadOptions(KeyRange.ForPrefix(prefix)) { Revision = first.Header.Revision });
        var page = await then.ReadNextPageAsync();
        var old = Assert.Single(page);
        Assert.Equal("old", old.Value);
        Assert.Equal(1, old.Version);
        Assert.Equal(first.Header.Revision, then.Revision);

        var now = new KeyReader(cluster, new KeyReadOptions(KeyRange.ForKey(prefix + "key")));
        Assert.Empty(await now.ReadNextPageAsync());
        Assert.True(now.IsComplete);

        var future = new KeyReader(cluster, new KeyReadOptions(KeyRange.ForKey(prefix + "key")) { Revision = long.MaxValue / 2 });
        var error = await Assert.ThrowsAsync<EtcdException>(() => future.ReadNextPageAsync());
        Assert.Contains("future revision", error.Message);
    }

    [Fact]
    public async Task SecretsAreRedactedUnlessAskedFor()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var id = Guid.NewGuid().ToString("N");
        var secret = $"/registry/secrets/{id}/db-password";
        var openShiftSecret = $"/kubernetes.io/secrets/{id}/token";
        var configMap = $"/registry/configmaps/{id}/settings";
        await client.PutAsync(secret, "hunter2");
        await client.PutAsync(openShiftSecret, "k8s:enc:aescbc:v1:key1:opaque");
        await client.PutAsync(configMap, "plain");

        async Task<EtcdKeyValue> Read(string key, bool show) =>
            Assert.Single(await new KeyReader(cluster, new KeyReadOptions(KeyRange.ForKey(key)) { ShowSecrets = show }).ReadNextPageAsync());

        var hidden = await Read(secret, show: false);
        Assert.True(hidden.IsRedacted);
        Assert.Equal("<redacted: 7 bytes>", hidden.Value);
        Assert.Equal(KeyValueText.Redacted, hidden.ValueEncoding);
        Assert.Null(hidden.RawValue);
        Assert.Equal(7, hidden.ValueBytes);
        Assert.True((await Read(openShiftSecret, show: false)).IsRedacted);
        Assert.False((await Read(configMap, show: false)).IsRedacted);

        var shown = await Read(secret, show: true);
        Assert.False(shown.IsRedacted);
        Assert.Equal("hunter2", shown.Value);
        Assert.Equal("hunter2"u8.ToArray(), shown.RawValue);

        Assert.True(SecretKeys.IsSecret("/registry/secrets/ns/name"));
        Assert.False(SecretKeys.IsSecret("/registry/secretsbackup/x"));
        Assert.False(SecretKeys.IsSecret("/app/config/secrets/x"));
        Assert.False(SecretKeys.IsSecret("registry/secrets/x"));
    }

    [Fact]
    public async Task ValuesThatAreNotPrintableUtf8AreShownAsBase64AndKeepTheirBytes()
    {
        using var cluster = new EtcdCluster(Settings);
        using var client = new EtcdClient(Settings);
        var prefix = KeyTestData.UniquePrefix();
        byte[] binary = [0xff, 0xfe, 0x00, 0x41, 0x80];
        byte[] kubernetesProtobuf = [.. "k8s\0\n"u8, 0x0a, 0x02, 0x76, 0x31];
        var multiline = "line one\n\tline two ünïcödé ✓";
        await KeyTestData.PutBytesAsync(client, prefix + "binary", binary);
        await KeyTestData.PutBytesAsync(client, prefix + "k8s", kubernetesProtobuf);
        await client.PutAsync(prefix + "text", multiline);
        await client.PutAsync(prefix + "empty", "");

        var read = (await new KeyReader(cluster, new KeyReadOptions(KeyRange.ForPrefix(prefix))).ReadNextPageAsync()).ToDictionary(k => k.Key[prefix.Length..]);

        Assert.Equal(KeyValueText.Base64, read["binary"].ValueEncoding);
        Assert.Equal("base64:" + Convert.ToBase64String(binary), read["binary"].Value);
        Assert.Equal(binary, read["binary"].RawValue);
        Assert.Equal(5, read["binary"].ValueBytes);
        Assert.Equal(binary, (await KeyTestData.EtcdctlGetAsync(Settings, prefix + "binary"))!.Value.Value);

        // Valid UTF-8 but with NUL: not text a terminal should get.
        Assert.Equal(KeyValueText.Base64, read["k8s"].ValueEncoding);
        Assert.Equal(kubernetesProtobuf, Convert.FromBase64String(read["k8s"].Value!["base64:".Length..]));

        Assert.Equal(KeyValueText.Utf8, read["text"].ValueEncoding);
        Assert.Equal(multiline, read["text"].Value);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(multiline), read["text"].ValueBytes);

        Assert.Equal(KeyValueText.Utf8, read["empty"].ValueEncoding);
        Assert.Equal("", read["empty"].Value);
        Assert.Equal(0, read["empty"].ValueBytes);
    }

    [Theory]
    [InlineData(new byte[] { 0x2f, 0x61 }, new byte[] { 0x2f, 0x62 })]
    [InlineData(new byte[] { 0x61, 0xff }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0xff, 0xff }, new byte[] { 0x00 })]
    public void PrefixEndIsTheFirstKeyAfterThePrefix(byte[] prefix, byte[] expected) =>
        Assert.Equal(expected, KeyRange.PrefixEnd(prefix));

    [Fact]
    public void AnEmptyKeyIsRefusedButAnEmptyPrefixIsTheWholeKeyspace()
    {
        Assert.Throws<ArgumentException>(() => KeyRange.ForKey(""));
        var whole = KeyRange.ForPrefix("");
        Assert.Equal(new byte[] { 0 }, whole.Key.ToByteArray());
        Assert.Equal(new byte[] { 0 }, whole.RangeEnd.ToByteArray());
        Assert.Equal("the whole keyspace", whole.Describe());
    }
}
