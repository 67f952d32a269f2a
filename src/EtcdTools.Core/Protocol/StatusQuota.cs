using EtcdTools.Protocol.Etcdserverpb;
using Google.Protobuf;

namespace EtcdTools.Protocol;

/// <summary>
/// The backend quota etcd 3.6 added to the Status response (StatusResponse.dbSizeQuota, field 12).
/// The protos here are 3.4's, so it arrives as an unknown field, which protobuf keeps and writes back out.
/// </summary>
internal static class StatusQuota
{
    private const int DbSizeQuotaField = 12;

    /// <summary>The backend quota in bytes an etcd 3.6+ member reports; null from older members.</summary>
    public static long? Read(StatusResponse status)
    {
        var input = new CodedInputStream(status.ToByteArray());
        long? quota = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == DbSizeQuotaField && WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint)
                quota = input.ReadInt64();
            else
                input.SkipLastField();
        }
        return quota is > 0 ? quota : null;
    }
}
