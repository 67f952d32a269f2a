using System.Globalization;
using EtcdTools.Client;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Health;

/// <summary>
/// Judges a <see cref="ClusterSnapshot"/>: one <see cref="EtcdCheckResult"/> per check and member.
/// A check that cannot be evaluated (its member did not answer) says so as a Warn, never a silent
/// Pass. The cluster passes when no result is a Fail (<see cref="AllPassed"/>).
/// </summary>
public static class EtcdClusterChecks
{
    // Check names, as documented in Test-EtcdCluster's help.
    public const string Connection = "Connection";
    public const string Quorum = "Quorum";
    public const string FaultTolerance = "FaultTolerance";
    public const string MemberHealth = "MemberHealth";
    public const string Leader = "Leader";
    public const string ClusterId = "ClusterId";
    public const string MemberList = "MemberList";
    public const string Alarms = "Alarms";
    public const string AppliedIndexLag = "AppliedIndexLag";
    public const string DbQuota = "DbQuota";
    public const string Fragmentation = "Fragmentation";
    public const string DbSizeLimit = "DbSizeLimit";
    public const string Learner = "Learner";
    public const string ServerCertificate = "ServerCertificate";
    public const string ClientCertificate = "ClientCertificate";

    /// <summary>True when no result is a Fail; warnings do not fail a cluster.</summary>
    public static bool AllPassed(IEnumerable<EtcdCheckResult> results) => results.All(r => r.Status != EtcdCheckStatus.Fail);

    public static IReadOnlyList<EtcdCheckResult> Evaluate(ClusterSnapshot snapshot, EtcdHealthThresholds? thresholds = null)
    {
        thresholds ??= EtcdHealthThresholds.Default;
        var results = new List<EtcdCheckResult>();
        if (snapshot.MemberList is null)
        {
            results.Add(ConnectionFailed(snapshot));
        }
        else
        {
            results.AddRange(CheckQuorum(snapshot));
            results.AddRange(snapshot.Members.Select(CheckMemberHealth));
            results.Add(CheckLeader(snapshot));
            results.Add(CheckClusterId(snapshot));
            results.Add(CheckMemberList(snapshot));
            results.Add(CheckAlarms(snapshot));
            results.AddRange(CheckAppliedIndexLag(snapshot, thresholds));
            results.AddRange(snapshot.Members.Select(m => CheckDbQuota(m, thresholds)));
            results.AddRange(snapshot.Members.Select(m => CheckFragmentation(m, thresholds)));
            results.AddRange(snapshot.Members.Select(m => CheckDbSizeLimit(m, thresholds)));
            results.AddRange(CheckLearners(snapshot));
            results.AddRange(snapshot.Members.Where(m => m.Endpoint?.Scheme == Uri.UriSchemeHttps || m.ServerCertificate is not null)
                .Select(m => CheckServerCertificate(m, snapshot.TakenAt, thresholds)));
        }
        if (CheckClientCertificate(snapshot, thresholds) is { } client) results.Add(client);
        return results;
    }

    // ---- connection ----

    private static EtcdCheckResult ConnectionFailed(ClusterSnapshot snapshot)
    {
        var failures = snapshot.DiscoveryFailures;
        var kinds = failures.Select(f => f.Kind).Distinct().ToList();
        var advice = kinds switch
        {
            [EtcdErrorKind.AuthenticationFailed] => "Check the user name and password (-Credential).",
            [EtcdErrorKind.ClientCertificateRejected] or [EtcdErrorKind.ClientCertificateRequired] =>
                "Use a current client certificate issued by the CA in etcd's --trusted-ca-file (-CertificatePath, -KeyPath).",
            [EtcdErrorKind.ServerCertificate] => "Pass the cluster's CA bundle with -CaCertificatePath.",
            _ => "Check that etcd runs on every endpoint and that the endpoints are its client URLs; then check the members' logs.",
        };
        return Result(Connection, null, EtcdCheckStatus.Fail,
            value: $"0/{failures.Count} endpoints answered",
            threshold: "at least one endpoint answers",
            message: "No endpoint answered the member list, so no other check could run: " + string.Join(" ", failures.Select(f => f.Message)),
            recommendation: advice);
    }

