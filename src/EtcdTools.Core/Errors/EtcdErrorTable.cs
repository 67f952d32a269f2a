using System.Collections.Frozen;
using EtcdTools.Protocol;

namespace EtcdTools;

/// <summary>
/// The one place where what etcd answers (a gRPC status and etcd's text) becomes what this module
/// reports: etcd's named error and the kind of failure. The texts are etcd's own
/// (api/v3rpc/rpctypes, 3.4 to 3.6); a text etcd does not name is classified by its status code.
/// </summary>
public static class EtcdErrorTable
{
    private readonly record struct Entry(string Text, EtcdServerError Error, EtcdErrorKind Kind);

    private static readonly Entry[] Entries =
    [
        new("etcdserver: key is not provided", EtcdServerError.EmptyKey, EtcdErrorKind.InvalidArgument),
        new("etcdserver: key not found", EtcdServerError.KeyNotFound, EtcdErrorKind.InvalidArgument),
        new("etcdserver: value is provided", EtcdServerError.ValueProvided, EtcdErrorKind.InvalidArgument),
        new("etcdserver: lease is provided", EtcdServerError.LeaseProvided, EtcdErrorKind.InvalidArgument),
        new("etcdserver: ttl is 0", EtcdServerError.TtlZero, EtcdErrorKind.InvalidArgument),
        new("etcdserver: too many operations in txn request", EtcdServerError.TooManyOperations, EtcdErrorKind.InvalidArgument),
        new("etcdserver: duplicate key given in txn request", EtcdServerError.DuplicateKey, EtcdErrorKind.InvalidArgument),
        new("etcdserver: mvcc: required revision has been compacted", EtcdServerError.Compacted, EtcdErrorKind.Compacted),
        new("etcdserver: mvcc: required revision is a future revision", EtcdServerError.FutureRevision, EtcdErrorKind.InvalidArgument),
        new("etcdserver: mvcc: database space exceeded", EtcdServerError.NoSpace, EtcdErrorKind.NoSpace),

        new("etcdserver: requested lease not found", EtcdServerError.LeaseNotFound, EtcdErrorKind.NotFound),
        new("etcdserver: lease already exists", EtcdServerError.LeaseExists, EtcdErrorKind.AlreadyExists),
        new("etcdserver: too large lease TTL", EtcdServerError.LeaseTtlTooLarge, EtcdErrorKind.InvalidArgument),

        new("etcdserver: member ID already exist", EtcdServerError.MemberExists, EtcdErrorKind.AlreadyExists),
        new("etcdserver: Peer URLs already exists", EtcdServerError.PeerUrlExists, EtcdErrorKind.AlreadyExists),
        new("etcdserver: re-configuration failed due to not enough started members", EtcdServerError.MemberNotEnoughStarted, EtcdErrorKind.FailedPrecondition),
        new("etcdserver: given member URLs are invalid", EtcdServerError.MemberBadUrls, EtcdErrorKind.InvalidArgument),
        new("etcdserver: member not found", EtcdServerError.MemberNotFound, EtcdErrorKind.MemberNotFound),
        new("etcdserver: can only promote a learner member", EtcdServerError.MemberNotLearner, EtcdErrorKind.FailedPrecondition),
        new("etcdserver: can only promote a learner member which is in sync with leader", EtcdServerError.LearnerNotReady, EtcdErrorKind.FailedPrecondition),
        new("etcdserver: too many learner members in cluster", EtcdServerError.TooManyLearners, EtcdErrorKind.FailedPrecondition),

        new("etcdserver: request is too large", EtcdServerError.RequestTooLarge, EtcdErrorKind.InvalidArgument),
        new("etcdserver: too many requests", EtcdServerError.TooManyRequests, EtcdErrorKind.Unavailable),

        new("etcdserver: root user does not exist", EtcdServerError.RootUserNotExist, EtcdErrorKind.FailedPrecondition),
        new("etcdserver: root user does not have root role", EtcdServerError.RootRoleNotExist, EtcdErrorKind.FailedPrecondition),
        new("etcdserver: user name already exists", EtcdServerError.UserExists, EtcdErrorKind.AlreadyExists),
        new("etcdserver: user name is empty", EtcdServerError.UserEmpty, EtcdErrorKind.AuthenticationFailed),
        new("etcdserver: user name not found", EtcdServerError.UserNotFound, EtcdErrorKind.NotFound),
        new("etcdserver: role name already exists", EtcdServerError.RoleExists, EtcdErrorKind.AlreadyExists),
        new("etcdserver: role name not found", EtcdServerError.RoleNotFound, EtcdErrorKind.NotFound),
        new("etcdserver: role name is empty", EtcdServerError.RoleEmpty, EtcdErrorKind.InvalidArgument),
        new("etcdserver: authentication failed, invalid user ID or password", EtcdServerError.AuthenticationFailed, EtcdErrorKind.AuthenticationFailed),
        new("etcdserver: permission denied", EtcdServerError.PermissionDenied, EtcdErrorKind.PermissionDenied),
        new("etcdserver: role is not granted to the user", EtcdServerError.RoleNotGranted, EtcdErrorKind.FailedPrecondition),
        new("etcdserver: permission is not granted to the role", EtcdServerError.PermissionNotGranted, EtcdErrorKind.FailedPrecondition),
        new("etcdserver: authentication is not enabled", EtcdServerError.AuthNotEnabled, EtcdErrorKind.FailedPrecondition),
        new("etcdserver: invalid auth token", EtcdServerError.InvalidAuthToken, EtcdErrorKind.AuthenticationFailed),
        new("etcdserver: invalid auth management", EtcdServerError.InvalidAuthManagement, EtcdErrorKind.InvalidArgument),
        new("etcdserver: revision of auth store is old", EtcdServerError.AuthOldRevision, EtcdErrorKind.AuthenticationFailed),

        new("etcdserver: no leader", EtcdServerError.NoLeader, EtcdErrorKind.Unavailable),
        new("etcdserver: not leader", EtcdServerError.NotLeader, EtcdErrorKind.FailedPrecondition),
        new("etcdserver: leader changed", EtcdServerError.LeaderChanged, EtcdErrorKind.Unavailable),
        new("etcdserver: not capable", EtcdServerError.NotCapable, EtcdErrorKind.Unavailable),
        new("etcdserver: server stopped", EtcdServerError.Stopped, EtcdErrorKind.Unavailable),
        new("etcdserver: request timed out", EtcdServerError.Timeout, EtcdErrorKind.Timeout),
        new("etcdserver: request timed out, possibly due to previous leader failure", EtcdServerError.TimeoutDueToLeaderFail, EtcdErrorKind.Timeout),
        new("etcdserver: request timed out, possibly due to connection lost", EtcdServerError.TimeoutDueToConnectionLost, EtcdErrorKind.Timeout),
        new("etcdserver: request timed out, waiting for the applied index took too long", EtcdServerError.TimeoutWaitAppliedIndex, EtcdErrorKind.Timeout),
        new("etcdserver: unhealthy cluster", EtcdServerError.Unhealthy, EtcdErrorKind.Unavailable),
        new("etcdserver: corrupt cluster", EtcdServerError.Corrupt, EtcdErrorKind.DataLoss),
        new("etcdserver: rpc not supported for learner", EtcdServerError.NotSupportedForLearner, EtcdErrorKind.Unavailable),
        new("etcdserver: bad leader transferee", EtcdServerError.BadLeaderTransferee, EtcdErrorKind.FailedPrecondition),

        new("etcdserver: cluster version not found during downgrade", EtcdServerError.ClusterVersionUnavailable, EtcdErrorKind.Unavailable),
        new("etcdserver: wrong downgrade target version format", EtcdServerError.WrongDowngradeVersionFormat, EtcdErrorKind.InvalidArgument),
        new("etcdserver: invalid downgrade target version", EtcdServerError.InvalidDowngradeTargetVersion, EtcdErrorKind.InvalidArgument),
        new("etcdserver: cluster has a downgrade job in progress", EtcdServerError.DowngradeInProcess, EtcdErrorKind.FailedPrecondition),
        new("etcdserver: no inflight downgrade job", EtcdServerError.NoInflightDowngrade, EtcdErrorKind.FailedPrecondition),
    ];

