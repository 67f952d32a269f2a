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

    [Fact]
    public void GrpcLoggerLinesInTheSameStreamAreParsedToo()
    {
        // As etcd 3.4.23 wrote it while a client hung up (CI saw it in the last lines of a member's log).
        var entry = EtcdLogParser.Parse("WARNING: 2026/12/04 23:23:43 [core] grpc: Server.processUnaryRPC failed to write status connection error: desc = \"transport is closing\"")!;
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 23, 23, 43, TimeSpan.Zero), entry.Time);
        Assert.Equal("warn", entry.Level);
        Assert.Equal("grpc/core", entry.Caller);
        Assert.Equal("grpc: Server.processUnaryRPC failed to write status connection error: desc = \"transport is closing\"", entry.Message);
        Assert.Equal(EtcdLogCategory.Other, entry.Category);

        // Older grpc-go: no component, and a fraction of a second.
        var old = EtcdLogParser.Parse("INFO: 2026/12/04 23:23:43.125 grpc: addrConn.createTransport failed to connect to {127.0.0.1:2379}")!;
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 23, 23, 43, 125, TimeSpan.Zero), old.Time);
        Assert.Equal("info", old.Level);
        Assert.Equal("grpc", old.Caller);
        Assert.StartsWith("grpc: addrConn", old.Message);
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
