using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;
using Google.Protobuf;

namespace EtcdTools.Core.Tests.Protocol;

/// <summary>The quota field etcd 3.6 added to Status, read with this project's 3.4 protos.</summary>
public sealed class StatusQuotaTests
{
    [Fact]
    public void QuotaIsTakenFromEtcd36StatusWhenPresent()
    {
        var status = new StatusResponse { Version = "3.4.23", DbSize = 1234 };
        Assert.Null(StatusQuota.Read(status));

        // etcd 3.6 adds dbSizeQuota as field 12: append it to the wire form and parse with the 3.4 protos.
        var bytes = status.ToByteArray().ToList();
        using (var extra = new MemoryStream())
        {
            var output = new CodedOutputStream(extra);
            output.WriteTag(12, WireFormat.WireType.Varint);
            output.WriteInt64(8L * 1024 * 1024 * 1024);
            output.Flush();
            bytes.AddRange(extra.ToArray());
        }
        var from36 = StatusResponse.Parser.ParseFrom(bytes.ToArray());
        Assert.Equal(1234, from36.DbSize);
        Assert.Equal(8L * 1024 * 1024 * 1024, StatusQuota.Read(from36));
    }
}