    // ---- quorum ----

    /// <summary>A member that answered the linearizable read takes part in quorum, even with an alarm active.</summary>
    private static bool ServedRead(MemberObservation m) => m.Health.Healthy || m.Alarms is not null;

    private static IEnumerable<EtcdCheckResult> CheckQuorum(ClusterSnapshot snapshot)
    {
        var voters = snapshot.Members.Where(m => !m.Member.IsLearner).ToList();
        var quorum = voters.Count / 2 + 1;
        var up = voters.Count(ServedRead);
        var down = voters.Where(m => !ServedRead(m)).Select(m => m.DisplayName).ToList();
        var value = $"{up}/{voters.Count} voting members answer";
        var threshold = $"quorum {quorum} of {voters.Count}";

        yield return up >= quorum
            ? Result(Quorum, null, EtcdCheckStatus.Pass, value, threshold,
                $"{up} of {voters.Count} voting members answer a linearizable read; quorum is {quorum}.")
            : Result(Quorum, null, EtcdCheckStatus.Fail, value, threshold,
                $"Quorum is lost: only {up} of {voters.Count} voting members answer ({string.Join(", ", down)} do not); {quorum} are needed. The cluster accepts no writes and no linearizable reads.",
                "Bring the stopped or unreachable members back first. If a majority is lost for good, restore the cluster from a snapshot (etcdutl snapshot restore) or force a new cluster from a surviving member.");

        var tolerance = up - quorum;
        var even = voters.Count % 2 == 0 && voters.Count > 0
            ? $" An even number of members tolerates no more failures than {voters.Count - 1} would." : "";
        if (voters.Count == 1)
            yield return Result(FaultTolerance, null, EtcdCheckStatus.Warn, "0 failures tolerated", "at least 1",
                "A single-member cluster has no fault tolerance by design: if the member fails, the cluster is down.",
                "Run 3 (or 5) members in production; one member is fine for development.");
        else if (tolerance >= 1)
            yield return Result(FaultTolerance, null, EtcdCheckStatus.Pass, $"{tolerance} failure(s) tolerated", "at least 1",
                $"The cluster can lose {tolerance} more voting member(s) and keep quorum.{even}");
        else if (tolerance == 0)
            yield return Result(FaultTolerance, null, EtcdCheckStatus.Warn, "0 failures tolerated", "at least 1",
                $"No fault tolerance left: {up} of {voters.Count} voting members answer and quorum is {quorum}, so losing one more loses the cluster. Down: {string.Join(", ", down)}.",
                "Bring back or replace the unhealthy member(s) now, and postpone maintenance that restarts members.");
        else
            yield return Result(FaultTolerance, null, EtcdCheckStatus.Fail, $"{tolerance} (quorum lost)", "at least 1",
                $"No fault tolerance: quorum is already lost ({up} of {voters.Count} answer, {quorum} needed).",
                "Restore quorum first: bring the down members back.");
    }

    private static EtcdCheckResult CheckMemberHealth(MemberObservation m)
    {
        var took = m.Health.TookMs.ToString("0.#", CultureInfo.InvariantCulture) + " ms";
        if (m.Health.Healthy)
            return Result(MemberHealth, m, EtcdCheckStatus.Pass, $"healthy ({took})", "answers a linearizable read, no NOSPACE/CORRUPT alarm",
                $"The member answered a {(m.Member.IsLearner ? "serializable" : "linearizable")} read in {took}.");
        var recommendation = m.Health.Alarms.Contains("NOSPACE", StringComparison.Ordinal)
            ? "Reclaim space with Repair-EtcdQuota: it compacts to the current revision, defragments every member one at a time and disarms the alarm."
            : m.Health.Alarms.Contains("CORRUPT", StringComparison.Ordinal)
                ? "The member's data differs from the others': replace it (remove it, wipe its data directory, add it back) rather than disarming the alarm."
                : "Check the member's process, logs, disk and network; Get-EtcdHealth -MemberId shows it alone.";
        return Result(MemberHealth, m, EtcdCheckStatus.Fail, "unhealthy", "answers a linearizable read, no NOSPACE/CORRUPT alarm",
            $"The member is unhealthy: {m.Health.Error}", recommendation);
    }

