using EtcdTools.Protocol;

namespace EtcdTools.Core.Tests.Errors;

/// <summary>Each error etcd's server names (api/v3rpc/rpctypes), with the status etcd sends it with, classified one by one.</summary>
public sealed class EtcdErrorTableTests
{
    public static TheoryData<GrpcStatusCode, string, EtcdServerError, EtcdErrorKind> EtcdErrors => new()
    {
        { GrpcStatusCode.InvalidArgument, "etcdserver: key is not provided", EtcdServerError.EmptyKey, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.InvalidArgument, "etcdserver: key not found", EtcdServerError.KeyNotFound, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.InvalidArgument, "etcdserver: value is provided", EtcdServerError.ValueProvided, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.InvalidArgument, "etcdserver: lease is provided", EtcdServerError.LeaseProvided, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.InvalidArgument, "etcdserver: ttl is 0", EtcdServerError.TtlZero, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.InvalidArgument, "etcdserver: too many operations in txn request", EtcdServerError.TooManyOperations, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request", EtcdServerError.DuplicateKey, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted", EtcdServerError.Compacted, EtcdErrorKind.Compacted },
        { GrpcStatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision", EtcdServerError.FutureRevision, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded", EtcdServerError.NoSpace, EtcdErrorKind.NoSpace },
        { GrpcStatusCode.NotFound, "etcdserver: requested lease not found", EtcdServerError.LeaseNotFound, EtcdErrorKind.NotFound },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: lease already exists", EtcdServerError.LeaseExists, EtcdErrorKind.AlreadyExists },
        { GrpcStatusCode.OutOfRange, "etcdserver: too large lease TTL", EtcdServerError.LeaseTtlTooLarge, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: member ID already exist", EtcdServerError.MemberExists, EtcdErrorKind.AlreadyExists },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: Peer URLs already exists", EtcdServerError.PeerUrlExists, EtcdErrorKind.AlreadyExists },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: re-configuration failed due to not enough started members", EtcdServerError.MemberNotEnoughStarted, EtcdErrorKind.FailedPrecondition },
        { GrpcStatusCode.InvalidArgument, "etcdserver: given member URLs are invalid", EtcdServerError.MemberBadUrls, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.NotFound, "etcdserver: member not found", EtcdServerError.MemberNotFound, EtcdErrorKind.MemberNotFound },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: can only promote a learner member", EtcdServerError.MemberNotLearner, EtcdErrorKind.FailedPrecondition },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: can only promote a learner member which is in sync with leader", EtcdServerError.LearnerNotReady, EtcdErrorKind.FailedPrecondition },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: too many learner members in cluster", EtcdServerError.TooManyLearners, EtcdErrorKind.FailedPrecondition },
        { GrpcStatusCode.InvalidArgument, "etcdserver: request is too large", EtcdServerError.RequestTooLarge, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.ResourceExhausted, "etcdserver: too many requests", EtcdServerError.TooManyRequests, EtcdErrorKind.Unavailable },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: root user does not exist", EtcdServerError.RootUserNotExist, EtcdErrorKind.FailedPrecondition },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: root user does not have root role", EtcdServerError.RootRoleNotExist, EtcdErrorKind.FailedPrecondition },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: user name already exists", EtcdServerError.UserExists, EtcdErrorKind.AlreadyExists },
        { GrpcStatusCode.InvalidArgument, "etcdserver: user name is empty", EtcdServerError.UserEmpty, EtcdErrorKind.AuthenticationFailed },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: user name not found", EtcdServerError.UserNotFound, EtcdErrorKind.NotFound },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: role name already exists", EtcdServerError.RoleExists, EtcdErrorKind.AlreadyExists },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: role name not found", EtcdServerError.RoleNotFound, EtcdErrorKind.NotFound },
        { GrpcStatusCode.InvalidArgument, "etcdserver: role name is empty", EtcdServerError.RoleEmpty, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.InvalidArgument, "etcdserver: authentication failed, invalid user ID or password", EtcdServerError.AuthenticationFailed, EtcdErrorKind.AuthenticationFailed },
        { GrpcStatusCode.PermissionDenied, "etcdserver: permission denied", EtcdServerError.PermissionDenied, EtcdErrorKind.PermissionDenied },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: role is not granted to the user", EtcdServerError.RoleNotGranted, EtcdErrorKind.FailedPrecondition },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: permission is not granted to the role", EtcdServerError.PermissionNotGranted, EtcdErrorKind.FailedPrecondition },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: authentication is not enabled", EtcdServerError.AuthNotEnabled, EtcdErrorKind.FailedPrecondition },
        { GrpcStatusCode.Unauthenticated, "etcdserver: invalid auth token", EtcdServerError.InvalidAuthToken, EtcdErrorKind.AuthenticationFailed },
        { GrpcStatusCode.InvalidArgument, "etcdserver: invalid auth management", EtcdServerError.InvalidAuthManagement, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.InvalidArgument, "etcdserver: revision of auth store is old", EtcdServerError.AuthOldRevision, EtcdErrorKind.AuthenticationFailed },
        { GrpcStatusCode.Unavailable, "etcdserver: no leader", EtcdServerError.NoLeader, EtcdErrorKind.Unavailable },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: not leader", EtcdServerError.NotLeader, EtcdErrorKind.FailedPrecondition },
        { GrpcStatusCode.Unavailable, "etcdserver: leader changed", EtcdServerError.LeaderChanged, EtcdErrorKind.Unavailable },
        { GrpcStatusCode.Unavailable, "etcdserver: not capable", EtcdServerError.NotCapable, EtcdErrorKind.Unavailable },
        { GrpcStatusCode.Unavailable, "etcdserver: server stopped", EtcdServerError.Stopped, EtcdErrorKind.Unavailable },
        { GrpcStatusCode.Unavailable, "etcdserver: request timed out", EtcdServerError.Timeout, EtcdErrorKind.Timeout },
        { GrpcStatusCode.Unavailable, "etcdserver: request timed out, possibly due to previous leader failure", EtcdServerError.TimeoutDueToLeaderFail, EtcdErrorKind.Timeout },
        { GrpcStatusCode.Unavailable, "etcdserver: request timed out, possibly due to connection lost", EtcdServerError.TimeoutDueToConnectionLost, EtcdErrorKind.Timeout },
        { GrpcStatusCode.Unavailable, "etcdserver: request timed out, waiting for the applied index took too long", EtcdServerError.TimeoutWaitAppliedIndex, EtcdErrorKind.Timeout },
        { GrpcStatusCode.Unavailable, "etcdserver: unhealthy cluster", EtcdServerError.Unhealthy, EtcdErrorKind.Unavailable },
        { GrpcStatusCode.DataLoss, "etcdserver: corrupt cluster", EtcdServerError.Corrupt, EtcdErrorKind.DataLoss },
        { GrpcStatusCode.Unavailable, "etcdserver: rpc not supported for learner", EtcdServerError.NotSupportedForLearner, EtcdErrorKind.Unavailable },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: bad leader transferee", EtcdServerError.BadLeaderTransferee, EtcdErrorKind.FailedPrecondition },
        { GrpcStatusCode.Unavailable, "etcdserver: cluster version not found during downgrade", EtcdServerError.ClusterVersionUnavailable, EtcdErrorKind.Unavailable },
        { GrpcStatusCode.InvalidArgument, "etcdserver: wrong downgrade target version format", EtcdServerError.WrongDowngradeVersionFormat, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.InvalidArgument, "etcdserver: invalid downgrade target version", EtcdServerError.InvalidDowngradeTargetVersion, EtcdErrorKind.InvalidArgument },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: cluster has a downgrade job in progress", EtcdServerError.DowngradeInProcess, EtcdErrorKind.FailedPrecondition },
        { GrpcStatusCode.FailedPrecondition, "etcdserver: no inflight downgrade job", EtcdServerError.NoInflightDowngrade, EtcdErrorKind.FailedPrecondition },
    };

    [Theory]
    [MemberData(nameof(EtcdErrors))]
    public void EachErrorEtcdNamesIsClassified(GrpcStatusCode code, string text, EtcdServerError error, EtcdErrorKind kind)
    {
        Assert.Equal((error, kind), EtcdErrorTable.Classify(code, text));
        var exception = EtcdException.FromStatus(code, text, new Uri("http://127.0.0.1:2379"), "KV.Range");
        Assert.Equal(error, exception.ServerError);
        Assert.Equal(kind, exception.Kind);
        Assert.Contains(text, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheTableHoldsExactlyTheErrorsTestedHere()
    {
        var tested = EtcdErrors.Select(row => (EtcdServerError)row[2]).Order().ToList();
        Assert.Equal(tested, EtcdErrorTable.All.Select(e => e.Error).Order().ToList());
        Assert.Equal(Enum.GetValues<EtcdServerError>().Where(e => e != EtcdServerError.None).Order(), tested);
    }

    [Theory]
    [InlineData("etcdserver: mvcc: required revision has been compacted (compact revision 42)", EtcdServerError.Compacted)]
    [InlineData("etcdserver: request timed out, possibly due to previous leader failure", EtcdServerError.TimeoutDueToLeaderFail)]
    [InlineData("etcdserver: request timed out; retry", EtcdServerError.Timeout)]
    public void DetailsAfterEtcdsTextMatchTheLongestError(string text, EtcdServerError expected) =>
        Assert.Equal(expected, EtcdErrorTable.Classify(GrpcStatusCode.Unavailable, text).Error);

    [Theory]
    [InlineData("etcdserver: not leaderboard")]
    [InlineData("etcdserver: key not foundation")]
    [InlineData("something else entirely")]
    public void ATextThatOnlyLooksLikeAnErrorIsNotOne(string text) =>
        Assert.Equal(EtcdServerError.None, EtcdErrorTable.Classify(GrpcStatusCode.Unknown, text).Error);

    [Theory]
    [InlineData(GrpcStatusCode.Unauthenticated, EtcdErrorKind.AuthenticationFailed)]
    [InlineData(GrpcStatusCode.PermissionDenied, EtcdErrorKind.PermissionDenied)]
    [InlineData(GrpcStatusCode.InvalidArgument, EtcdErrorKind.InvalidArgument)]
    [InlineData(GrpcStatusCode.OutOfRange, EtcdErrorKind.InvalidArgument)]
    [InlineData(GrpcStatusCode.ResourceExhausted, EtcdErrorKind.InvalidArgument)]
    [InlineData(GrpcStatusCode.FailedPrecondition, EtcdErrorKind.FailedPrecondition)]
    [InlineData(GrpcStatusCode.NotFound, EtcdErrorKind.NotFound)]
    [InlineData(GrpcStatusCode.AlreadyExists, EtcdErrorKind.AlreadyExists)]
    [InlineData(GrpcStatusCode.DeadlineExceeded, EtcdErrorKind.Timeout)]
    [InlineData(GrpcStatusCode.Unavailable, EtcdErrorKind.Unavailable)]
    [InlineData(GrpcStatusCode.Aborted, EtcdErrorKind.Unavailable)]
    [InlineData(GrpcStatusCode.DataLoss, EtcdErrorKind.DataLoss)]
    [InlineData(GrpcStatusCode.Unimplemented, EtcdErrorKind.Protocol)]
    [InlineData(GrpcStatusCode.Internal, EtcdErrorKind.ServerError)]
    [InlineData(GrpcStatusCode.Unknown, EtcdErrorKind.ServerError)]
    [InlineData(GrpcStatusCode.Cancelled, EtcdErrorKind.ServerError)]
    public void AStatusWithoutEtcdsTextIsClassifiedByItsCode(GrpcStatusCode code, EtcdErrorKind kind)
    {
        Assert.Equal((EtcdServerError.None, kind), EtcdErrorTable.Classify(code, null));
        Assert.Equal((EtcdServerError.None, kind), EtcdErrorTable.Classify(code, "grpc: something the table does not name"));
    }
}
