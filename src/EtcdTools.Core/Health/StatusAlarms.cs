using System.Globalization;
using System.Text.RegularExpressions;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Health;

/// <summary>The alarms a member's Status lists among its errors.</summary>
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
}
