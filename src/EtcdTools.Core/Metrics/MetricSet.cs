namespace EtcdTools.Metrics;

/// <summary>A line of a /metrics page that could not be read, and why; the rest of the page is still read.</summary>
public sealed record MetricsParseProblem(int LineNumber, string Message, string Line)
{
    public override string ToString() => $"line {LineNumber}: {Message}";
}

/// <summary>What one parse of a Prometheus text exposition found: its metric families in page order, and the lines it could not read.</summary>
public sealed class MetricSet
{
    private readonly List<MetricFamily> _families;
    private readonly Dictionary<string, MetricFamily> _byName;

    internal MetricSet(List<MetricFamily> families, IReadOnlyList<MetricsParseProblem> problems)
    {
        _families = families;
        _byName = new Dictionary<string, MetricFamily>(families.Count, StringComparer.Ordinal);
        foreach (var family in families) _byName[family.Name] = family;
        Problems = problems;
    }

    public IReadOnlyList<MetricFamily> Families => _families;

    /// <summary>Malformed lines, each with its line number; empty for a well-formed page.</summary>
    public IReadOnlyList<MetricsParseProblem> Problems { get; }

    /// <summary>The family named <paramref name="name"/> (a histogram by its base name), or null.</summary>
    public MetricFamily? this[string name] => _byName.GetValueOrDefault(name);

    /// <summary>The value of an unlabelled gauge or counter, or null when the page lacks it.</summary>
    public double? Value(string family) => this[family]?.Value;

    /// <summary>The one histogram of a family without labels (or the first series), or null.</summary>
    public HistogramSeries? Histogram(string family) => this[family]?.GetHistograms() is [var first, ..] ? first : null;

    public override string ToString() => $"{_families.Count} families, {_families.Sum(f => f.Samples.Count)} samples, {Problems.Count} problems";
}
