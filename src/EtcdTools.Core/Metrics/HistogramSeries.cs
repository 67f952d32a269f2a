namespace EtcdTools.Metrics;

/// <summary>
/// One histogram of a family (one label set without <c>le</c>): cumulative bucket counts sorted by
/// upper bound, the last bound +Inf, with the sum and count of observations. From one scrape the
/// counts run since the member started; <see cref="Minus"/> turns two scrapes into the observations between them.
/// </summary>
public sealed class HistogramSeries
{
    public HistogramSeries(MetricLabels labels, double[] upperBounds, double[] cumulativeCounts, double sum, double count)
    {
        if (upperBounds.Length != cumulativeCounts.Length)
            throw new ArgumentException("A histogram needs one count per bucket bound.", nameof(cumulativeCounts));
        Labels = labels;
        UpperBounds = upperBounds;
        CumulativeCounts = cumulativeCounts;
        Sum = sum;
        Count = count;
    }

    public MetricLabels Labels { get; }

    /// <summary>Bucket upper bounds (the <c>le</c> labels), ascending.</summary>
    public IReadOnlyList<double> UpperBounds { get; }

    /// <summary>Observations at or below each bound (cumulative, as exposed).</summary>
    public IReadOnlyList<double> CumulativeCounts { get; }

    public double Sum { get; }

    /// <summary>Observations in all (the _count sample).</summary>
    public double Count { get; }

    /// <summary>The <paramref name="q"/>-quantile as Prometheus's histogram_quantile computes it; NaN without observations.</summary>
    public double Quantile(double q) => HistogramMath.Quantile(q, UpperBounds, CumulativeCounts);

    /// <summary>
    /// The observations made between <paramref name="earlier"/> and this scrape: bucket by bucket,
    /// as Prometheus's increase() reads a counter. A counter that went down means the member
    /// restarted and counted from zero, so this scrape's counts are the increase; so are they when
    /// the bucket layout changed.
    /// </summary>
    public HistogramSeries Minus(HistogramSeries earlier)
    {
        if (!HasSameBuckets(earlier) || HistogramMath.IsReset(earlier.CumulativeCounts, CumulativeCounts) || Count < earlier.Count)
            return this;
        var counts = new double[CumulativeCounts.Count];
        for (var i = 0; i < counts.Length; i++) counts[i] = CumulativeCounts[i] - earlier.CumulativeCounts[i];
        return new HistogramSeries(Labels, [.. UpperBounds], counts, Math.Max(0, Sum - earlier.Sum), Count - earlier.Count);
    }

    /// <summary>True when both have the same bucket bounds, so their counts can be added or subtracted.</summary>
    public bool HasSameBuckets(HistogramSeries other)
    {
        if (other.UpperBounds.Count != UpperBounds.Count) return false;
        for (var i = 0; i < UpperBounds.Count; i++)
            if (!UpperBounds[i].Equals(other.UpperBounds[i])) return false;
        return true;
    }

    public override string ToString() => $"{{{Labels}}} count={Count} sum={Sum}";

    internal sealed class Builder(MetricLabels labels)
    {
        public List<(double Bound, double Count)> Buckets { get; } = [];
        public double Sum { get; set; }
        public double Count { get; set; } = double.NaN;

        public HistogramSeries Build()
        {
            Buckets.Sort((a, b) => a.Bound.CompareTo(b.Bound));
            var bounds = Buckets.Select(b => b.Bound).ToArray();
            var counts = Buckets.Select(b => b.Count).ToArray();
            // Without a _count sample the +Inf bucket holds the total.
            var count = double.IsNaN(Count) ? (counts.Length > 0 ? counts[^1] : 0) : Count;
            return new HistogramSeries(labels, bounds, counts, Sum, count);
        }
    }
}

