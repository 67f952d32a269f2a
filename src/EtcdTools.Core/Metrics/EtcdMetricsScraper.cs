using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using EtcdTools.Client;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Metrics;

/// <summary>One scrape of a member's /metrics: when, from where, how long it took, and what it held.</summary>
public sealed class MemberMetrics
{
    internal MemberMetrics(Uri url, DateTimeOffset scrapedAt, long timestamp, TimeSpan took, int bytes, MetricSet metrics)
    {
        Url = url;
        ScrapedAt = scrapedAt;
        Timestamp = timestamp;
        Took = took;
        Bytes = bytes;
        Metrics = metrics;
    }

    /// <summary>The page read (…/metrics).</summary>
    public Uri Url { get; }

    public DateTimeOffset ScrapedAt { get; }

    /// <summary>When the page arrived, in <see cref="Stopwatch"/> ticks: rates divide by the time between two of these.</summary>
    public long Timestamp { get; }

    public TimeSpan Took { get; }

    /// <summary>Bytes of the page (after decompression).</summary>
    public int Bytes { get; }

    public MetricSet Metrics { get; }
}

/// <summary>
/// Reads members' Prometheus endpoints. A member serves /metrics on its client URL (with the
/// connection's TLS: on a port with --client-cert-auth it wants the client certificate too) unless
/// it has a metrics URL of its own: given here by member name or hex ID (-MetricsUrl), or in the
/// settings (<see cref="EtcdConnectionSettings.MetricsUrls"/>, e.g. kubeadm's http://127.0.0.1:2381
/// found by Connect-EtcdCluster -Kubernetes). Requests go through the settings' connector, so a
/// Kubernetes port-forward serves them as it serves the gRPC calls. Each metrics URL keeps its own
/// parser, so repeated scrapes of a member reuse its names and label sets.
/// </summary>
public sealed class EtcdMetricsScraper : IDisposable
{
    /// <summary>The quota gauge; etcd 3.4 has no other way to report --quota-backend-bytes.</summary>
    public const string QuotaMetric = "etcd_server_quota_backend_bytes";

    /// <summary>The key of a metrics URL map that means "the one member asked for" (a single -MetricsUrl).</summary>
    public const string OnlyMember = "*";

    /// <summary>A page larger than this is not etcd's (which is about 150 KB, a few MB with --metrics=extensive).</summary>
    private const int MaxPageBytes = 64 << 20;

    private readonly EtcdConnectionSettings _settings;
    private readonly IReadOnlyDictionary<string, Uri>? _metricsUrls;
    private readonly HttpClient? _http;
    private readonly TlsMaterial? _tls;
    private readonly string? _setupError;
    private readonly ConcurrentDictionary<Uri, PrometheusTextParser> _parsers = new();

    /// <param name="settings">The connection: TLS material, connector, dial timeout and the members' metrics URLs.</param>
    /// <param name="metricsUrls">Metrics URLs by member name or hex ID, ahead of the settings' (-MetricsUrl).</param>
    public EtcdMetricsScraper(EtcdConnectionSettings settings, IReadOnlyDictionary<string, Uri>? metricsUrls = null)
    {
        _settings = settings;
        _metricsUrls = metricsUrls is null ? null : new Dictionary<string, Uri>(metricsUrls, StringComparer.OrdinalIgnoreCase);
        var useTls = settings.UsesTlsEndpoints
            || (settings.MetricsUrls?.Values ?? []).Concat(metricsUrls?.Values ?? []).Any(u => u.Scheme == Uri.UriSchemeHttps);
        try
        {
            var handler = EndpointHttpHandler.Create(settings.ToTransportOptions(), useTls, out _tls);
            handler.AutomaticDecompression = DecompressionMethods.GZip;
            _http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        }
        catch (EtcdException e)
        {
            // The same settings fail the gRPC calls with this error; here the metrics are merely unreadable.
            _setupError = e.Message;
        }
    }

    /// <summary>Why no metrics can be read at all (unusable TLS files), or null.</summary>
    public string? SetupError => _setupError;

    /// <summary>
    /// The base URL (scheme, host, port) where <paramref name="member"/> serves /metrics: its own
    /// metrics URL given here or in the settings, else <paramref name="clientUrl"/>.
    /// </summary>
    public Uri MetricsUrlOf(Member member, Uri clientUrl) =>
        Find(_metricsUrls, member) ?? Find(_settings.MetricsUrls, member) ?? clientUrl;

