using System.Runtime.CompilerServices;
using EtcdTools.Client;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Metrics;

/// <summary>
/// One sample of one member's /metrics, flat, for ad-hoc questions (Get-EtcdMetric): which member,
/// the metric and its labels as text ("grpc_code=OK,grpc_method=Range"), the value and the type.
/// <see cref="GetLabel"/> reads one label.
/// </summary>
public sealed class EtcdMetricSample
{
    private readonly MetricLabels _labels;

    public EtcdMetricSample()
        : this(MetricLabels.Empty)
    {
    }

    private EtcdMetricSample(MetricLabels labels) => _labels = labels;

    public string Member { get; init; } = "";
    public string MemberId { get; init; } = "";

    /// <summary>The sample's name: a histogram's X_bucket, X_sum or X_count, or the metric's own name.</summary>
    public string Name { get; init; } = "";

    /// <summary>The family it belongs to: the histogram or summary X for X_bucket, else the name itself.</summary>
    public string Family { get; init; } = "";

    /// <summary>The labels as "name=value" pairs separated by commas, in the page's order; empty without labels.</summary>
    public string Labels => _labels.ToString();

    public double Value { get; init; }

    public MetricType Type { get; init; }

    /// <summary>The family's HELP text.</summary>
    public string Help { get; init; } = "";

    /// <summary>The sample's own timestamp when the page gives one (etcd does not); null otherwise.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    public DateTimeOffset ScrapedAt { get; init; }

    /// <summary>The page read.</summary>
    public string MetricsUrl { get; init; } = "";

    public string ClusterId { get; init; } = "";

    /// <summary>The value of one label (e.g. "grpc_code", "To", "le"), or null when the sample has none by that name.</summary>
    public string? GetLabel(string name) => _labels[name];

    public override string ToString() => $"{Name}{(_labels.Count > 0 ? "{" + Labels + "}" : "")} {Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The samples of one member's page that <paramref name="wanted"/> accepts (given sample and family name), in page order.</summary>
    public static IEnumerable<EtcdMetricSample> From(MemberMetrics page, Member member, ulong clusterId, Func<string, string, bool> wanted)
    {
        var name = member.Name.Length > 0 ? member.Name : Client.MemberId.Format(member.ID);
        foreach (var family in page.Metrics.Families)
        {
            foreach (var sample in family.Samples)
            {
                if (!wanted(sample.Name, family.Name)) continue;
                yield return new EtcdMetricSample(sample.Labels)
                {
                    Member = name,
                    MemberId = Client.MemberId.Format(member.ID),
                    Name = sample.Name,
                    Family = family.Name,
                    Value = sample.Value,
                    Type = family.Type,
                    Help = family.Help ?? "",
                    Timestamp = sample.TimestampMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
                    ScrapedAt = page.ScrapedAt,
                    MetricsUrl = page.Url.ToString(),
                    ClusterId = Client.MemberId.Format(clusterId),
                };
            }
        }
    }

    /// <summary>
    /// Every member's page at once, each within <paramref name="timeout"/>, yielded as each arrives;
    /// a member that cannot be read yields its error (the others still report).
    /// </summary>
    public static async IAsyncEnumerable<MemberResult<MemberMetrics>> ReadAsync(EtcdCluster cluster, IReadOnlyList<Member> members,
        IReadOnlyDictionary<string, Uri>? metricsUrls, TimeSpan timeout, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var scraper = new EtcdMetricsScraper(cluster.Settings, EtcdMetricsScraper.ResolveMetricsUrls(metricsUrls, members));
        // The fan-out's own deadline comes a moment after the scrape's, whose error names the metrics page.
        await foreach (var result in cluster.ForEachMemberAsync(members,
                           (client, member, ct) => scraper.ScrapeAsync(scraper.MetricsUrlOf(member, client.Endpoint), timeout, cancellationToken: ct),
                           timeout + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false))
            yield return result;
    }
}