/// <summary>
/// The arithmetic of Prometheus histograms and counters, done exactly as Prometheus does it, so the
/// numbers match a dashboard built on the same metrics.
/// </summary>
public static class HistogramMath
{
    /// <summary>
    /// The <paramref name="q"/>-quantile of a histogram given by cumulative bucket counts, as
    /// Prometheus's histogram_quantile (promql bucketQuantile): buckets sorted by upper bound,
    /// buckets with equal bounds merged, counts forced monotonic; linear interpolation inside the
    /// bucket the rank falls in, from 0 in the lowest bucket when its upper bound is above 0 (else
    /// that bound itself); in the +Inf bucket, the highest finite bound. NaN when there are no
    /// observations, fewer than two buckets, no +Inf bucket, or q is NaN; -Inf for q &lt; 0, +Inf for q &gt; 1.
    /// </summary>
    public static double Quantile(double q, IReadOnlyList<double> upperBounds, IReadOnlyList<double> cumulativeCounts)
    {
        if (upperBounds.Count != cumulativeCounts.Count)
            throw new ArgumentException("A histogram needs one count per bucket bound.", nameof(cumulativeCounts));
        if (double.IsNaN(q)) return double.NaN;
        if (q < 0) return double.NegativeInfinity;
        if (q > 1) return double.PositiveInfinity;
        if (upperBounds.Count == 0) return double.NaN;

        var buckets = new (double Bound, double Count)[upperBounds.Count];
        for (var i = 0; i < buckets.Length; i++) buckets[i] = (upperBounds[i], cumulativeCounts[i]);
        Array.Sort(buckets, (a, b) => a.Bound.CompareTo(b.Bound));
        if (!double.IsPositiveInfinity(buckets[^1].Bound)) return double.NaN;

        var n = Coalesce(buckets);
        CorrectPrecisionErrors(buckets, n, 1e-12);
        EnsureMonotonic(buckets, n);
        if (n < 2) return double.NaN;
        var observations = buckets[n - 1].Count;
        if (observations == 0) return double.NaN;

        var rank = q * observations;
        // The first bucket (of all but +Inf) whose count reaches the rank.
        var b = 0;
        while (b < n - 1 && buckets[b].Count < rank) b++;
        if (b == n - 1) return buckets[n - 2].Bound;
        if (b == 0 && buckets[0].Bound <= 0) return buckets[0].Bound;

        var start = 0.0;
        var end = buckets[b].Bound;
        var count = buckets[b].Count;
        if (b > 0)
        {
            start = buckets[b - 1].Bound;
            count -= buckets[b - 1].Count;
            rank -= buckets[b - 1].Count;
        }
        return start + (end - start) * (rank / count);
    }

    /// <summary>Merges buckets with the same upper bound (sorted input); returns how many remain at the front.</summary>
    private static int Coalesce((double Bound, double Count)[] buckets)
    {
        var last = buckets[0];
        var i = 0;
        for (var j = 1; j < buckets.Length; j++)
        {
            if (buckets[j].Bound.Equals(last.Bound)) last.Count += buckets[j].Count;
            else
            {
                buckets[i++] = last;
                last = buckets[j];
            }
        }
        buckets[i] = last;
        return i + 1;
    }

    /// <summary>Counts that differ by float noise alone (relative difference within the tolerance) are made equal.</summary>
    private static void CorrectPrecisionErrors((double Bound, double Count)[] buckets, int n, double tolerance)
    {
        var previous = buckets[0].Count;
        for (var i = 1; i < n; i++)
        {
            var current = buckets[i].Count;
            var delta = Math.Abs(current - previous);
            if (delta == 0) continue;
            if (delta / current <= tolerance) buckets[i].Count = previous;
            else previous = current;
        }
    }

    /// <summary>A cumulative count below an earlier one is raised to it (the envelope), so the search for the rank works.</summary>
    private static void EnsureMonotonic((double Bound, double Count)[] buckets, int n)
    {
        var max = buckets[0].Count;
        for (var i = 1; i < n; i++)
        {
            if (buckets[i].Count > max) max = buckets[i].Count;
            else if (buckets[i].Count < max) buckets[i].Count = max;
        }
    }

    /// <summary>
    /// How much a counter grew from <paramref name="earlier"/> to <paramref name="later"/>: the
    /// difference, or, when it went down (the process restarted and counts from zero), the later value.
    /// </summary>
    public static double Increase(double earlier, double later) => later >= earlier ? later - earlier : later;

    /// <summary>True when any cumulative count went down between two scrapes: the member restarted.</summary>
    internal static bool IsReset(IReadOnlyList<double> earlier, IReadOnlyList<double> later)
    {
        for (var i = 0; i < later.Count && i < earlier.Count; i++)
            if (later[i] < earlier[i]) return true;
        return false;
    }
}
