using EtcdTools.Client;
using EtcdTools.Protocol.Etcdserverpb;
using Google.Protobuf;

namespace EtcdTools.Bench;

/// <summary>Fills a member with many keys quickly, for the benchmarks that read them back.</summary>
internal static class BatchedPuts
{
    /// <summary>
    /// Writes <paramref name="keys"/> keys named by <paramref name="keyOf"/>, each with
    /// <paramref name="value"/>, 100 to a Txn and 8 Txns at a time: a million single puts would
    /// dominate the run.
    /// </summary>
    public static Task WriteAsync(EtcdClient client, int keys, ByteString value, Func<int, string> keyOf, CancellationToken cancellationToken)
    {
        const int batch = 100;
        return Parallel.ForAsync(0, (keys + batch - 1) / batch, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (b, ct) =>
        {
            var txn = new TxnRequest();
            for (var i = b * batch; i < Math.Min(keys, (b + 1) * batch); i++)
                txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(keyOf(i)), Value = value } });
            await client.TxnAsync(txn, cancellationToken: ct);
        });
    }
}
