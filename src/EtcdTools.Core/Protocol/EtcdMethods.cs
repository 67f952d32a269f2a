using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Protocol;

/// <summary>The etcd v3 RPCs EtcdTools calls, named as in etcd's rpc.proto.</summary>
public static class EtcdMethods
{
    private const string KV = "etcdserverpb.KV";
    private const string Watch = "etcdserverpb.Watch";
    private const string Lease = "etcdserverpb.Lease";
    private const string Cluster = "etcdserverpb.Cluster";
    private const string Maintenance = "etcdserverpb.Maintenance";
    private const string Auth = "etcdserverpb.Auth";

    public static readonly GrpcMethod<RangeRequest, RangeResponse> Range = new(KV, "Range", RangeResponse.Parser);
    public static readonly GrpcMethod<PutRequest, PutResponse> Put = new(KV, "Put", PutResponse.Parser);
    public static readonly GrpcMethod<DeleteRangeRequest, DeleteRangeResponse> DeleteRange = new(KV, "DeleteRange", DeleteRangeResponse.Parser);
    public static readonly GrpcMethod<TxnRequest, TxnResponse> Txn = new(KV, "Txn", TxnResponse.Parser);
    public static readonly GrpcMethod<CompactionRequest, CompactionResponse> Compact = new(KV, "Compact", CompactionResponse.Parser);

    public static readonly GrpcMethod<WatchRequest, WatchResponse> WatchStream = new(Watch, "Watch", WatchResponse.Parser);

    public static readonly GrpcMethod<LeaseGrantRequest, LeaseGrantResponse> LeaseGrant = new(Lease, "LeaseGrant", LeaseGrantResponse.Parser);
    public static readonly GrpcMethod<LeaseRevokeRequest, LeaseRevokeResponse> LeaseRevoke = new(Lease, "LeaseRevoke", LeaseRevokeResponse.Parser);

    public static readonly GrpcMethod<MemberAddRequest, MemberAddResponse> MemberAdd = new(Cluster, "MemberAdd", MemberAddResponse.Parser);
    public static readonly GrpcMethod<MemberRemoveRequest, MemberRemoveResponse> MemberRemove = new(Cluster, "MemberRemove", MemberRemoveResponse.Parser);
    public static readonly GrpcMethod<MemberUpdateRequest, MemberUpdateResponse> MemberUpdate = new(Cluster, "MemberUpdate", MemberUpdateResponse.Parser);
    public static readonly GrpcMethod<MemberListRequest, MemberListResponse> MemberList = new(Cluster, "MemberList", MemberListResponse.Parser);
    public static readonly GrpcMethod<MemberPromoteRequest, MemberPromoteResponse> MemberPromote = new(Cluster, "MemberPromote", MemberPromoteResponse.Parser);

    public static readonly GrpcMethod<AlarmRequest, AlarmResponse> Alarm = new(Maintenance, "Alarm", AlarmResponse.Parser);
    public static readonly GrpcMethod<StatusRequest, StatusResponse> Status = new(Maintenance, "Status", StatusResponse.Parser);
    public static readonly GrpcMethod<DefragmentRequest, DefragmentResponse> Defragment = new(Maintenance, "Defragment", DefragmentResponse.Parser);
    public static readonly GrpcMethod<HashKVRequest, HashKVResponse> HashKV = new(Maintenance, "HashKV", HashKVResponse.Parser);
    public static readonly GrpcMethod<SnapshotRequest, SnapshotResponse> Snapshot = new(Maintenance, "Snapshot", SnapshotResponse.Parser);
    public static readonly GrpcMethod<MoveLeaderRequest, MoveLeaderResponse> MoveLeader = new(Maintenance, "MoveLeader", MoveLeaderResponse.Parser);

    public static readonly GrpcMethod<AuthEnableRequest, AuthEnableResponse> AuthEnable = new(Auth, "AuthEnable", AuthEnableResponse.Parser);
    public static readonly GrpcMethod<AuthenticateRequest, AuthenticateResponse> Authenticate = new(Auth, "Authenticate", AuthenticateResponse.Parser);
    public static readonly GrpcMethod<AuthUserAddRequest, AuthUserAddResponse> UserAdd = new(Auth, "UserAdd", AuthUserAddResponse.Parser);
    public static readonly GrpcMethod<AuthUserGrantRoleRequest, AuthUserGrantRoleResponse> UserGrantRole = new(Auth, "UserGrantRole", AuthUserGrantRoleResponse.Parser);
    public static readonly GrpcMethod<AuthRoleAddRequest, AuthRoleAddResponse> RoleAdd = new(Auth, "RoleAdd", AuthRoleAddResponse.Parser);
}
