using System.Collections;
using EtcdTools.Client;
using EtcdTools.Health;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;
using static EtcdTools.Core.Tests.Health.HealthTestHelpers;

namespace EtcdTools.Core.Tests.Health;

/// <summary>The judgement of Test-EtcdCluster on constructed snapshots: the thresholds' edges without filling a real disk.</summary>
public sealed class ClusterChecksTests
{
    private const ulong ClusterIdValue = 0xc1;
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Member NewMember(ulong id, bool learner = false) => new()
    {
        ID = id, Name = $"m{id}", IsLearner = learner,
        PeerURLs = { $"http://127.0.0.1:{2380 + (int)id}" }, ClientURLs = { $"http://127.0.0.1:{2379 + (int)id}" },
    };

    private static MemberListResponse ListOf(params Member[] members)
    {
        var list = new MemberListResponse { Header = new ResponseHeader { ClusterId = ClusterIdValue } };
        list.Members.AddRange(members);
        return list;
    }

    /// <summary>A member that answered everything; tweak with the optional arguments.</summary>
    private static MemberObservation Answering(Member member, MemberListResponse list, ulong leader, ulong applied = 100,
        long dbSize = 10 * EtcdHealthThresholds.MiB, long? inUse = null, long? quota = 2 * EtcdHealthThresholds.GiB,
        IReadOnlyList<AlarmMember>? alarms = null, CertificateInfo? certificate = null) => new()
    {
        Member = member,
        Endpoint = new Uri(member.ClientURLs[0]),
        Health = new EtcdMemberHealth { MemberId = MemberId.Format(member.ID), Name = member.Name, Healthy = alarms is not { Count: > 0 }, TookMs = 1.5 },
        Alarms = alarms ?? [],
        Status = new StatusResponse
        {
            Header = new ResponseHeader { ClusterId = ClusterIdValue, MemberId = member.ID },
            Leader = leader, RaftTerm = 2, RaftIndex = applied, RaftAppliedIndex = applied,
            DbSize = dbSize, DbSizeInUse = inUse ?? dbSize, Version = "3.4.23", IsLearner = member.IsLearner,
        },
        MemberList = list,
        QuotaBytes = quota,
        ServerCertificate = certificate,
    };

    private static MemberObservation Silent(Member member, EtcdErrorKind kind = EtcdErrorKind.Unavailable)
    {
        var error = new EtcdException(kind, GrpcStatusCode.Unavailable, $"Connection refused by {member.ClientURLs[0]}");
        return new MemberObservation
        {
            Member = member,
            Endpoint = new Uri(member.ClientURLs[0]),
            Health = new EtcdMemberHealth { MemberId = MemberId.Format(member.ID), Name = member.Name, Healthy = false, Error = error.Message },
            StatusError = error,
            MemberListError = error,
            ServerCertificateError = error,
        };
    }

    private static ClusterSnapshot Snapshot(MemberListResponse list, params MemberObservation[] members) =>
        new() { TakenAt = Now, MemberList = list, Members = members };

    private static IReadOnlyList<EtcdCheckResult> ThreeMembers(Func<Member, MemberListResponse, MemberObservation>? second = null)
    {
        var (a, b, c) = (NewMember(1), NewMember(2), NewMember(3));
        var list = ListOf(a, b, c);
        return EtcdClusterChecks.Evaluate(Snapshot(list, Answering(a, list, 1), second?.Invoke(b, list) ?? Answering(b, list, 1), Answering(c, list, 1)));
    }

    [Fact]
    public void HealthyThreeMemberClusterPassesWithOneFailureTolerated()
    {
        var results = ThreeMembers();
        Assert.All(results, r => Assert.Equal(EtcdCheckStatus.Pass, r.Status));
        Assert.True(EtcdClusterChecks.AllPassed(results));
        Assert.Equal("1 failure(s) tolerated", Single(results, EtcdClusterChecks.FaultTolerance).Value);
        Assert.Equal("m1", Single(results, EtcdClusterChecks.Leader).Value);
        Assert.Equal("c1", Single(results, EtcdClusterChecks.ClusterId).Value);
        Assert.All(results, r => Assert.Equal("", r.Recommendation));
        Assert.Equal(3, results.Count(r => r.Check == EtcdClusterChecks.DbQuota));
        Assert.DoesNotContain(results, r => r.Check is EtcdClusterChecks.ServerCertificate or EtcdClusterChecks.ClientCertificate or EtcdClusterChecks.Learner);
    }

