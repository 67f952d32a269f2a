using EtcdTools.Client;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Performance;

/// <summary>A member being measured: who it is, where its metrics are, and its peers' names (etcd labels round trips with the peer's hex ID).</summary>
internal sealed class MemberTarget
{
    private readonly Dictionary<ulong, string> _names;

    public MemberTarget(Member member, Uri clientUrl, Uri metricsUrl, ulong clusterId, IEnumerable<Member> all)
    {
        Name = member.Name.Length > 0 ? member.Name : MemberId.Format(member.ID);
        Id = MemberId.Format(member.ID);
        ClusterId = MemberId.Format(clusterId);
        ClientUrl = clientUrl;
        MetricsUrl = metricsUrl;
        var others = all.Where(m => m.ID != member.ID).ToList();
        PeerCount = others.Count;
        _names = others.ToDictionary(m => m.ID, m => m.Name.Length > 0 ? m.Name : MemberId.Format(m.ID));
    }

    public string Name { get; }
    public string Id { get; }
    public string ClusterId { get; }
    public Uri ClientUrl { get; }
    public Uri MetricsUrl { get; }
    public int PeerCount { get; }

    /// <summary>The name of the peer with this hex ID (as etcd's To label gives it); the ID when it is not a member.</summary>
    public string PeerName(string id) => MemberId.TryParse(id, out var value) && _names.TryGetValue(value, out var name) ? name : id;
}
