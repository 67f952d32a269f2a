using System.Globalization;
using EtcdTools.Client;
using EtcdTools.Protocol;

namespace EtcdTools.Metrics;

/// <summary>
/// Reads single gauges from a member's Prometheus endpoint at <c>{client URL}/metrics</c>, with the
/// connection's TLS material (on a port with --client-cert-auth, /metrics needs the client
/// certificate too). Used for what etcd 3.4's Status lacks, such as the backend quota.
/// </summary>
public sealed class MemberMetricsReader : IDisposable
{
    /// <summary>The quota gauge; etcd 3.4 has no other way to report --quota-backend-bytes.</summary>
    public const string QuotaMetric = "etcd_server_quota_backend_bytes";

    private readonly HttpClient? _http;
    private readonly string? _setupError;

    public MemberMetricsReader(EtcdConnectionSettings settings)
    {
        try
        {
            _http = EndpointHttpHandler.CreateClient(settings.ToTransportOptions(), settings.UsesTlsEndpoints);
        }
        catch (EtcdException e)
        {
            // The same settings fail the gRPC calls with this error; the metrics are merely unknown.
            _setupError = e.Message;
        }
    }

    /// <summary>
    /// The value of an unlabelled gauge such as <see cref="QuotaMetric"/> from the member at
    /// <paramref name="clientUrl"/>; null when the endpoint cannot be read or lacks the metric.
    /// Never throws.
    /// </summary>
    public async Task<double?> ReadGaugeAsync(Uri clientUrl, string metric, CancellationToken cancellationToken)
    {
        if (_http is null) return null;
        try
        {
            using var response = await _http.GetAsync(new Uri(clientUrl, "/metrics"), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return null;
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(body);
            // Stop at the metric: no need to read the other ~150 KB.
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (TryParseSample(line, metric, out var value)) return value;
            }
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException or OperationCanceledException)
        {
            // Unreachable, refused, or the member's deadline passed: the value is unknown, which
            // callers report; the member's own error comes from its gRPC calls.
            return null;
        }
    }

    /// <summary>Why no metric can be read at all (unusable TLS files), or null.</summary>
    public string? SetupError => _setupError;

    /// <summary>The backend quota in bytes, or null.</summary>
    public async Task<long?> ReadQuotaAsync(Uri clientUrl, CancellationToken cancellationToken) =>
        await ReadGaugeAsync(clientUrl, QuotaMetric, cancellationToken).ConfigureAwait(false) is { } value && value > 0 ? (long)value : null;

    /// <summary>Parses "name value" (Prometheus text format, no labels); false for other lines.</summary>
    internal static bool TryParseSample(string line, string metric, out double value)
    {
        value = 0;
        if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length <= metric.Length || line[metric.Length] != ' ') return false;
        var rest = line[(metric.Length + 1)..].Trim();
        var space = rest.IndexOf(' ');
        if (space > 0) rest = rest[..space]; // an optional timestamp follows the value
        return double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    public void Dispose() => _http?.Dispose();
}
