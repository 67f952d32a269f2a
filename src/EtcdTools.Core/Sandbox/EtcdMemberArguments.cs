namespace EtcdTools.Sandbox;

/// <summary>The etcd command line of one sandbox member: its URLs, the cluster it belongs to, TLS, and the options' tuning.</summary>
internal static class EtcdMemberArguments
{
    /// <param name="member">The member to start.</param>
    /// <param name="cluster">Every member of the sandbox, for <c>--initial-cluster</c>.</param>
    /// <param name="clusterToken">The sandbox's name, its <c>--initial-cluster-token</c>.</param>
    /// <param name="initialClusterState">"new" at the first start, "existing" at a restart on the same data directory.</param>
    /// <param name="serverCertificate">The member's certificate for both its ports; null without TLS.</param>
    /// <param name="options">Quota, raft timing and extra flags, the same for every member.</param>
    /// <param name="initialCluster">The <c>--initial-cluster</c> of a member joining a running cluster (as MemberAdd gives it); null: every member of <paramref name="cluster"/>.</param>
    public static List<string> Build(EtcdSandboxMember member, IReadOnlyList<EtcdSandboxMember> cluster, string clusterToken,
        string initialClusterState, IssuedCertificate? serverCertificate, EtcdSandboxOptions options, string? initialCluster = null)
    {
        var arguments = new List<string>
        {
            $"--name={member.Name}",
            $"--data-dir={member.DataDirectory}",
            $"--listen-client-urls={member.ClientUrl}",
            $"--advertise-client-urls={options.AdvertisedClientUrls?[member.Index] ?? member.ClientUrl}",
            $"--listen-peer-urls={member.PeerUrl}",
            $"--initial-advertise-peer-urls={member.PeerUrl}",
            $"--initial-cluster={initialCluster ?? string.Join(',', cluster.Select(m => $"{m.Name}={m.PeerUrl}"))}",
            $"--initial-cluster-token={clusterToken}",
            $"--initial-cluster-state={initialClusterState}",
            $"--listen-metrics-urls={member.MetricsUrl}",
        };
        if (serverCertificate is { } server)
        {
            arguments.AddRange(
            [
                $"--cert-file={server.CertificatePath}",
                $"--key-file={server.KeyPath}",
                "--client-cert-auth=true",
                $"--trusted-ca-file={server.CaCertificatePath}",
                $"--peer-cert-file={server.CertificatePath}",
                $"--peer-key-file={server.KeyPath}",
                "--peer-client-cert-auth=true",
                $"--peer-trusted-ca-file={server.CaCertificatePath}",
            ]);
        }
        if (options.QuotaBackendBytes is { } quota)
            arguments.Add($"--quota-backend-bytes={quota}");
        if (options.HeartbeatInterval is { } heartbeat)
            arguments.Add($"--heartbeat-interval={(long)heartbeat.TotalMilliseconds}");
        if (options.ElectionTimeout is { } election)
            arguments.Add($"--election-timeout={(long)election.TotalMilliseconds}");
        arguments.AddRange(options.ExtraArguments);
        return arguments;
    }
}
