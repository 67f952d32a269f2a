using EtcdTools.Metrics;

namespace EtcdTools.Core.Tests.Metrics;

/// <summary>
/// histogram_quantile's rules, each on buckets worked out by hand; bucket deltas between scrapes and
/// counter increases with resets.
/// </summary>
public sealed class HistogramMathTests
{
    private static readonly double[] Bounds = [0.1, 0.2, 0.4, double.PositiveInfinity];

    // 10 observations in each bucket: (0, 0.1], (0.1, 0.2], (0.2, 0.4], (0.4, +Inf).
    private static readonly double[] Counts = [10, 20, 30, 40];

    [Theory]
    [InlineData(0.1, 0.04)]   // rank 4 in the lowest bucket, interpolated from 0: 0.1 * 4/10
    [InlineData(0.25, 0.1)]   // rank 10: the lowest bucket's upper bound
    [InlineData(0.5, 0.2)]    // rank 20: 0.1 + 0.1 * (20-10)/10
    [InlineData(0.6, 0.28)]   // rank 24 in (0.2, 0.4]: 0.2 + 0.2 * (24-20)/10
    [InlineData(0.75, 0.4)]   // rank 30: the top of (0.2, 0.4]
    [InlineData(0.99, 0.4)]   // rank 39.6 is in the +Inf bucket: the highest finite bound
    [InlineData(1.0, 0.4)]
    [InlineData(0.0, 0.0)]    // rank 0: the start of the lowest bucket
    public void QuantilesInterpolateLinearlyInsideTheirBucket(double q, double expected) =>
        Assert.Equal(expected, HistogramMath.Quantile(q, Bounds, Counts), 12);

    [Fact]
    public void AnEmptyWindowHasNoQuantile()
    {
        Assert.True(double.IsNaN(HistogramMath.Quantile(0.99, Bounds, [0, 0, 0, 0])));
        Assert.True(double.IsNaN(HistogramMath.Quantile(0.5, [], [])));
    }

    [Fact]
    public void OutOfRangeAndNaNQuantilesFollowPrometheus()
    {
        Assert.Equal(double.NegativeInfinity, HistogramMath.Quantile(-0.1, Bounds, Counts));
        Assert.Equal(double.PositiveInfinity, HistogramMath.Quantile(1.1, Bounds, Counts));
        Assert.True(double.IsNaN(HistogramMath.Quantile(double.NaN, Bounds, Counts)));
    }

    [Fact]
    public void WithoutAnInfBucketOrWithOnlyOneBucketThereIsNoQuantile()
    {
        Assert.True(double.IsNaN(HistogramMath.Quantile(0.5, [0.1, 0.2], [1, 2])));
        Assert.True(double.IsNaN(HistogramMath.Quantile(0.5, [double.PositiveInfinity], [5])));
    }

    [Fact]
    public void ALowestBucketAtOrBelowZeroReturnsItsBoundInsteadOfInterpolating()
    {
        // rank 2.5 of 10 falls in the lowest bucket (le=-1): its bound, not an interpolation from 0.
        Assert.Equal(-1, HistogramMath.Quantile(0.25, [-1, 0, 1, double.PositiveInfinity], [5, 5, 10, 10]));
        // rank 7.5 falls in (0, 1] holding observations 6..10: 0 + 1 * 2.5/5.
        Assert.Equal(0.5, HistogramMath.Quantile(0.75, [-1, 0, 1, double.PositiveInfinity], [5, 5, 10, 10]), 12);
    }

    [Fact]
    public void BucketsAreSortedMergedAndMadeMonotonicFirst()
    {
        // Unsorted input gives the same answer as sorted.
        Assert.Equal(0.28, HistogramMath.Quantile(0.6, [double.PositiveInfinity, 0.4, 0.1, 0.2], [40, 30, 10, 20]), 12);
        // Two buckets with the same bound are added: (0, 0.1] holds 5, so rank 2.5 gives 0.1 * 2.5/5.
        Assert.Equal(0.05, HistogramMath.Quantile(0.5, [0.1, 0.1, double.PositiveInfinity], [2, 3, 5]), 12);
        // A count below an earlier one is raised to it: [10, 5, 20] reads as [10, 10, 20]; rank 10 gives 0.1.
        Assert.Equal(0.1, HistogramMath.Quantile(0.5, [0.1, 0.2, double.PositiveInfinity], [10, 5, 20]), 12);
    }

    [Fact]
    public void TheQuantileOfAWindowComesFromTheBucketDeltasBetweenTwoScrapes()
    {
        var labels = MetricLabels.Empty;
        var earlier = new HistogramSeries(labels, Bounds, [100, 100, 100, 100], 5, 100);
        var later = new HistogramSeries(labels, Bounds, [102, 104, 110, 110], 7.5, 110);
        var window = later.Minus(earlier);
        Assert.Equal([2.0, 4.0, 10.0, 10.0], window.CumulativeCounts);
        Assert.Equal(10, window.Count);
        Assert.Equal(2.5, window.Sum, 12);
        // rank 9.9 of the window's 10 falls in (0.2, 0.4] holding observations 5..10: 0.2 + 0.2 * 5.9/6.
        Assert.Equal(0.2 + 0.2 * 5.9 / 6, window.Quantile(0.99), 12);
        // The all-time histogram says otherwise (rank 55 of 110 in the lowest bucket): the window is what was asked.
        Assert.Equal(0.1 * 55 / 102, later.Quantile(0.5), 12);
        // Nothing observed in between: no value.
        Assert.True(double.IsNaN(later.Minus(later).Quantile(0.99)));
    }

    [Fact]
    public void AHistogramThatWentDownRestartedAndItsLaterCountsAreTheWindow()
    {
        var earlier = new HistogramSeries(MetricLabels.Empty, Bounds, [100, 200, 300, 400], 50, 400);
        var restarted = new HistogramSeries(MetricLabels.Empty, Bounds, [1, 2, 3, 3], 0.5, 3);
        Assert.Same(restarted, restarted.Minus(earlier));
        var otherBuckets = new HistogramSeries(MetricLabels.Empty, [0.5, double.PositiveInfinity], [500, 500], 60, 500);
        Assert.Same(otherBuckets, otherBuckets.Minus(earlier));
    }

    [Fact]
    public void CounterIncreasesTreatADropAsARestartFromZero()
    {
        Assert.Equal(5, HistogramMath.Increase(10, 15));
        Assert.Equal(3, HistogramMath.Increase(15, 3));
        Assert.Equal(0, HistogramMath.Increase(7, 7));
    }
}