    // ---- agreement between members ----

    private static EtcdCheckResult CheckLeader(ClusterSnapshot snapshot)
    {
        var answering = snapshot.Members.Where(m => m.Status is not null).ToList();
        var silent = snapshot.Members.Where(m => m.Status is null).Select(m => m.DisplayName).ToList();
        var silentNote = silent.Count == 0 ? "" : $" {string.Join(", ", silent)} did not answer Status.";
        const string threshold = "exactly one leader, agreed by every answering member";
        if (answering.Count == 0)
            return Result(Leader, null, EtcdCheckStatus.Fail, "unknown", threshold,
                "No member answered Status, so the leader is unknown." + silentNote, "Check that the members run and are reachable.");

        var leaderless = answering.Where(m => m.Status!.Leader == 0).Select(m => m.DisplayName).ToList();
        if (leaderless.Count > 0)
            return Result(Leader, null, EtcdCheckStatus.Fail, "none", threshold,
                $"{string.Join(", ", leaderless)} report(s) no leader: an election is under way or quorum is lost.{silentNote}",
                "Run the check again in a few seconds; if it persists, check quorum and the network between members (peer URLs).");

        var views = answering.GroupBy(m => m.Status!.Leader).ToList();
        if (views.Count > 1)
            return Result(Leader, null, EtcdCheckStatus.Fail, $"{views.Count} different leaders", threshold,
                "Members disagree on the leader: " + string.Join("; ", views.Select(v => $"{string.Join(", ", v.Select(m => m.DisplayName))} see {NameOf(snapshot, v.Key)}"))
                + $". An election may be in progress, or a member is partitioned.{silentNote}",
                "Run the check again in a few seconds; a lasting disagreement points at a network partition between members.");

        var leaderId = views[0].Key;
        var leader = snapshot.Members.FirstOrDefault(m => m.Member.ID == leaderId);
        if (leader is null)
            return Result(Leader, null, EtcdCheckStatus.Fail, MemberId.Format(leaderId), threshold,
                $"The members name {MemberId.Format(leaderId)} as leader, which is not in the member list.{silentNote}",
                "Compare the member lists of the members (MemberList check); a stale member may be left from an earlier cluster.");
        if (leader.Status is null)
            return Result(Leader, null, EtcdCheckStatus.Warn, leader.DisplayName, threshold,
                $"The answering members still name {leader.DisplayName} as leader, but it does not answer itself: they will elect a new leader after the election timeout.{silentNote}",
                "Check the leader's process and host; run the check again in a few seconds.");
        return Result(Leader, null, EtcdCheckStatus.Pass, leader.DisplayName, threshold,
            $"{leader.DisplayName} ({MemberId.Format(leaderId)}) leads in term {leader.Status.RaftTerm}; all {answering.Count} answering member(s) agree.{silentNote}");
    }

    private static EtcdCheckResult CheckClusterId(ClusterSnapshot snapshot)
    {
        var seen = new List<(string Who, ulong Id)>();
        if (snapshot.MemberList?.Header is { ClusterId: > 0 } header) seen.Add(("the member list", header.ClusterId));
        foreach (var m in snapshot.Members)
        {
            if (m.Status?.Header is { ClusterId: > 0 } status) seen.Add((m.DisplayName, status.ClusterId));
            if (m.MemberList?.Header is { ClusterId: > 0 } list) seen.Add((m.DisplayName, list.ClusterId));
        }
        var ids = seen.Select(s => s.Id).Distinct().ToList();
        const string threshold = "one cluster ID";
        if (ids.Count == 0)
            return Result(ClusterId, null, EtcdCheckStatus.Warn, "unknown", threshold, "No member reported a cluster ID.");
        if (ids.Count == 1)
            return Result(ClusterId, null, EtcdCheckStatus.Pass, MemberId.Format(ids[0]), threshold,
                $"Every answering member belongs to cluster {MemberId.Format(ids[0])}.");
        return Result(ClusterId, null, EtcdCheckStatus.Fail, string.Join(",", ids.Select(MemberId.Format)), threshold,
            "The endpoints belong to different clusters: " + string.Join("; ", seen.GroupBy(s => s.Id)
                .Select(g => $"{MemberId.Format(g.Key)}: {string.Join(", ", g.Select(s => s.Who).Distinct())}")) + ".",
            "Check the endpoints: one of them is a member of another etcd cluster (or was re-created with a new data directory).");
    }