    [Fact]
    public void OneMemberDownKeepsQuorumButLosesFaultTolerance()
    {
        var results = ThreeMembers((b, _) => Silent(b));
        Assert.Equal(EtcdCheckStatus.Pass, Single(results, EtcdClusterChecks.Quorum).Status);
        var tolerance = Single(results, EtcdClusterChecks.FaultTolerance);
        Assert.Equal(EtcdCheckStatus.Warn, tolerance.Status);
        Assert.Contains("m2", tolerance.Message);
        Assert.NotEmpty(tolerance.Recommendation);
        Assert.Equal(EtcdCheckStatus.Fail, Single(results, EtcdClusterChecks.MemberHealth, "m2").Status);
        foreach (var check in new[] { EtcdClusterChecks.AppliedIndexLag, EtcdClusterChecks.DbQuota, EtcdClusterChecks.Fragmentation, EtcdClusterChecks.DbSizeLimit })
        {
            var result = Single(results, check, "m2");
            Assert.Equal(EtcdCheckStatus.Warn, result.Status);
            Assert.Contains("Connection refused", result.Message);
        }
        Assert.Contains("m2 did not answer", Single(results, EtcdClusterChecks.Leader).Message);
        Assert.False(EtcdClusterChecks.AllPassed(results));
    }

    [Fact]
    public void TwoOfThreeDownLosesQuorum()
    {
        var (a, b, c) = (NewMember(1), NewMember(2), NewMember(3));
        var list = ListOf(a, b, c);
        var results = EtcdClusterChecks.Evaluate(Snapshot(list, Answering(a, list, 0), Silent(b), Silent(c)));
        var quorum = Single(results, EtcdClusterChecks.Quorum);
        Assert.Equal(EtcdCheckStatus.Fail, quorum.Status);
        Assert.Equal("1/3 voting members answer", quorum.Value);
        Assert.Equal(EtcdCheckStatus.Fail, Single(results, EtcdClusterChecks.FaultTolerance).Status);
        Assert.Equal(EtcdCheckStatus.Fail, Single(results, EtcdClusterChecks.Leader).Status);
    }

    [Fact]
    public void SingleMemberHasNoFaultToleranceByDesign()
    {
        var a = NewMember(1);
        var list = ListOf(a);
        var results = EtcdClusterChecks.Evaluate(Snapshot(list, Answering(a, list, 1)));
        var tolerance = Single(results, EtcdClusterChecks.FaultTolerance);
        Assert.Equal(EtcdCheckStatus.Warn, tolerance.Status);
        Assert.Contains("by design", tolerance.Message);
        Assert.True(EtcdClusterChecks.AllPassed(results));
    }

    [Fact]
    public void LearnersDoNotCountTowardsQuorumAndWaitForPromotion()
    {
        var (a, b, c, learner) = (NewMember(1), NewMember(2), NewMember(3), NewMember(4, learner: true));
        var list = ListOf(a, b, c, learner);
        var results = EtcdClusterChecks.Evaluate(Snapshot(list, Answering(a, list, 1), Answering(b, list, 1), Answering(c, list, 1), Answering(learner, list, 1, applied: 95)));
        Assert.Equal("3/3 voting members answer", Single(results, EtcdClusterChecks.Quorum).Value);
        var waiting = Single(results, EtcdClusterChecks.Learner, "m4");
        Assert.Equal(EtcdCheckStatus.Warn, waiting.Status);
        Assert.Contains("caught up", waiting.Message);
        Assert.True(EtcdClusterChecks.AllPassed(results));
    }

    [Fact]
    public void DisagreementOnTheLeaderOrNoLeaderFails()
    {
        var split = ThreeMembers((b, list) => Answering(b, list, leader: 3));
        var leader = Single(split, EtcdClusterChecks.Leader);
        Assert.Equal(EtcdCheckStatus.Fail, leader.Status);
        Assert.Contains("m1, m3 see m1 (1); m2 see m3 (3)", leader.Message);

        var none = ThreeMembers((b, list) => Answering(b, list, leader: 0));
        Assert.Contains("m2 report(s) no leader", Single(none, EtcdClusterChecks.Leader).Message);
    }

