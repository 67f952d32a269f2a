using EtcdTools.Metrics;

namespace EtcdTools.Core.Tests.Metrics;

/// <summary>The text exposition format on hand-written pages (each rule, each malformed line) and on a real etcd 3.4 page.</summary>
public sealed class PrometheusTextParserTests
{
    internal static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Metrics", "Fixtures", "etcd-3.4-metrics.txt");

    [Fact]
    public void HelpTypeCountersGaugesAndUntypedSamplesAreRead()
    {
        var set = new PrometheusTextParser().Parse("""
            # HELP etcd_server_proposals_failed_total The total number of failed proposals seen.
            # TYPE etcd_server_proposals_failed_total counter
            etcd_server_proposals_failed_total 3
            # TYPE etcd_server_has_leader gauge
            etcd_server_has_leader 1
            # just a comment
            some_untyped_metric{a="b"} 2.5e-3
            """);
        Assert.Empty(set.Problems);
        Assert.Equal(["etcd_server_proposals_failed_total", "etcd_server_has_leader", "some_untyped_metric"], set.Families.Select(f => f.Name));
        var failed = set["etcd_server_proposals_failed_total"]!;
        Assert.Equal(MetricType.Counter, failed.Type);
        Assert.Equal("The total number of failed proposals seen.", failed.Help);
        Assert.Equal(3, failed.Value);
        Assert.Equal(MetricType.Gauge, set["etcd_server_has_leader"]!.Type);
        Assert.Null(set["etcd_server_has_leader"]!.Help);
        var untyped = set["some_untyped_metric"]!;
        Assert.Equal(MetricType.Untyped, untyped.Type);
        Assert.Equal(0.0025, untyped.Value);
        Assert.Equal("b", untyped.Samples[0].Labels["a"]);
        Assert.Equal("a=b", untyped.Samples[0].Labels.ToString());
    }

    [Fact]
    public void LabelValueEscapesAndHelpEscapesAreUndone()
    {
        var set = new PrometheusTextParser().Parse("""
            # HELP m A back\\slash and a line\nfeed; \t stays.
            m{path="C:\\etcd",quote="say \"hi\"",lines="one\ntwo",empty=""} 1
            """);
        Assert.Empty(set.Problems);
        var labels = set["m"]!.Samples[0].Labels;
        Assert.Equal(@"C:\etcd", labels["path"]);
        Assert.Equal("say \"hi\"", labels["quote"]);
        Assert.Equal("one\ntwo", labels["lines"]);
        Assert.Equal("", labels["empty"]);
        Assert.Null(labels["missing"]);
        Assert.Equal("A back\\slash and a line\nfeed; \\t stays.", set["m"]!.Help);
    }

    [Fact]
    public void SpecialValuesTimestampsWhitespaceAndCarriageReturnsAreRead()
    {
        var set = new PrometheusTextParser().Parse(
            "a +Inf\r\nb -Inf\r\nc NaN 1700000000000\r\n  d\t{x=\"1\" , y=\"2\",}\t  -4.5  -17 \r\n\r\ne inf\nf 1e+06\n");
        Assert.Empty(set.Problems);
        Assert.Equal(double.PositiveInfinity, set.Value("a"));
        Assert.Equal(double.NegativeInfinity, set.Value("b"));
        Assert.True(double.IsNaN(set.Value("c")!.Value));
        Assert.Equal(1700000000000, set["c"]!.Samples[0].TimestampMs);
        Assert.Null(set["a"]!.Samples[0].TimestampMs);
        var d = set["d"]!.Samples[0];
        Assert.Equal(-4.5, d.Value);
        Assert.Equal(-17, d.TimestampMs);
        Assert.Equal("x=1,y=2", d.Labels.ToString());
        Assert.Equal(double.PositiveInfinity, set.Value("e"));
        Assert.Equal(1_000_000, set.Value("f"));
    }

