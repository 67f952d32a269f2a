namespace EtcdTools;

/// <summary>
/// The errors etcd's server names (its api/v3rpc/rpctypes), so code can test for one
/// (<c>e.ServerError == EtcdServerError.NotLeader</c>) instead of matching texts.
/// <see cref="None"/>: the failure was local, or etcd's text is not one of these.
/// </summary>
public enum EtcdServerError
{
    None,

    // KV
    EmptyKey,
    KeyNotFound,
    ValueProvided,
    LeaseProvided,
    TtlZero,
    TooManyOperations,
    DuplicateKey,
    Compacted,
    FutureRevision,
    NoSpace,

    // Lease
    LeaseNotFound,
    LeaseExists,
    LeaseTtlTooLarge,

    // Cluster membership
    MemberExists,
    PeerUrlExists,
    MemberNotEnoughStarted,
    MemberBadUrls,
    MemberNotFound,
    MemberNotLearner,
    LearnerNotReady,
    TooManyLearners,

    // Limits
    RequestTooLarge,
    TooManyRequests,

    // Auth
    RootUserNotExist,
    RootRoleNotExist,
    UserExists,
    UserEmpty,
    UserNotFound,
    RoleExists,
    RoleNotFound,
    RoleEmpty,
    AuthenticationFailed,
    PermissionDenied,
    RoleNotGranted,
    PermissionNotGranted,
    AuthNotEnabled,
    InvalidAuthToken,
    InvalidAuthManagement,
    AuthOldRevision,

    // Raft and server state
    NoLeader,
    NotLeader,
    LeaderChanged,
    NotCapable,
    Stopped,
    Timeout,
    TimeoutDueToLeaderFail,
    TimeoutDueToConnectionLost,
    TimeoutWaitAppliedIndex,
    Unhealthy,
    Corrupt,
    NotSupportedForLearner,
    BadLeaderTransferee,

    // Downgrades (3.5 and later)
    ClusterVersionUnavailable,
    WrongDowngradeVersionFormat,
    InvalidDowngradeTargetVersion,
    DowngradeInProcess,
    NoInflightDowngrade,
}
