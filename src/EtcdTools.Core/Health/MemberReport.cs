namespace EtcdTools.Health;

/// <summary>
/// What a per-member operation reports: the object to emit, which is there even when the member
/// failed, and the failure itself, for a non-terminating error record.
/// </summary>
public sealed record MemberReport<T>(T Report, EtcdException? Error)
{
    public bool Failed => Error is not null;
}