    [Fact]
    public void HistogramsGroupBucketsSumAndCountPerLabelSetSortedByBound()
    {
        var set = new PrometheusTextParser().Parse("""
            # TYPE etcd_network_peer_round_trip_time_seconds histogram
            etcd_network_peer_round_trip_time_seconds_bucket{To="a",le="0.2"} 3
            etcd_network_peer_round_trip_time_seconds_bucket{To="a",le="0.1"} 1
            etcd_network_peer_round_trip_time_seconds_bucket{To="a",le="+Inf"} 4
            etcd_network_peer_round_trip_time_seconds_sum{To="a"} 0.75
            etcd_network_peer_round_trip_time_seconds_count{To="a"} 4
            etcd_network_peer_round_trip_time_seconds_bucket{To="b",le="0.1"} 0
            etcd_network_peer_round_trip_time_seconds_bucket{To="b",le="0.2"} 0
            etcd_network_peer_round_trip_time_seconds_bucket{To="b",le="+Inf"} 0
            etcd_network_peer_round_trip_time_seconds_sum{To="b"} 0
            etcd_network_peer_round_trip_time_seconds_count{To="b"} 0
            """);
        Assert.Empty(set.Problems);
        var family = Assert.Single(set.Families);
        Assert.Equal(MetricType.Histogram, family.Type);
        Assert.Equal(10, family.Samples.Count);
        var series = family.GetHistograms();
        Assert.Equal(["To=a", "To=b"], series.Select(s => s.Labels.ToString()));
        var a = series[0];
        Assert.Equal([0.1, 0.2, double.PositiveInfinity], a.UpperBounds);
        Assert.Equal([1.0, 3.0, 4.0], a.CumulativeCounts);
        Assert.Equal(0.75, a.Sum);
        Assert.Equal(4, a.Count);
        Assert.Equal("a", a.Labels["To"]);
        // rank 2 of 4 falls in (0.1, 0.2] holding observations 2 and 3: 0.1 + 0.1 * 1/2.
        Assert.Equal(0.15, a.Quantile(0.5), 12);
        Assert.True(double.IsNaN(series[1].Quantile(0.5)));
    }

    [Fact]
    public void SummariesKeepTheirQuantileSamplesSumAndCount()
    {
        var set = new PrometheusTextParser().Parse("""
            # TYPE go_gc_duration_seconds summary
            go_gc_duration_seconds{quantile="0"} 3.9e-05
            go_gc_duration_seconds{quantile="1"} 0.00066
            go_gc_duration_seconds_sum 0.0014
            go_gc_duration_seconds_count 8
            """);
        Assert.Empty(set.Problems);
        var family = Assert.Single(set.Families);
        Assert.Equal(MetricType.Summary, family.Type);
        Assert.Equal(["go_gc_duration_seconds", "go_gc_duration_seconds", "go_gc_duration_seconds_sum", "go_gc_duration_seconds_count"], family.Samples.Select(s => s.Name));
        Assert.Equal("1", family.Samples[1].Labels["quantile"]);
        Assert.Empty(family.GetHistograms());
    }

    [Fact]
    public void EachMalformedLineIsAProblemWithItsLineNumberAndTheRestIsStillRead()
    {
        var set = new PrometheusTextParser().Parse("""
            # TYPE h histogram
            h_bucket{le="0.1"} 1
            h_bucket 2
            h_bucket{le="soon"} 2
            ok_1 1
            bad_value 12abc
            unclosed{a="b} 1
            bad_escape{a="\q"} 1
            twice{a="1",a="2"} 1
            no_equals{a"1"} 1
            bad_timestamp 1 12.5
            trailing 1 2 3
            -starts_wrong 1
            ok_2{} 2
            # TYPE h gauge
            # TYPE ok_1 counter
            # TYPE weird sometype
            no_value
            name-with-dash 1
            # TYPE
            ok_3 3
            """);
        Assert.Equal(1, set.Value("ok_1"));
        Assert.Equal(2, set.Value("ok_2"));
        Assert.Equal(3, set.Value("ok_3"));
        Assert.Equal(1, Assert.Single(set["h"]!.Samples).Value);
        var problems = set.Problems.ToDictionary(p => p.LineNumber, p => p.Message);
        Assert.Equal([3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19, 20], problems.Keys.Order());
        Assert.Contains("'le'", problems[3], StringComparison.Ordinal);
        Assert.Contains("'le'", problems[4], StringComparison.Ordinal);
        Assert.Contains("'12abc' is not a sample value", problems[6], StringComparison.Ordinal);
        Assert.Contains("not closed", problems[7], StringComparison.Ordinal);
        Assert.Contains(@"\q", problems[8], StringComparison.Ordinal);
        Assert.Contains("twice", problems[9], StringComparison.Ordinal);
        Assert.Contains("'='", problems[10], StringComparison.Ordinal);
        Assert.Contains("timestamp", problems[11], StringComparison.Ordinal);
        Assert.Contains("after the timestamp", problems[12], StringComparison.Ordinal);
        Assert.Contains("metric name starts with", problems[13], StringComparison.Ordinal);
        Assert.Contains("second TYPE", problems[15], StringComparison.Ordinal);
        Assert.Contains("after its samples", problems[16], StringComparison.Ordinal);
        Assert.Contains("'sometype' is not a metric type", problems[17], StringComparison.Ordinal);
        Assert.Contains("no value", problems[18], StringComparison.Ordinal);
        Assert.Contains("not a metric name", problems[19], StringComparison.Ordinal);
        Assert.Contains("followed by a metric name", problems[20], StringComparison.Ordinal);
        Assert.Equal("bad_value 12abc", set.Problems.Single(p => p.LineNumber == 6).Line);
        Assert.Equal(MetricType.Histogram, set["h"]!.Type);
        Assert.Equal(MetricType.Untyped, set["ok_1"]!.Type);
    }