    private static EtcdCheckResult CheckMemberList(ClusterSnapshot snapshot)
    {
        static string Describe(MemberListResponse list) => string.Join(" ", list.Members.OrderBy(m => m.ID)
            .Select(m => $"{MemberId.Format(m.ID)}{(m.IsLearner ? "(learner)" : "")}={string.Join(",", m.PeerURLs.Order(StringComparer.Ordinal))}"));

        var reference = Describe(snapshot.MemberList!);
        var answering = snapshot.Members.Where(m => m.MemberList is not null).ToList();
        var silent = snapshot.Members.Where(m => m.MemberList is null).Select(m => m.DisplayName).ToList();
        var silentNote = silent.Count == 0 ? "" : $" {string.Join(", ", silent)} did not answer.";
        var differing = answering.Where(m => Describe(m.MemberList!) != reference).ToList();
        var value = $"{answering.Count - differing.Count}/{snapshot.Members.Count} agree";
        const string threshold = "the same member list on every member";
        if (differing.Count == 0)
            return answering.Count == 0
                ? Result(MemberList, null, EtcdCheckStatus.Warn, value, threshold,
                    "No member answered its own member list, so agreement could not be checked." + silentNote,
                    "Check that the members run and are reachable.")
                : Result(MemberList, null, EtcdCheckStatus.Pass, value, threshold,
                    $"{answering.Count} member(s) agree on {snapshot.MemberList!.Members.Count} members and their peer URLs.{silentNote}");
        return Result(MemberList, null, EtcdCheckStatus.Fail, value, threshold,
            $"Members see different member lists. Expected: {reference}. "
            + string.Join("; ", differing.Select(m => $"{m.DisplayName} sees: {Describe(m.MemberList!)}")) + "." + silentNote,
            "A member that missed a membership change is partitioned or behind; if it does not catch up, remove it and add it back with a clean data directory.");
    }

    // ---- alarms, raft, space ----

    private static EtcdCheckResult CheckAlarms(ClusterSnapshot snapshot)
    {
        var lists = snapshot.Members.Where(m => m.Alarms is not null).SelectMany(m => m.Alarms!)
            .Concat(snapshot.Members.Where(m => m.Status is not null).SelectMany(m => StatusAlarms.Parse(m.Status!.Errors)))
            .Where(a => a.Alarm != AlarmType.None)
            .DistinctBy(a => (a.MemberID, a.Alarm))
            .ToList();
        var read = snapshot.Members.Any(m => m.Alarms is not null || m.Status is not null);
        const string threshold = "no active alarm";
        if (lists.Count == 0)
            return read
                ? Result(Alarms, null, EtcdCheckStatus.Pass, "none", threshold, "No alarm is active.")
                : Result(Alarms, null, EtcdCheckStatus.Warn, "unknown", threshold, "No member answered the alarm list or Status, so alarms could not be read.",
                    "Check that the members run and are reachable.");
        var described = lists.Select(a => $"{StatusAlarms.Name(a.Alarm)} on {NameOf(snapshot, a.MemberID)}").ToList();
        var recommendation = lists.Any(a => a.Alarm == AlarmType.Corrupt)
            ? "CORRUPT: a member's data differs from the others'. Find it (hash the members at one revision), replace it from the healthy members, and only then disarm."
            : "NOSPACE: the cluster refuses writes. Repair-EtcdQuota compacts to the current revision, defragments every member one at a time and disarms the alarm; raise --quota-backend-bytes if the data really needs more room.";
        return Result(Alarms, null, EtcdCheckStatus.Fail, string.Join(",", described), threshold,
            $"Active alarm(s): {string.Join(", ", described)}.", recommendation);
    }

