using EtcdTools.Performance;

namespace EtcdTools.Core.Tests.Performance;

/// <summary>Percentiles, mean and deviation on hand-computed cases.</summary>
public sealed class LatencyStatisticsTests
{
    [Fact]
    public void OneHundredSamplesGiveTheirOwnRanks()
    {
        // 1..100 shuffled: the nearest-rank p50 is 50, p90 90, p99 99.
        var samples = Enumerable.Range(1, 100).Select(i => (double)i).OrderBy(i => (i * 37) % 101).ToArray();
        var statistics = LatencyStatistics.Of(samples);
        Assert.Equal(100, statistics.Count);
        Assert.Equal(1, statistics.MinMs);
        Assert.Equal(50, statistics.P50Ms);
        Assert.Equal(90, statistics.P90Ms);
        Assert.Equal(99, statistics.P99Ms);
        Assert.Equal(100, statistics.MaxMs);
        Assert.Equal(50.5, statistics.MeanMs, 12);
        // Population deviation of 1..100: sqrt((100^2 - 1) / 12).
        Assert.Equal(Math.Sqrt(9999.0 / 12), statistics.StddevMs, 12);
    }

    [Fact]
    public void FewSamplesRoundTheRankUp()
    {
        var statistics = LatencyStatistics.Of([4, 2, 8]);
        Assert.Equal(4, statistics.P50Ms);   // rank ceil(1.5) = 2
        Assert.Equal(8, statistics.P90Ms);   // rank ceil(2.7) = 3
        Assert.Equal(8, statistics.P99Ms);
        Assert.Equal(14.0 / 3, statistics.MeanMs, 12);
        Assert.Equal(Math.Sqrt(((4 - 14.0 / 3) * (4 - 14.0 / 3) + (2 - 14.0 / 3) * (2 - 14.0 / 3) + (8 - 14.0 / 3) * (8 - 14.0 / 3)) / 3), statistics.StddevMs, 12);
    }

    [Fact]
    public void NoSamplesGiveZeros()
    {
        var statistics = LatencyStatistics.Of([]);
        Assert.Equal(0, statistics.Count);
        Assert.Equal(0, statistics.P99Ms);
        Assert.Equal(0, statistics.StddevMs);
    }

    [Fact]
    public void OneSampleIsEveryPercentile()
    {
        var statistics = LatencyStatistics.Of([7.5]);
        Assert.Equal(7.5, statistics.P50Ms);
        Assert.Equal(7.5, statistics.P99Ms);
        Assert.Equal(7.5, statistics.MaxMs);
        Assert.Equal(0, statistics.StddevMs);
    }
}
