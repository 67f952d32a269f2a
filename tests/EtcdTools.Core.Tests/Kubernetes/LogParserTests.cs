using EtcdTools.Kubernetes;

namespace EtcdTools.Core.Tests.Kubernetes;

/// <summary>The parser on the two line formats and Go durations; the categories themselves are proved on real etcd logs elsewhere.</summary>
public sealed class LogParserTests
{
    [Fact]
    public void ZapLinesGiveTimeLevelMessageTookAndExpected()
    {
        var entry = EtcdLogParser.Parse("""{"level":"warn","ts":"2026-12-02T17:20:01.123Z","caller":"wal/wal.go:802","msg":"slow fdatasync","took":"1.204886535s","expected-duration":"1s"}""")!;
        Assert.Equal(EtcdLogCategory.SlowFdatasync, entry.Category);
        Assert.Equal("warn", entry.Level);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 17, 20, 1, 123, TimeSpan.Zero), entry.Time);
        Assert.Equal(1204.886535, entry.TookMs!.Value, 6);
        Assert.Equal(1000, entry.ExpectedMs);
        Assert.Equal("wal/wal.go:802", entry.Caller);
    }

    [Fact]
    public void CapnslogLinesOfEtcd34sDefaultLoggerAreParsedToo()
    {
        var entry = EtcdLogParser.Parse("2026-12-02 17:20:01.123456 W | etcdserver: read-only range request \"key:\\\"/a\\\" \" with result \"range_response_count:1 size:42\" took too long (153.2ms) to execute")!;
        Assert.Equal(EtcdLogCategory.SlowApply, entry.Category);
        Assert.Equal("warn", entry.Level);
        Assert.Equal("etcdserver", entry.Caller);
        Assert.Equal(153.2, entry.TookMs!.Value, 6);
        Assert.NotNull(entry.Time);
    }

    [Theory]
    [InlineData("1.5s", 1500)]
    [InlineData("250.25ms", 250.25)]
    [InlineData("1m2.5s", 62500)]
    [InlineData("950µs", 0.95)]
    [InlineData("3h", 10800000)]
    public void GoDurationsAreMilliseconds(string text, double expected) => Assert.Equal(expected, GoDuration.TryParseMilliseconds(text)!.Value, 6);

    [Theory]
    [InlineData("")]
    [InlineData("fast")]
    [InlineData("12 parsecs")]
    public void WhatIsNoDurationIsNull(string text) => Assert.Null(GoDuration.TryParseMilliseconds(text));

    [Fact]
    public void LinesOfNeitherFormatKeepTheirTextAsOther()
    {
        var entry = EtcdLogParser.Parse("=== etcd sandbox: starting master-0")!;
        Assert.Equal(EtcdLogCategory.Other, entry.Category);
        Assert.Null(entry.Time);
        Assert.Null(EtcdLogParser.Parse("   "));
    }
}