    private static readonly FrozenDictionary<string, Entry> ByText = Entries.ToFrozenDictionary(e => e.Text, StringComparer.Ordinal);
    private static readonly FrozenDictionary<EtcdServerError, Entry> ByError = Entries.ToFrozenDictionary(e => e.Error);

    /// <summary>Every error etcd names, with its text: for tests and documentation.</summary>
    public static IEnumerable<(EtcdServerError Error, string Text, EtcdErrorKind Kind)> All => Entries.Select(e => (e.Error, e.Text, e.Kind));

    /// <summary>etcd's text for one of its errors.</summary>
    public static string TextOf(EtcdServerError error) =>
        ByError.TryGetValue(error, out var entry) ? entry.Text : throw new ArgumentOutOfRangeException(nameof(error), error, "Not an error etcd names.");

    /// <summary>
    /// etcd's error and the kind of failure for a status other than OK. etcd's text is matched
    /// exactly; a text that carries more after etcd's own (a few errors append details) matches
    /// the longest error it starts with.
    /// </summary>
    public static (EtcdServerError Error, EtcdErrorKind Kind) Classify(GrpcStatusCode code, string? text)
    {
        if (!string.IsNullOrEmpty(text))
        {
            if (ByText.TryGetValue(text, out var exact)) return (exact.Error, exact.Kind);
            Entry? longest = null;
            foreach (var entry in Entries)
            {
                if (text.StartsWith(entry.Text, StringComparison.Ordinal) && text.Length > entry.Text.Length
                    && !char.IsLetterOrDigit(text[entry.Text.Length]) && entry.Text.Length > (longest?.Text.Length ?? 0))
                    longest = entry;
            }
            if (longest is { } prefix) return (prefix.Error, prefix.Kind);
        }
        return (EtcdServerError.None, KindOf(code));
    }

    /// <summary>The kind of failure a gRPC status means when etcd's text says nothing more.</summary>
    public static EtcdErrorKind KindOf(GrpcStatusCode code) => code switch
    {
        GrpcStatusCode.Unauthenticated => EtcdErrorKind.AuthenticationFailed,
        GrpcStatusCode.PermissionDenied => EtcdErrorKind.PermissionDenied,
        // ResourceExhausted without etcd's text is gRPC's own "received message larger than max".
        GrpcStatusCode.InvalidArgument or GrpcStatusCode.OutOfRange or GrpcStatusCode.ResourceExhausted => EtcdErrorKind.InvalidArgument,
        GrpcStatusCode.FailedPrecondition => EtcdErrorKind.FailedPrecondition,
        GrpcStatusCode.NotFound => EtcdErrorKind.NotFound,
        GrpcStatusCode.AlreadyExists => EtcdErrorKind.AlreadyExists,
        GrpcStatusCode.DeadlineExceeded => EtcdErrorKind.Timeout,
        GrpcStatusCode.Unavailable or GrpcStatusCode.Aborted => EtcdErrorKind.Unavailable,
        GrpcStatusCode.DataLoss => EtcdErrorKind.DataLoss,
        GrpcStatusCode.Unimplemented => EtcdErrorKind.Protocol,
        _ => EtcdErrorKind.ServerError,
    };
}
