using EtcdTools.Client;
using EtcdTools.Metrics;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Health;

/// <summary>
/// Reads a <see cref="ClusterSnapshot"/>: the member list, then from every member at once its
/// health, Status, own member list, quota and (with TLS) server certificate, all within one
/// per-member timeout, so one hung member costs one timeout however many members there are.
/// </summary>
public static class EtcdClusterInspector
{
    public static async Task<ClusterSnapshot> InspectAsync(EtcdCluster cluster, TimeSpan? perMemberTimeout = null, CancellationToken cancellationToken = default)
    {
        var limit = perMemberTimeout ?? cluster.Settings.CommandTimeout;
        var takenAt = DateTimeOffset.Now;
        var (clientCertificate, clientCertificateError) = ReadClientCertificate(cluster.Settings);

        var discovery = await MemberDiscovery.DiscoverAsync(cluster, limit, cancellationToken).ConfigureAwait(false);
        if (discovery.MemberList is null)
            return new ClusterSnapshot
            {
                TakenAt = takenAt, DiscoveryFailures = discovery.Failures,
                ClientCertificate = clientCertificate, ClientCertificateError = clientCertificateError,
            };

        using var metrics = new EtcdMetricsScraper(cluster.Settings);
        var observations = new List<MemberObservation>();
        await foreach (var result in cluster.ForEachMemberAsync(discovery.MemberList.Members,
                           (client, member, deadline) => ObserveAsync(cluster, client, member, metrics, limit, deadline, cancellationToken),
                           limit, cancellationToken).ConfigureAwait(false))
        {
            // Only a member without a client URL fails here: ObserveAsync catches everything else.
            observations.Add(result.Value ?? new MemberObservation
            {
                Member = result.Member,
                Health = EtcdHealthProbe.Unreachable(result.Member, cluster.ClusterId, result.Endpoint, result.Error!, result.Took).Health,
                StatusError = result.Error,
                MemberListError = result.Error,
            });
        }
        // Member-list order, not completion order, so reports read the same every time.
        var order = discovery.MemberList.Members.Select(m => m.ID).ToList();
        observations.Sort((a, b) => order.IndexOf(a.Member.ID).CompareTo(order.IndexOf(b.Member.ID)));
        return new ClusterSnapshot
        {
            TakenAt = takenAt,
            MemberList = discovery.MemberList,
            Members = observations,
            ClientCertificate = clientCertificate,
            ClientCertificateError = clientCertificateError,
        };
    }

    private static async Task<MemberObservation> ObserveAsync(EtcdCluster cluster, EtcdClient client, Member member, EtcdMetricsScraper metrics,
        TimeSpan limit, CancellationToken deadline, CancellationToken cancellationToken)
    {
        var health = EtcdHealthProbe.ProbeMemberAsync(client, member, cluster.ClusterId, limit, deadline, cancellationToken);
        var status = Guard(member, client.Endpoint, limit, () => client.StatusAsync(timeout: limit, cancellationToken: deadline), cancellationToken);
        var list = Guard(member, client.Endpoint, limit, () => client.MemberListAsync(timeout: limit, cancellationToken: deadline), cancellationToken);
        var quota = metrics.ReadQuotaAsync(member, client.Endpoint, deadline);
        var certificate = client.Endpoint.Scheme == Uri.UriSchemeHttps
            ? Guard(member, client.Endpoint, limit, () => ServerCertificateProbe.GetAsync(client.Endpoint, cluster.Settings, deadline), cancellationToken)
            : Task.FromResult<(CertificateInfo? Value, EtcdException? Error)>((null, null));
        await Task.WhenAll(health, status, list, quota, certificate).ConfigureAwait(false);

        var (statusValue, statusError) = status.Result;
        var probe = health.Result;
        return new MemberObservation
        {
            Member = member,
            Endpoint = client.Endpoint,
            Health = probe.Health,
            Alarms = probe.Alarms,
            Status = statusValue,
            StatusError = statusError,
            MemberList = list.Result.Value,
            MemberListError = list.Result.Error,
            QuotaBytes = (statusValue is null ? null : StatusQuota.Read(statusValue)) ?? quota.Result,
            ServerCertificate = certificate.Result.Value,
            ServerCertificateError = certificate.Result.Error,
        };
    }

    /// <summary>Runs one read, turning its failure (or the member's deadline passing) into an error value.</summary>
    private static async Task<(T? Value, EtcdException? Error)> Guard<T>(Member member, Uri endpoint, TimeSpan limit,
        Func<Task<T>> read, CancellationToken cancellationToken) where T : class
    {
        try
        {
            return (await read().ConfigureAwait(false), null);
        }
        catch (EtcdException e)
        {
            return (null, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, EtcdHealthProbe.TimedOut(member, endpoint, limit, e));
        }
    }

    private static (CertificateInfo?, string?) ReadClientCertificate(EtcdConnectionSettings settings)
    {
        if (settings.CertificatePath is null) return (null, null);
        try
        {
            return (CertificateInfo.FromPemFile(settings.CertificatePath), null);
        }
        catch (EtcdException e)
        {
            return (null, e.Message);
        }
    }
}
