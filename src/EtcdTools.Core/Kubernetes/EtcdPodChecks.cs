using EtcdTools.Health;

namespace EtcdTools.Kubernetes;

/// <summary>
/// The checks a Kubernetes connection adds to Test-EtcdCluster: each etcd pod's readiness, the
/// restarts of its etcd container, and the warnings of its recent log (slow applies and syncs,
/// late heartbeats, leader losses and changes, alarms, cluster ID mismatches, unreachable peers).
/// </summary>
public static class EtcdPodChecks
{
    /// <summary>How far back the log is read for <see cref="LogWarnings"/>: the mixin's window for leader changes.</summary>
    public static readonly TimeSpan DefaultLogWindow = TimeSpan.FromMinutes(15);

    public const string PodReady = "PodReady";
    public const string PodRestarts = "PodRestarts";
    public const string LogWarnings = "LogWarnings";

    /// <summary>The log categories that count as warnings.</summary>
    public static readonly IReadOnlySet<EtcdLogCategory> WarningCategories = new HashSet<EtcdLogCategory>
    {
        EtcdLogCategory.SlowApply, EtcdLogCategory.SlowFdatasync, EtcdLogCategory.HeartbeatLate, EtcdLogCategory.LeaderLost,
        EtcdLogCategory.LeaderChanged, EtcdLogCategory.NoSpaceAlarm, EtcdLogCategory.Alarm, EtcdLogCategory.ClusterIdMismatch,
        EtcdLogCategory.PeerUnreachable, EtcdLogCategory.TlsRejected,
    };

    /// <summary>Three checks per pod, read fresh from the API server; a pod whose log cannot be read gets a Warn saying why.</summary>
    public static async Task<IReadOnlyList<EtcdCheckResult>> EvaluateAsync(EtcdKubernetesConnection connection, TimeSpan? logWindow = null, CancellationToken cancellationToken = default)
    {
        var window = logWindow ?? DefaultLogWindow;
        var results = new List<EtcdCheckResult>();
        foreach (var state in await ReadAsync(connection, window, cancellationToken).ConfigureAwait(false))
        {
            var pod = state.Pod;
            results.Add(new EtcdCheckResult
            {
                Check = PodReady,
                Member = pod.MemberName,
                Status = pod.Ready ? EtcdCheckStatus.Pass : EtcdCheckStatus.Fail,
                Value = pod.Ready ? "Ready" : $"not ready ({pod.Phase})",
                Threshold = "Fail when not Ready",
                Message = pod.Ready ? $"Pod {pod.Namespace}/{pod.Name} is Ready." : $"Pod {pod.Namespace}/{pod.Name} on {pod.Node} is not Ready (phase {pod.Phase}).",
                Recommendation = pod.Ready ? "" : $"Look at its events and log: kubectl -n {pod.Namespace} describe pod {pod.Name}; Get-EtcdPod | Get-EtcdPodLog -Tail 200.",
            });
            var last = pod.LastTerminationReason.Length == 0 ? "" :
                $" The last instance ended with {pod.LastTerminationReason}{(pod.LastExitCode is { } code ? $" (exit code {code})" : "")}{(pod.LastTerminated is { } at ? $" at {at:u}" : "")}.";
            results.Add(new EtcdCheckResult
            {
                Check = PodRestarts,
                Member = pod.MemberName,
                Status = pod.Restarts == 0 ? EtcdCheckStatus.Pass : EtcdCheckStatus.Warn,
                Value = pod.Restarts.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Threshold = "Warn > 0",
                Message = pod.Restarts == 0 ? $"The etcd container of {pod.Name} never restarted." : $"The etcd container of {pod.Name} restarted {pod.Restarts} time(s).{last}",
                Recommendation = pod.Restarts == 0 ? "" : "Read the log of the previous instance: Get-EtcdPod | Where-Object Restarts | Get-EtcdPodLog -Previous -IncludeOther -Tail 100.",
            });
            results.Add(LogCheck(state, window));
        }
        return results;
    }

