namespace EtcdTools.Performance;

/// <summary>
/// Percentiles, mean and standard deviation of every latency measured (milliseconds), not of a
/// histogram: the tests here record each request or sync. Percentiles are nearest-rank (the
/// smallest sample with at least p% of the samples at or below it), so each one is a latency that
/// really happened; the standard deviation is the population's, as etcd's benchmark report computes it.
/// </summary>
internal readonly record struct LatencyStatistics(int Count, double MinMs, double P50Ms, double P90Ms, double P99Ms, double MaxMs, double MeanMs, double StddevMs)
{
    /// <summary>The statistics of <paramref name="samplesMs"/>, which this sorts in place; all zero when there are none.</summary>
    public static LatencyStatistics Of(double[] samplesMs) => Of(samplesMs.AsSpan());

    public static LatencyStatistics Of(Span<double> samplesMs)
    {
        if (samplesMs.Length == 0) return default;
        samplesMs.Sort();
        double sum = 0;
        foreach (var sample in samplesMs) sum += sample;
        var mean = sum / samplesMs.Length;
        double squares = 0;
        foreach (var sample in samplesMs) squares += (sample - mean) * (sample - mean);
        return new LatencyStatistics(samplesMs.Length, samplesMs[0], Percentile(samplesMs, 50), Percentile(samplesMs, 90), Percentile(samplesMs, 99),
            samplesMs[^1], mean, Math.Sqrt(squares / samplesMs.Length));
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double percent)
    {
        if (sorted.Length == 0) return 0;
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }
}
