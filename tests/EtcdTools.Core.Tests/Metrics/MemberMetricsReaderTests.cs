using EtcdTools.Metrics;

namespace EtcdTools.Core.Tests.Metrics;

/// <summary>Lines of Prometheus text format as etcd writes them on /metrics.</summary>
public sealed class MemberMetricsReaderTests
{
    [Theory]
    [InlineData("etcd_server_quota_backend_bytes 2.147483648e+09", 2147483648.0)]
    [InlineData("etcd_server_quota_backend_bytes 1.048576e+06 1700000000000", 1048576.0)]
    public void MetricSamplesParse(string line, double expected)
    {
        Assert.True(MemberMetricsReader.TryParseSample(line, MemberMetricsReader.QuotaMetric, out var value));
        Assert.Equal(expected, value);
        Assert.False(MemberMetricsReader.TryParseSample("# HELP etcd_server_quota_backend_bytes Current backend storage quota size in bytes.", MemberMetricsReader.QuotaMetric, out _));
        Assert.False(MemberMetricsReader.TryParseSample("etcd_server_quota_backend_bytes_total 5", MemberMetricsReader.QuotaMetric, out _));
    }
}
