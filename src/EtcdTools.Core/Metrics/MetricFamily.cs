namespace EtcdTools.Metrics;

/// <summary>The TYPE of a metric family in the Prometheus text format; Untyped when no TYPE line names it.</summary>
public enum MetricType
{
    Untyped,
    Counter,
    Gauge,
    Histogram,
    Summary,
}

/// <summary>One sample line: its full name (a histogram's X_bucket, X_sum, X_count), labels, value and optional timestamp.</summary>
public readonly record struct MetricSample(string Name, MetricLabels Labels, double Value, long? TimestampMs);

/// <summary>
/// A metric family: the samples sharing one name (for histograms and summaries, the base name of
/// their _bucket, _sum and _count samples), with its HELP text and TYPE.
/// </summary>
public sealed class MetricFamily
{
    private readonly List<MetricSample> _samples = [];

    internal MetricFamily(string name, MetricType type, string? help)
    {
        Name = name;
        Type = type;
        Help = help;
    }

    public string Name { get; }

    public MetricType Type { get; internal set; }

    /// <summary>The HELP text, unescaped; null when the family has none.</summary>
    public string? Help { get; internal set; }

    public IReadOnlyList<MetricSample> Samples => _samples;

    internal void Add(in MetricSample sample) => _samples.Add(sample);

    /// <summary>
    /// The family's histograms, one per label set without <c>le</c>, each with its buckets sorted by
    /// upper bound, sum and count. Empty for families of another type.
    /// </summary>
    public IReadOnlyList<HistogramSeries> GetHistograms()
    {
        if (Type != MetricType.Histogram) return [];
        var bucketName = Name + "_bucket";
        var sumName = Name + "_sum";
        var countName = Name + "_count";
        var series = new Dictionary<string, HistogramSeries.Builder>(StringComparer.Ordinal);
        foreach (var sample in _samples)
        {
            var labels = sample.Labels.Without("le");
            var key = labels.ToString();
            if (!series.TryGetValue(key, out var builder)) series[key] = builder = new HistogramSeries.Builder(labels);
            if (string.Equals(sample.Name, bucketName, StringComparison.Ordinal))
            {
                if (sample.Labels["le"] is { } le && PrometheusTextParser.TryParseValue(le, out var bound)) builder.Buckets.Add((bound, sample.Value));
            }
            else if (string.Equals(sample.Name, sumName, StringComparison.Ordinal)) builder.Sum = sample.Value;
            else if (string.Equals(sample.Name, countName, StringComparison.Ordinal)) builder.Count = sample.Value;
        }
        return series.Values.Select(b => b.Build()).ToList();
    }

    /// <summary>The first sample's value (for an unlabelled gauge or counter), or null when there is none.</summary>
    public double? Value => _samples.Count > 0 ? _samples[0].Value : null;

    /// <summary>The sum of every sample's value (a counter summed over its labels).</summary>
    public double Sum()
    {
        var total = 0.0;
        foreach (var sample in _samples) total += sample.Value;
        return total;
    }

    public override string ToString() => $"{Name} ({Type}, {_samples.Count} samples)";
}
