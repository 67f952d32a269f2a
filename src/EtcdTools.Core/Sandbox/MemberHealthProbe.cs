using System.Diagnostics;
using System.Text.Json;

namespace EtcdTools.Sandbox;

/// <summary>
/// Readiness of sandbox members, from their plain-HTTP /health on the metrics listener: it needs no
/// client certificate, so the same probe serves TLS and plain sandboxes.
/// </summary>
internal static class MemberHealthProbe
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    // NOSPACE is excluded: a full backend still serves reads and is a state tests provoke on purpose;
    // without the exclusion a member of a NOSPACE cluster could never be restarted "ready".
    private const string HealthPath = "/health?exclude=NOSPACE";

    // Plain HTTP to the metrics listeners; never through a proxy from the environment.
    private static readonly HttpClient HealthClient = new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectTimeout = RequestTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>
    /// Polls until every member reports healthy. Throws <see cref="EtcdSandboxException"/> with the log
    /// tail when one exits without having been asked to, or when <paramref name="timeout"/> runs out.
    /// </summary>
    public static async Task WaitHealthyAsync(IReadOnlyList<EtcdSandboxMember> members, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var pending = members.ToList();
        var lastDetail = new Dictionary<EtcdSandboxMember, string>();
        while (pending.Count > 0)
        {
            foreach (var member in pending)
            {
                if (member.Process is { HasExited: true } exited && !member.StopRequested)
                    throw new EtcdSandboxException(
                        $"etcd member {member.Name} exited with code {exited.ExitCode} before it was healthy.", member.Name, member.ReadLogTail());
            }

            var probes = await Task.WhenAll(pending.Select(m => ProbeAsync(m, cancellationToken))).ConfigureAwait(false);
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                if (probes[i].Healthy)
                    pending.RemoveAt(i);
                else
                    lastDetail[pending[i]] = probes[i].Detail;
            }
            if (pending.Count == 0)
                return;

            if (watch.Elapsed >= timeout)
            {
                var first = pending[0];
                var names = string.Join(", ", pending.Select(m => m.Name));
                throw new EtcdSandboxException(
                    $"etcd member(s) {names} not healthy within {timeout.TotalSeconds:0.#} s; {first.Name}'s last /health: {lastDetail[first]}.",
                    first.Name, first.ReadLogTail());
            }
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One /health request (<see cref="RequestTimeout"/> limit): healthy or not, and what was seen, for error messages.</summary>
    public static async Task<(bool Healthy, string Detail)> ProbeAsync(EtcdSandboxMember member, CancellationToken cancellationToken)
    {
        using var requestLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        requestLimit.CancelAfter(RequestTimeout);
        try
        {
            using var response = await HealthClient.GetAsync(member.MetricsUrl + HealthPath, requestLimit.Token).ConfigureAwait(false);
            var body = (await response.Content.ReadAsStringAsync(requestLimit.Token).ConfigureAwait(false)).Trim();
            using var json = JsonDocument.Parse(body);
            var healthy = json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("health", out var health)
                && health.ValueKind switch
                {
                    JsonValueKind.String => health.GetString() == "true",
                    JsonValueKind.True => true,
                    _ => false,
                };
            return (healthy && response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode} {body}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, $"no answer within {RequestTimeout.TotalSeconds} s");
        }
        catch (HttpRequestException e)
        {
            return (false, e.Message);
        }
        catch (JsonException)
        {
            return (false, "an answer that is not JSON");
        }
    }
}
