using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Client;

/// <summary>The outcome of one member's call in a fan-out: a value or the error, never both.</summary>
public sealed record MemberResult<T>(Member Member, Uri? Endpoint, T? Value, EtcdException? Error, TimeSpan Took)
{
    public bool Succeeded => Error is null;
}