    [Fact]
    public void HungLeaderThatFollowersStillNameIsAWarning()
    {
        var (a, b, c) = (NewMember(1), NewMember(2), NewMember(3));
        var list = ListOf(a, b, c);
        var results = EtcdClusterChecks.Evaluate(Snapshot(list, Silent(a, EtcdErrorKind.Timeout), Answering(b, list, 1), Answering(c, list, 1)));
        var leader = Single(results, EtcdClusterChecks.Leader);
        Assert.Equal(EtcdCheckStatus.Warn, leader.Status);
        Assert.Contains("does not answer itself", leader.Message);
    }

    [Fact]
    public void DifferentMemberListsAndClusterIdsFail()
    {
        var results = ThreeMembers((b, list) =>
        {
            var stale = ListOf(list.Members[0], list.Members[1]);
            stale.Header.ClusterId = 0xc2;
            var observation = Answering(b, list, 1);
            return new MemberObservation
            {
                Member = observation.Member, Endpoint = observation.Endpoint, Health = observation.Health, Alarms = observation.Alarms,
                Status = observation.Status, MemberList = stale, QuotaBytes = observation.QuotaBytes,
            };
        });
        var members = Single(results, EtcdClusterChecks.MemberList);
        Assert.Equal(EtcdCheckStatus.Fail, members.Status);
        Assert.Equal("2/3 agree", members.Value);
        Assert.Contains("m2 sees", members.Message);
        var ids = Single(results, EtcdClusterChecks.ClusterId);
        Assert.Equal(EtcdCheckStatus.Fail, ids.Status);
        Assert.Contains("c2: m2", ids.Message);
    }

    [Theory]
    [InlineData(1000, "Pass")]
    [InlineData(1001, "Warn")]
    public void AppliedIndexLagWarnsAboveTheThreshold(long behind, string expected)
    {
        var (a, b, c) = (NewMember(1), NewMember(2), NewMember(3));
        var list = ListOf(a, b, c);
        var snapshot = Snapshot(list, Answering(a, list, 1, applied: 5000), Answering(b, list, 1, applied: 5000 - (ulong)behind), Answering(c, list, 1, applied: 4990));
        var results = EtcdClusterChecks.Evaluate(snapshot);
        var lag = Single(results, EtcdClusterChecks.AppliedIndexLag, "m2");
        Assert.Equal(expected, lag.Status);
        Assert.StartsWith($"{behind} entries behind", lag.Value);
        Assert.Equal(EtcdCheckStatus.Pass, Single(results, EtcdClusterChecks.AppliedIndexLag, "m3").Status);

        var relaxed = EtcdClusterChecks.Evaluate(snapshot, EtcdHealthThresholds.Default with { MaxAppliedIndexLag = 5000 });
        Assert.Equal(EtcdCheckStatus.Pass, Single(relaxed, EtcdClusterChecks.AppliedIndexLag, "m2").Status);
    }