    private static IEnumerable<EtcdCheckResult> CheckAppliedIndexLag(ClusterSnapshot snapshot, EtcdHealthThresholds thresholds)
    {
        var answering = snapshot.Members.Where(m => m.Status is not null).ToList();
        var highest = answering.Count == 0 ? 0UL : answering.Max(m => m.Status!.RaftAppliedIndex);
        var threshold = $"Warn > {thresholds.MaxAppliedIndexLag} entries behind";
        foreach (var m in snapshot.Members)
        {
            if (m.Status is null)
            {
                yield return CannotEvaluate(AppliedIndexLag, m, threshold, m.StatusError);
                continue;
            }
            var lag = (long)(highest - m.Status.RaftAppliedIndex);
            var value = $"{lag} entries behind (applied {m.Status.RaftAppliedIndex} of {highest})";
            yield return lag > thresholds.MaxAppliedIndexLag
                ? Result(AppliedIndexLag, m, EtcdCheckStatus.Warn, value, threshold,
                    $"The member has applied {lag} fewer raft entries than the most advanced member: it is slow to apply (disk, CPU) or catching up after a restart.",
                    "Run the check again: a member catching up closes the gap within seconds. A lasting lag points at a slow disk (compare WAL fsync and backend commit latencies).")
                : Result(AppliedIndexLag, m, EtcdCheckStatus.Pass, value, threshold,
                    $"The member is {lag} entries behind the most advanced member.");
        }
    }

    private static EtcdCheckResult CheckDbQuota(MemberObservation m, EtcdHealthThresholds t)
    {
        var threshold = string.Create(CultureInfo.InvariantCulture, $"info {t.DbQuotaInfoPercent}%, Warn {t.DbQuotaWarnPercent}%, Fail {t.DbQuotaFailPercent}%");
        if (m.Status is null) return CannotEvaluate(DbQuota, m, threshold, m.StatusError);
        if (m.QuotaBytes is not { } quota)
            return Result(DbQuota, m, EtcdCheckStatus.Warn, ByteSize.Format(m.Status.DbSize) + " of an unknown quota", threshold,
                "The backend quota is unknown: etcd before 3.6 does not report it in Status, and the member's /metrics could not be read.",
                "Allow this client to read /metrics on the client URL (it needs the client certificate), or compare the database size with --quota-backend-bytes by hand (default 2 GiB).");
        var percent = 100.0 * m.Status.DbSize / quota;
        var value = string.Create(CultureInfo.InvariantCulture, $"{percent:0.0}% ({ByteSize.Format(m.Status.DbSize)} of {ByteSize.Format(quota)})");
        const string reclaim = "Compact old revisions and defragment the members one at a time to shrink the file; raise --quota-backend-bytes (up to 8 GiB) if the data itself has grown.";
        if (percent >= t.DbQuotaFailPercent)
            return Result(DbQuota, m, EtcdCheckStatus.Fail, value, threshold,
                $"The database uses {value} of its quota: at 100% etcd raises NOSPACE and refuses every write.", reclaim);
        if (percent >= t.DbQuotaWarnPercent)
            return Result(DbQuota, m, EtcdCheckStatus.Warn, value, threshold,
                $"The database uses {value} of its quota.", reclaim);
        if (percent >= t.DbQuotaInfoPercent)
            return Result(DbQuota, m, EtcdCheckStatus.Pass, value, threshold,
                string.Create(CultureInfo.InvariantCulture, $"The database uses {value} of its quota, above {t.DbQuotaInfoPercent}%: plan compaction and defragmentation before it reaches {t.DbQuotaWarnPercent}%."));
        return Result(DbQuota, m, EtcdCheckStatus.Pass, value, threshold, $"The database uses {value} of its quota.");
    }