    /// <summary>
    /// Each member's health with its pod's readiness, restarts and recent log warnings beside it
    /// (Get-EtcdHealth on a Kubernetes connection). A member without a pod of the same member name keeps empty pod fields.
    /// </summary>
    public static EtcdMemberHealth WithPod(EtcdMemberHealth health, IReadOnlyList<EtcdPodState> pods)
    {
        var state = pods.FirstOrDefault(p => health.Name.Length > 0 && string.Equals(p.Pod.MemberName, health.Name, StringComparison.Ordinal));
        return state is null ? health : health with
        {
            Pod = $"{state.Pod.Namespace}/{state.Pod.Name}",
            PodReady = state.Pod.Ready,
            PodRestarts = state.Pod.Restarts,
            LogWarnings = state.LogError is null ? state.LogWarnings : null,
        };
    }

    /// <summary>Every etcd pod as the API server reports it now, with the warnings of its log in <paramref name="window"/>.</summary>
    public static async Task<IReadOnlyList<EtcdPodState>> ReadAsync(EtcdKubernetesConnection connection, TimeSpan? window = null, CancellationToken cancellationToken = default)
    {
        var since = window ?? DefaultLogWindow;
        var pods = await connection.Kubernetes.GetPodsAsync(cancellationToken).ConfigureAwait(false);
        // One log read per pod, all at once: three pods cost one round trip's time, not three.
        return await Task.WhenAll(pods.Select(pod => ReadStateAsync(connection, pod, since, cancellationToken))).ConfigureAwait(false);
    }

    private static async Task<EtcdPodState> ReadStateAsync(EtcdKubernetesConnection connection, EtcdPod pod, TimeSpan window, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<EtcdLogCategory, int>();
        try
        {
            await foreach (var entry in connection.Kubernetes.ReadLogAsync(pod, new EtcdLogQuery { Since = window }, cancellationToken).ConfigureAwait(false))
                if (WarningCategories.Contains(entry.Category)) counts[entry.Category] = counts.GetValueOrDefault(entry.Category) + 1;
        }
        catch (KubernetesException e)
        {
            return new EtcdPodState(pod, 0, "", e.Message);
        }
        var detail = string.Join(", ", counts.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}"));
        return new EtcdPodState(pod, counts.Values.Sum(), detail, null);
    }

    private static EtcdCheckResult LogCheck(EtcdPodState state, TimeSpan window)
    {
        var pod = state.Pod;
        if (state.LogError is not null)
        {
            return new EtcdCheckResult
            {
                Check = LogWarnings,
                Member = pod.MemberName,
                Status = EtcdCheckStatus.Warn,
                Value = "unknown",
                Threshold = $"Warn > 0 in {Duration.Format(window)}",
                Message = $"The log of {pod.Name} could not be read: {state.LogError}",
                Recommendation = "Ask for 'get' on pods/log in the namespace.",
            };
        }
        var total = state.LogWarnings;
        return new EtcdCheckResult
        {
            Check = LogWarnings,
            Member = pod.MemberName,
            Status = total == 0 ? EtcdCheckStatus.Pass : EtcdCheckStatus.Warn,
            Value = total.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Threshold = $"Warn > 0 in {Duration.Format(window)}",
            Message = total == 0 ? $"No warning in the log of {pod.Name} in the last {Duration.Format(window)}." : $"{total} warning(s) in the log of {pod.Name} in the last {Duration.Format(window)}: {state.LogWarningDetail}.",
            Recommendation = total == 0 ? "" : $"Read them: Get-EtcdPod | Get-EtcdPodLog -Since {Duration.Format(window)} | Group-Object Category.",
        };
    }
}

/// <summary>An etcd pod now, and the warnings of its recent log (<see cref="LogError"/> says why they are unknown).</summary>
public sealed record EtcdPodState(EtcdPod Pod, int LogWarnings, string LogWarningDetail, string? LogError);