    [Theory]
    [InlineData(50.0, "Pass", false)]
    [InlineData(65.0, "Pass", true)]
    [InlineData(74.9, "Pass", true)]
    [InlineData(75.0, "Warn", false)]
    [InlineData(84.9, "Warn", false)]
    [InlineData(85.0, "Fail", false)]
    [InlineData(101.0, "Fail", false)]
    public void DbSizeAgainstQuotaGoesInfoWarnFail(double percent, string expected, bool info)
    {
        const long quota = 1000 * EtcdHealthThresholds.MiB;
        var results = ThreeMembers((b, list) => Answering(b, list, 1, dbSize: (long)(quota * percent / 100), quota: quota));
        var check = Single(results, EtcdClusterChecks.DbQuota, "m2");
        Assert.Equal(expected, check.Status);
        Assert.StartsWith(percent.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%", check.Value);
        Assert.Equal(info, check.Message.Contains("plan compaction", StringComparison.Ordinal));
        Assert.Equal(expected == "Pass", check.Recommendation.Length == 0);
    }

    [Fact]
    public void UnknownQuotaIsAWarningNotAPass()
    {
        var check = Single(ThreeMembers((b, list) => Answering(b, list, 1, quota: null)), EtcdClusterChecks.DbQuota, "m2");
        Assert.Equal(EtcdCheckStatus.Warn, check.Status);
        Assert.Contains("quota is unknown", check.Message);
    }

    [Theory]
    [InlineData(1000, 400, "Warn")]   // 40% in use, 400 MiB in use
    [InlineData(1000, 600, "Pass")]   // 60% in use
    [InlineData(150, 60, "Pass")]     // 40% in use, but only 60 MiB in use: not worth a defrag
    public void FragmentationWarnsOnlyWhenMostlyFreeAndLarge(long totalMiB, long inUseMiB, string expected)
    {
        var results = ThreeMembers((b, list) => Answering(b, list, 1, dbSize: totalMiB * EtcdHealthThresholds.MiB, inUse: inUseMiB * EtcdHealthThresholds.MiB));
        Assert.Equal(expected, Single(results, EtcdClusterChecks.Fragmentation, "m2").Status);
    }

    [Fact]
    public void QuotaAboveEightGibIsAWarning()
    {
        var results = ThreeMembers((b, list) => Answering(b, list, 1, quota: 16 * EtcdHealthThresholds.GiB));
        var limit = Single(results, EtcdClusterChecks.DbSizeLimit, "m2");
        Assert.Equal(EtcdCheckStatus.Warn, limit.Status);
        Assert.Contains("16.0 GiB", limit.Message);
        Assert.Equal(EtcdCheckStatus.Pass, Single(results, EtcdClusterChecks.DbSizeLimit, "m1").Status);
    }

    [Fact]
    public void AlarmsFailWithTheirMemberNamed()
    {
        var results = ThreeMembers((b, list) => Answering(b, list, 1, alarms: [new AlarmMember { MemberID = 2, Alarm = AlarmType.Nospace }]));
        var alarms = Single(results, EtcdClusterChecks.Alarms);
        Assert.Equal(EtcdCheckStatus.Fail, alarms.Status);
        Assert.Equal("NOSPACE on m2 (2)", alarms.Value);
        Assert.Contains("disarm", alarms.Recommendation);
        // The member still answered: it counts for quorum.
        Assert.Equal("3/3 voting members answer", Single(results, EtcdClusterChecks.Quorum).Value);
    }

    [Theory]
    [InlineData(400, "Pass")]
    [InlineData(29.5, "Warn")]
    [InlineData(-1, "Fail")]
    public void CertificatesWarnUnderThirtyDaysAndFailWhenExpired(double daysLeft, string expected)
    {
        var certificate = new CertificateInfo("CN=m2", "AB", Now.AddDays(-300), Now.AddDays(daysLeft), "https://127.0.0.1:2381");
        var (a, b, c) = (NewMember(1), NewMember(2), NewMember(3));
        var list = ListOf(a, b, c);
        var snapshot = new ClusterSnapshot
        {
            TakenAt = Now, MemberList = list,
            Members = [Answering(a, list, 1), Answering(b, list, 1, certificate: certificate), Answering(c, list, 1)],
            ClientCertificate = certificate with { Subject = "CN=client", Source = "/etc/client.pem" },
        };
        var results = EtcdClusterChecks.Evaluate(snapshot);
        Assert.Equal(expected, Single(results, EtcdClusterChecks.ServerCertificate, "m2").Status);
        var client = Single(results, EtcdClusterChecks.ClientCertificate);
        Assert.Equal(expected, client.Status);
        Assert.Contains("/etc/client.pem", client.Message);

        var stricter = EtcdClusterChecks.Evaluate(snapshot, EtcdHealthThresholds.Default with { CertificateWarningDays = 500 });
        Assert.Equal(expected == "Pass" ? "Warn" : expected, Single(stricter, EtcdClusterChecks.ServerCertificate, "m2").Status);
    }

    [Fact]
    public void NoEndpointAnsweringIsOneConnectionFailure()
    {
        var failures = new[]
        {
            new EtcdException(EtcdErrorKind.Unavailable, GrpcStatusCode.Unavailable, "Connection refused by http://a:2379"),
            new EtcdException(EtcdErrorKind.Timeout, GrpcStatusCode.DeadlineExceeded, "http://b:2379 did not answer"),
        };
        var results = EtcdClusterChecks.Evaluate(new ClusterSnapshot { TakenAt = Now, DiscoveryFailures = failures });
        var connection = Assert.Single(results);
        Assert.Equal(EtcdClusterChecks.Connection, connection.Check);
        Assert.Equal(EtcdCheckStatus.Fail, connection.Status);
        Assert.Contains("http://b:2379 did not answer", connection.Message);
        Assert.Equal(EtcdErrorKind.Unavailable, new MemberDiscoveryResult(null, null, failures).ToException().Kind);
    }

    [Fact]
    public void ThresholdsOverrideByCaseInsensitiveKey()
    {
        var thresholds = EtcdHealthThresholds.FromDictionary(new Hashtable
        {
            ["maxappliedindexlag"] = 5000,
            ["DbQuotaWarnPercent"] = "70",
            ["FragmentationMinInUseBytes"] = 256L * 1024 * 1024,
            ["CertificateWarningDays"] = TimeSpan.FromDays(14),
            ["FragmentationMaxInUseRatio"] = 0.25,
        });
        Assert.Equal(5000, thresholds.MaxAppliedIndexLag);
        Assert.Equal(70, thresholds.DbQuotaWarnPercent);
        Assert.Equal(65, thresholds.DbQuotaInfoPercent);
        Assert.Equal(85, thresholds.DbQuotaFailPercent);
        Assert.Equal(256 * EtcdHealthThresholds.MiB, thresholds.FragmentationMinInUseBytes);
        Assert.Equal(14, thresholds.CertificateWarningDays);
        Assert.Equal(0.25, thresholds.FragmentationMaxInUseRatio);
        Assert.Equal(8 * EtcdHealthThresholds.GiB, thresholds.RecommendedMaxDbBytes);
        Assert.Equal(EtcdHealthThresholds.Default, EtcdHealthThresholds.FromDictionary(null));
        Assert.Equal(EtcdHealthThresholds.Default, EtcdHealthThresholds.FromDictionary(new Hashtable()));
    }

    [Fact]
    public void UnknownOrInvalidThresholdsAreRejectedNamingTheValidKeys()
    {
        var unknown = Assert.Throws<ArgumentException>(() => EtcdHealthThresholds.FromDictionary(new Hashtable { ["MaxLag"] = 5 }));
        Assert.Contains("'MaxLag' is not a threshold", unknown.Message);
        Assert.All(EtcdHealthThresholds.Keys, key => Assert.Contains(key, unknown.Message));

        Assert.Contains("must be a number", Assert.Throws<ArgumentException>(() => EtcdHealthThresholds.FromDictionary(new Hashtable { ["MaxAppliedIndexLag"] = "lots" })).Message);
        Assert.Contains("zero or more", Assert.Throws<ArgumentException>(() => EtcdHealthThresholds.FromDictionary(new Hashtable { ["MaxAppliedIndexLag"] = -1 })).Message);
        Assert.Contains("at most 100", Assert.Throws<ArgumentException>(() => EtcdHealthThresholds.FromDictionary(new Hashtable { ["DbQuotaFailPercent"] = 120 })).Message);
        Assert.Contains("must rise", Assert.Throws<ArgumentException>(() => EtcdHealthThresholds.FromDictionary(new Hashtable { ["DbQuotaWarnPercent"] = 90 })).Message);
        Assert.Contains("ratio", Assert.Throws<ArgumentException>(() => EtcdHealthThresholds.FromDictionary(new Hashtable { ["FragmentationMaxInUseRatio"] = 50 })).Message);
    }

    [Fact]
    public void AlarmsAreReadFromStatusErrorsAsEtcdWritesThem()
    {
        // Verbatim from etcd 3.4.23's Status on a member that hit its quota.
        var alarms = StatusAlarms.Parse(["memberID:17010963214147749224 alarm:NOSPACE ", "etcdserver: no leader"]);
        var alarm = Assert.Single(alarms);
        Assert.Equal(17010963214147749224UL, alarm.MemberID);
        Assert.Equal(AlarmType.Nospace, alarm.Alarm);
        Assert.Equal(AlarmType.Corrupt, Assert.Single(StatusAlarms.Parse(["memberID:1 alarm:CORRUPT"])).Alarm);
        Assert.Empty(StatusAlarms.Parse(["memberID:1 alarm:NONE "]));
    }
}