    private static EtcdCheckResult CheckFragmentation(MemberObservation m, EtcdHealthThresholds t)
    {
        var threshold = string.Create(CultureInfo.InvariantCulture,
            $"Warn when in use < {t.FragmentationMaxInUseRatio:0.##} of the file and in use > {ByteSize.Format(t.FragmentationMinInUseBytes)}");
        if (m.Status is null) return CannotEvaluate(Fragmentation, m, threshold, m.StatusError);
        var total = m.Status.DbSize;
        var inUse = m.Status.DbSizeInUse;
        var ratio = total > 0 ? (double)inUse / total : 1;
        var value = string.Create(CultureInfo.InvariantCulture, $"{ratio:0.00} in use ({ByteSize.Format(inUse)} of {ByteSize.Format(total)})");
        return ratio < t.FragmentationMaxInUseRatio && inUse > t.FragmentationMinInUseBytes
            ? Result(Fragmentation, m, EtcdCheckStatus.Warn, value, threshold,
                $"{ByteSize.Format(total - inUse)} of the {ByteSize.Format(total)} file is free pages: the file counts against the quota and slows snapshots.",
                "Defragment the member (it blocks the member's reads and writes meanwhile): one member at a time, the leader last.")
            : Result(Fragmentation, m, EtcdCheckStatus.Pass, value, threshold,
                $"{ByteSize.Format(total - inUse)} of {ByteSize.Format(total)} is free pages.");
    }

    private static EtcdCheckResult CheckDbSizeLimit(MemberObservation m, EtcdHealthThresholds t)
    {
        var limit = ByteSize.Format(t.RecommendedMaxDbBytes);
        var threshold = $"Warn when the quota or the database exceeds {limit}";
        if (m.Status is null && m.QuotaBytes is null) return CannotEvaluate(DbSizeLimit, m, threshold, m.StatusError);
        var over = new List<string>();
        if (m.QuotaBytes > t.RecommendedMaxDbBytes) over.Add($"the quota is {ByteSize.Format(m.QuotaBytes.Value)}");
        if (m.Status?.DbSize > t.RecommendedMaxDbBytes) over.Add($"the database is {ByteSize.Format(m.Status.DbSize)}");
        var value = $"quota {(m.QuotaBytes is { } q ? ByteSize.Format(q) : "unknown")}, database {(m.Status is null ? "unknown" : ByteSize.Format(m.Status.DbSize))}";
        return over.Count > 0
            ? Result(DbSizeLimit, m, EtcdCheckStatus.Warn, value, threshold,
                $"{string.Join(" and ", over)}, above the {limit} etcd suggests: large backends make snapshots, defragmentation and member recovery slow.",
                "Keep the data small (compact, store large objects elsewhere) and the quota at or below 8 GiB.")
            : Result(DbSizeLimit, m, EtcdCheckStatus.Pass, value, threshold, $"Within the {limit} etcd suggests.");
    }

    private static IEnumerable<EtcdCheckResult> CheckLearners(ClusterSnapshot snapshot)
    {
        var leaderApplied = snapshot.Members.Where(m => m.Status is { } s && s.Leader == m.Member.ID).Select(m => (ulong?)m.Status!.RaftAppliedIndex).FirstOrDefault();
        foreach (var m in snapshot.Members.Where(m => m.Member.IsLearner))
        {
            var progress = m.Status is { } s && leaderApplied is { } l
                ? $"applied {s.RaftAppliedIndex} of the leader's {l}"
                : "progress unknown";
            // etcd promotes a learner only once it has caught up to 90% of the leader's log.
            var ready = m.Status is { } st && leaderApplied is { } la && st.RaftAppliedIndex >= la * 9 / 10;
            yield return Result(Learner, m, EtcdCheckStatus.Warn, progress, "no learner waiting",
                ready
                    ? "The member is a learner (a non-voting member) that has caught up and waits for promotion."
                    : "The member is a learner (a non-voting member) still catching up with the leader; it does not count towards quorum.",
                "Promote it once it has caught up (etcdctl member promote), or remove it if it was abandoned.");
        }
    }

    // ---- certificates ----

    private static EtcdCheckResult CheckServerCertificate(MemberObservation m, DateTimeOffset now, EtcdHealthThresholds t)
    {
        var threshold = CertificateThreshold(t);
        if (m.ServerCertificate is null)
            return CannotEvaluate(ServerCertificate, m, threshold, m.ServerCertificateError, "its certificate could not be read");
        return JudgeCertificate(ServerCertificate, m, m.ServerCertificate, now, t,
            "Renew the member's server certificate (--cert-file) before it expires and restart the member; clients and peers refuse an expired one.");
    }