    private static Uri? Find(IReadOnlyDictionary<string, Uri>? urls, Member member)
    {
        if (urls is null) return null;
        if (member.Name.Length > 0 && urls.TryGetValue(member.Name, out var byName)) return byName;
        return urls.TryGetValue(MemberId.Format(member.ID), out var byId) ? byId : null;
    }

    /// <summary>
    /// Metrics URLs as the user gave them (-MetricsUrl: by member name or hex ID, or <see cref="OnlyMember"/>
    /// for the one member asked for), keyed by member name. A URL that is not http(s), a key that
    /// is no member asked for, or one URL for several members throws <see cref="ArgumentException"/>.
    /// </summary>
    public static Dictionary<string, Uri>? ResolveMetricsUrls(IReadOnlyDictionary<string, Uri>? given, IReadOnlyList<Member> members)
    {
        if (given is null || given.Count == 0) return null;
        var resolved = new Dictionary<string, Uri>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, url) in given)
        {
            if (url.Scheme is not ("http" or "https") || !url.IsAbsoluteUri)
                throw new ArgumentException($"The metrics URL '{url}' for '{key}' is not an http:// or https:// URL.");
            if (key == OnlyMember)
            {
                if (members.Count != 1)
                    throw new ArgumentException(
                        $"One metrics URL ({url}) fits one member, but {members.Count} are asked for: give -MemberId, or a hashtable of member name to URL, e.g. @{{ {string.Join("; ", members.Select(m => $"'{m.Name}' = 'http://...:2381'"))} }}.");
                resolved[members[0].Name] = url;
                continue;
            }
            var member = members.FirstOrDefault(m => string.Equals(m.Name, key, StringComparison.OrdinalIgnoreCase) || (MemberId.TryParse(key, out var id) && m.ID == id))
                ?? throw new ArgumentException(
                    $"-MetricsUrl names '{key}', which is not a member asked for. Members: {string.Join(", ", members.Select(m => $"{m.Name} ({MemberId.Format(m.ID)})"))}.");
            resolved[member.Name.Length > 0 ? member.Name : MemberId.Format(member.ID)] = url;
        }
        return resolved;
    }

    /// <summary>The page to request for a base URL: /metrics under a bare authority, the URL itself when it names a path.</summary>
    public static Uri PageOf(Uri metricsUrl) =>
        metricsUrl.AbsolutePath is "/" or "" ? new Uri(metricsUrl, "/metrics") : metricsUrl;

    /// <summary>
    /// Reads and parses one member's page within <paramref name="timeout"/>. Only the families
    /// <paramref name="includeFamily"/> accepts are kept (all without it). A page with malformed
    /// lines still returns, with them in <see cref="MetricSet.Problems"/>. Throws
    /// <see cref="EtcdException"/> naming the URL when the page cannot be read.
    /// </summary>
    public async Task<MemberMetrics> ScrapeAsync(Uri metricsUrl, TimeSpan timeout, Func<string, bool>? includeFamily = null,
        CancellationToken cancellationToken = default)
    {
        var page = PageOf(metricsUrl);
        if (_http is null)
            throw new EtcdException(EtcdErrorKind.TlsConfiguration, GrpcStatusCode.Unavailable, $"The metrics at {page} cannot be read: {_setupError}");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan) deadline.CancelAfter(timeout);
        var started = Stopwatch.GetTimestamp();
        byte[]? buffer = null;
        try
        {
            using var response = await _http.GetAsync(page, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new EtcdException(EtcdErrorKind.Unavailable, GrpcStatusCode.Unavailable,
                    $"{page} answered {(int)response.StatusCode} {response.ReasonPhrase}: is this the member's metrics URL?", endpoint: page);
            await using var body = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MaxPageBytes)
                        throw new EtcdException(EtcdErrorKind.Protocol, GrpcStatusCode.Internal, $"{page} sent more than {MaxPageBytes >> 20} MiB: not an etcd metrics page.", endpoint: page);
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await body.ReadAsync(buffer.AsMemory(length), deadline.Token).ConfigureAwait(false);
                if (read == 0) break;
                length += read;
            }
            var arrived = Stopwatch.GetTimestamp();
            var parser = _parsers.GetOrAdd(page, _ => new PrometheusTextParser());
            var metrics = parser.ParseUtf8(buffer.AsSpan(0, length), includeFamily);
            return new MemberMetrics(page, DateTimeOffset.Now, arrived, Stopwatch.GetElapsedTime(started, arrived), length, metrics);
        }
        catch (Exception e) when (e is not EtcdException && !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, page, deadline.IsCancellationRequested ? timeout : null);
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The value of an unlabelled gauge such as <see cref="QuotaMetric"/> from the page at
    /// <paramref name="metricsUrl"/>; null when it cannot be read or lacks the metric. Never throws
    /// but for the caller's cancellation.
    /// </summary>
    public async Task<double?> ReadGaugeAsync(Uri metricsUrl, string metric, CancellationToken cancellationToken)
    {
        try
        {
            var page = await ScrapeAsync(metricsUrl, Timeout.InfiniteTimeSpan, name => string.Equals(name, metric, StringComparison.Ordinal), cancellationToken).ConfigureAwait(false);
            return page.Metrics.Value(metric);
        }
        catch (EtcdException)
        {
            // Unreachable, refused or unparsable: the value is unknown, which callers report; the
            // member's own error comes from its gRPC calls.
            return null;
        }
    }

    /// <summary>The member's backend quota in bytes from its metrics, or null (never throws; the caller's deadline bounds it).</summary>
    public async Task<long?> ReadQuotaAsync(Member member, Uri clientUrl, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadGaugeAsync(MetricsUrlOf(member, clientUrl), QuotaMetric, cancellationToken).ConfigureAwait(false) is { } value && value > 0 ? (long)value : null;
        }
        catch (OperationCanceledException)
        {
            // The member's deadline passed: the quota is unknown, as for a member that cannot be reached.
            return null;
        }
    }

    /// <summary>What HttpClient and the TLS stack throw, as one <see cref="EtcdException"/> that names the page and what to check.</summary>
    private EtcdException Translate(Exception e, Uri page, TimeSpan? timedOut)
    {
        var chain = new List<Exception>();
        for (var x = e; x is not null; x = x.InnerException) chain.Add(x);
        if (timedOut is { } limit)
            return Error(EtcdErrorKind.Timeout, $"The metrics at {page} did not arrive within {Duration.Format(limit)}: the member may be hung or overloaded.");
        if (chain.OfType<EndpointConnectionException>().FirstOrDefault() is { } route)
            return Error(route.Kind, $"The metrics at {page} cannot be read: {route.Message}");
        if (chain.OfType<SocketException>().FirstOrDefault() is { } socket)
        {
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => Error(EtcdErrorKind.Unavailable, $"Connection refused by {page.GetLeftPart(UriPartial.Authority)}: nothing serves metrics there. Is the member running, and is this its metrics URL?"),
                SocketError.TimedOut => Error(EtcdErrorKind.Timeout, $"Could not connect to {page.GetLeftPart(UriPartial.Authority)} within the dial timeout of {Duration.Format(_settings.DialTimeout)}."),
                _ => Error(EtcdErrorKind.Unavailable, $"Could not read the metrics at {page}: {socket.Message}{ClientCertificateHint(page)}"),
            };
        }
        if (chain.Any(x => x is TimeoutException) || e is OperationCanceledException)
            return Error(EtcdErrorKind.Timeout, $"Could not connect to {page.GetLeftPart(UriPartial.Authority)} within the dial timeout of {Duration.Format(_settings.DialTimeout)}: the host is unreachable or the member is hung.");
        if (_tls?.LastValidationFailure is { } failure && chain.Any(x => x is AuthenticationException))
            return Error(EtcdErrorKind.ServerCertificate, $"TLS with {page.GetLeftPart(UriPartial.Authority)} failed: {failure}.");
        return Error(EtcdErrorKind.Unavailable, $"Could not read the metrics at {page}: {chain[^1].Message}{ClientCertificateHint(page)}");

        EtcdException Error(EtcdErrorKind kind, string message) =>
            new(kind, kind == EtcdErrorKind.Timeout ? GrpcStatusCode.DeadlineExceeded : GrpcStatusCode.Unavailable, message, endpoint: page, innerException: e);
    }

    /// <summary>On https without a client certificate, a refused connection is most likely --client-cert-auth.</summary>
    private string ClientCertificateHint(Uri page) =>
        page.Scheme == Uri.UriSchemeHttps && _tls?.ClientCertificate is null
            ? " (a member with --client-cert-auth wants a client certificate for /metrics: pass -CertificatePath and -KeyPath)" : "";

    public void Dispose() => _http?.Dispose();
}
