using System.Text;
using System.Text.Json;
using EtcdTools.Client;
using EtcdTools.Core.Tests.Fixtures;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Keys;

/// <summary>Helpers for key tests: a prefix of the test's own, bulk writes, and etcdctl's view of a key.</summary>
internal static class KeyTestData
{
    /// <summary>A prefix no other test uses: "/test/&lt;guid&gt;/".</summary>
    public static string UniquePrefix(string area = "test") => $"/{area}/{Guid.NewGuid():N}/";

    /// <summary>Writes "&lt;prefix&gt;k00000".."k&lt;count-1&gt;" (value "v&lt;i&gt;") with some concurrency; returns the keys in order.</summary>
    public static async Task<IReadOnlyList<string>> PutManyAsync(EtcdClient client, string prefix, int count, int concurrency = 32)
    {
        var keys = Enumerable.Range(0, count).Select(i => $"{prefix}k{i:D5}").ToArray();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency },
            async (i, ct) => await client.PutAsync(keys[i], $"v{i}", cancellationToken: ct));
        return keys;
    }

    public static Task PutBytesAsync(EtcdClient client, string key, byte[] value, long lease = 0) =>
        client.PutAsync(new EtcdTools.Protocol.Etcdserverpb.PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFrom(value), Lease = lease });

    /// <summary>etcdctl get -w json of one key: the witness's create/mod revision, version, lease and value bytes.</summary>
    public static async Task<(long CreateRevision, long ModRevision, long Version, long Lease, byte[] Value)?> EtcdctlGetAsync(EtcdConnectionSettings settings, string key)
    {
        var result = await Etcdctl.RunAsync(settings, "get", key, "-w", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        if (!json.RootElement.TryGetProperty("kvs", out var kvs)) return null;
        var kv = kvs[0];
        long Read(string name) => kv.TryGetProperty(name, out var v) ? v.GetInt64() : 0;
        var value = kv.TryGetProperty("value", out var b64) ? Convert.FromBase64String(b64.GetString()!) : [];
        return (Read("create_revision"), Read("mod_revision"), Read("version"), Read("lease"), value);
    }

    /// <summary>etcdctl's count of keys under a prefix ("" = every key) at a revision (0 = current): etcdctl 3.4 has no --count-only, but a limited read still reports the whole count.</summary>
    public static async Task<long> EtcdctlCountAsync(EtcdConnectionSettings settings, string prefix, long revision = 0)
    {
        var arguments = new List<string> { "get", prefix, "--prefix", "--keys-only", "--limit=1", "-w", "json" };
        if (revision > 0) arguments.Add($"--rev={revision}");
        var result = await Etcdctl.RunAsync(settings, [.. arguments]);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        return json.RootElement.TryGetProperty("count", out var count) ? count.GetInt64() : 0;
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
