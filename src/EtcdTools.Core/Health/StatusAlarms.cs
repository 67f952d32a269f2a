using System.Globalization;
using System.Text.RegularExpressions;
using EtcdTools.Protocol.Etcdserverpb;
using Google.Protobuf;

namespace EtcdTools.Health;

/// <summary>
/// What a member's Status says beyond the fields this module's protos know: the alarms it lists
/// among its errors, and the quota etcd 3.6 added to the response.
/// </summary>
internal static partial class StatusAlarms
{
    // Status lists each active alarm as its protobuf text form, with the member ID in decimal:
    // "memberID:17010963214147749224 alarm:NOSPACE " (etcd 3.4 to 3.6). Reading it needs no raft
    // round trip, so it works on a member without a leader and on a learner.
    [GeneratedRegex(@"memberID:(?<id>\d+)\s+alarm:(?<alarm>[A-Z]+)", RegexOptions.CultureInvariant)]
    private static partial Regex AlarmPattern();

    /// <summary>The alarms named in Status errors.</summary>
    public static IReadOnlyList<AlarmMember> Parse(IEnumerable<string> errors)
    {
        var alarms = new List<AlarmMember>();
        foreach (var error in errors)
        {
            foreach (Match match in AlarmPattern().Matches(error))
            {
                if (!ulong.TryParse(match.Groups["id"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id)) continue;
                if (!Enum.TryParse<AlarmType>(match.Groups["alarm"].Value, ignoreCase: true, out var type) || type == AlarmType.None) continue;
                alarms.Add(new AlarmMember { MemberID = id, Alarm = type });
            }
        }
        return alarms;
    }

    /// <summary>Alarm names as etcdctl prints them (NOSPACE, CORRUPT).</summary>
    public static string Name(AlarmType alarm) => alarm.ToString().ToUpperInvariant();

    // StatusResponse.dbSizeQuota, field 12, added in etcd 3.6; the protos here are 3.4's, so it
    // arrives as an unknown field, which protobuf keeps and writes back out.
    private const int DbSizeQuotaField = 12;

    /// <summary>The backend quota an etcd 3.6+ member reports in its Status; null from older members.</summary>
    public static long? QuotaFromStatus(StatusResponse status)
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
