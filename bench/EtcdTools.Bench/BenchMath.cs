namespace EtcdTools.Bench;

/// <summary>The statistics every benchmark reports.</summary>
internal static class BenchMath
{
    /// <summary>The median of the runs (NaN for none): ratios of medians are what the benchmarks report.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