    private static EtcdCheckResult? CheckClientCertificate(ClusterSnapshot snapshot, EtcdHealthThresholds t)
    {
        if (snapshot.ClientCertificate is null && snapshot.ClientCertificateError is null) return null;
        if (snapshot.ClientCertificate is null)
            return Result(ClientCertificate, null, EtcdCheckStatus.Fail, "unreadable", CertificateThreshold(t),
                $"The client certificate in use could not be read: {snapshot.ClientCertificateError}", "Check -CertificatePath and -KeyPath.");
        return JudgeCertificate(ClientCertificate, null, snapshot.ClientCertificate, snapshot.TakenAt, t,
            "Renew the client certificate (kubeadm: kubeadm certs renew etcd-healthcheck-client); etcd refuses an expired one.");
    }

    private static string CertificateThreshold(EtcdHealthThresholds t) =>
        string.Create(CultureInfo.InvariantCulture, $"Warn < {t.CertificateWarningDays:0.#} days left, Fail when expired");

    private static EtcdCheckResult JudgeCertificate(string check, MemberObservation? m, CertificateInfo certificate, DateTimeOffset now,
        EtcdHealthThresholds t, string renew)
    {
        var left = certificate.NotAfter - now;
        var days = left.TotalDays;
        var value = string.Create(CultureInfo.InvariantCulture, $"expires {certificate.NotAfter.UtcDateTime:yyyy-MM-dd HH:mm} UTC ({Math.Floor(days):0} days)");
        var threshold = CertificateThreshold(t);
        var what = $"The certificate '{certificate.Subject}' ({certificate.Source})";
        if (left <= TimeSpan.Zero)
            return Result(check, m, EtcdCheckStatus.Fail, value, threshold,
                string.Create(CultureInfo.InvariantCulture, $"{what} expired on {certificate.NotAfter.UtcDateTime:u}, {Math.Floor(-days):0} days ago."), renew);
        if (certificate.NotBefore > now)
            return Result(check, m, EtcdCheckStatus.Fail, value, threshold,
                $"{what} is not valid before {certificate.NotBefore.UtcDateTime:u}: check the clocks of this machine and the members.",
                "Synchronise clocks (NTP), or reissue the certificate with a validity that has begun.");
        if (days < t.CertificateWarningDays)
            return Result(check, m, EtcdCheckStatus.Warn, value, threshold,
                string.Create(CultureInfo.InvariantCulture, $"{what} expires in {days:0.#} days, on {certificate.NotAfter.UtcDateTime:u}."), renew);
        return Result(check, m, EtcdCheckStatus.Pass, value, threshold,
            string.Create(CultureInfo.InvariantCulture, $"{what} is valid for {Math.Floor(days):0} more days."));
    }

    // ---- helpers ----

    private static EtcdCheckResult CannotEvaluate(string check, MemberObservation m, string threshold, EtcdException? error, string what = "it did not answer Status") =>
        Result(check, m, EtcdCheckStatus.Warn, "unknown", threshold,
            $"Could not be evaluated: {what}{(error is null ? "." : ": " + error.Message)}",
            "Fix the member's reachability (see the MemberHealth check), then check again.");

    private static string NameOf(ClusterSnapshot snapshot, ulong id)
    {
        var member = snapshot.Members.FirstOrDefault(m => m.Member.ID == id)?.Member
            ?? snapshot.MemberList?.Members.FirstOrDefault(m => m.ID == id);
        return member is { Name.Length: > 0 } ? $"{member.Name} ({MemberId.Format(id)})" : MemberId.Format(id);
    }

    private static EtcdCheckResult Result(string check, MemberObservation? member, string status, string value, string threshold,
        string message, string recommendation = "") => new()
    {
        Check = check,
        Member = member?.DisplayName ?? EtcdCheckResult.ClusterScope,
        MemberId = member is null ? "" : MemberId.Format(member.Member.ID),
        Status = status,
        Value = value,
        Threshold = threshold,
        Message = message,
        Recommendation = status == EtcdCheckStatus.Pass ? "" : recommendation,
    };
}