    [Fact]
    public void NothingButGarbageGivesProblemsNotAnException()
    {
        var set = new PrometheusTextParser().Parse("<html><body>502 Bad Gateway</body></html>\n\0\0\0\n{{{{\n\"\"\"\n");
        Assert.Empty(set.Families);
        Assert.Equal(4, set.Problems.Count);
        Assert.Empty(new PrometheusTextParser().Parse("").Families);
    }

    [Fact]
    public void FamiliesTheCallerDoesNotWantAreSkippedWhole()
    {
        var asked = new List<string>();
        var set = new PrometheusTextParser().Parse("""
            # HELP skipped_histogram Skipped.
            # TYPE skipped_histogram histogram
            skipped_histogram_bucket{le="+Inf"} 1
            skipped_histogram_sum 1
            skipped_histogram_count 1
            skipped_untyped{broken 1
            kept 7
            """, name => { asked.Add(name); return name == "kept"; });
        Assert.Equal("kept", Assert.Single(set.Families).Name);
        Assert.Equal(7, set.Value("kept"));
        // A skipped family's lines are not read, so not checked either.
        Assert.Empty(set.Problems);
        Assert.Equal(["skipped_histogram", "skipped_untyped", "kept"], asked);
    }

    [Fact]
    public void ARealEtcdPageParsesWithoutProblemsAndRepeatedParsesShareNamesAndLabels()
    {
        var text = File.ReadAllText(FixturePath);
        var parser = new PrometheusTextParser();
        var first = parser.Parse(text);
        Assert.Empty(first.Problems);
        Assert.Equal(127, first.Families.Count(f => f.Help is not null));
        Assert.Equal(1292, first.Families.Sum(f => f.Samples.Count));
        Assert.Equal(2147483648, first.Value("etcd_server_quota_backend_bytes"));
        Assert.Equal(MetricType.Histogram, first["etcd_disk_wal_fsync_duration_seconds"]!.Type);
        var fsync = first.Histogram("etcd_disk_wal_fsync_duration_seconds")!;
        Assert.Equal(9008, fsync.Count);
        Assert.Equal(15, fsync.UpperBounds.Count);
        // 0.99 * 9008 = 8917.92 falls in (0.004, 0.008], which holds observations 8911..8984: 0.004 + 0.004 * 7.92 / 74.
        Assert.Equal(0.004 + 0.004 * 7.92 / 74, fsync.Quantile(0.99), 12);
        var handled = first["grpc_server_handled_total"]!;
        Assert.Equal(8999, handled.Samples.Single(s => s.Labels["grpc_method"] == "Put" && s.Labels["grpc_code"] == "OK").Value);
        Assert.Equal(2, handled.Samples.Where(s => s.Labels["grpc_code"] == "OutOfRange").Sum(s => s.Value));

        var second = parser.Parse(File.ReadAllBytes(FixturePath).AsSpan() is var bytes ? System.Text.Encoding.UTF8.GetString(bytes) : "");
        var a = first["grpc_server_handled_total"]!.Samples[5];
        var b = second["grpc_server_handled_total"]!.Samples[5];
        Assert.Same(a.Name, b.Name);
        Assert.Same(a.Labels, b.Labels);
        Assert.Equal(first.Families.Sum(f => f.Samples.Count), parser.ParseUtf8(File.ReadAllBytes(FixturePath)).Families.Sum(f => f.Samples.Count));
    }
}
