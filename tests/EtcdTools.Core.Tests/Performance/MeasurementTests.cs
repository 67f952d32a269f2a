using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Performance;
using Xunit.Abstractions;
using static EtcdTools.Core.Tests.Performance.PerformanceTestHelpers;

namespace EtcdTools.Core.Tests.Performance;

/// <summary>A measurement of the shared healthy TLS cluster (reading metrics changes nothing): what each report holds.</summary>
[Collection("tls-cluster")]
public sealed class MeasurementTests(TlsClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task AHealthyClusterUnderALightLoadHasNoCriticalFindingAndFullReports()
    {
        var sandbox = fixture.Sandbox;
        var (result, ticks) = await MeasureAsync(sandbox.ConnectionSettings, TimeSpan.FromSeconds(4),
            ct => WriteUntilCancelledAsync(sandbox.ConnectionSettings, TimeSpan.FromMilliseconds(50), ct));
        output.WriteLine(Describe(result));

        Assert.Empty(result.Failures);
        Assert.DoesNotContain(result.Summary.Findings, f => f.Severity == EtcdFindingSeverity.Critical);
        Assert.Equal(3, result.Members.Count);
        Assert.Equal(sandbox.Members.Select(m => m.Name).Order(), result.Members.Select(m => m.Member).Order());
        Assert.Single(result.Members, m => m.IsLeader);
        foreach (var member in result.Members)
        {
            Assert.Equal(sandbox.ClusterId, member.ClusterId);
            Assert.Equal("3.4.23", member.Version);
            Assert.InRange(member.DurationSeconds, 3, 8);
            Assert.True(member.Scrapes >= 4, $"{member.Member} was read {member.Scrapes} times");
            Assert.Equal(0, member.FailedScrapes);
            Assert.True(member.WalFsyncCount > 10, $"{member.Member} fsynced {member.WalFsyncCount} times");
            Assert.NotNull(member.WalFsyncP99Ms);
            Assert.True(member.WalFsyncP50Ms <= member.WalFsyncP95Ms && member.WalFsyncP95Ms <= member.WalFsyncP99Ms);
            Assert.NotNull(member.BackendCommitP99Ms);
            Assert.True(member.ProposalsCommittedPerSec > 1, $"{member.ProposalsCommittedPerSec}/s");
            Assert.True(member.ProposalsAppliedPerSec > 1);
            Assert.True(member.CpuPercent > 0);
            Assert.True(member.ResidentMemoryBytes > 1_000_000);
            Assert.True(member.DbSizeBytes > 0);
            Assert.Equal(2L << 30, member.QuotaBytes);
            Assert.True(member.OpenFileDescriptors > 0);
            // Two peers, by name; etcd records a round trip per peer every 30 s, so a short window may have none.
            Assert.Equal(sandbox.Members.Select(m => m.Name).Where(n => n != member.Member).Order(), member.PeerRoundTrips.Select(p => p.Peer).Order());
            // etcd 3.4 has no apply histogram, and gRPC handling time only with --metrics=extensive.
            Assert.Contains("apply duration", member.MissingMetrics, StringComparison.Ordinal);
            Assert.Contains("--metrics=extensive", member.MissingMetrics, StringComparison.Ordinal);
            Assert.Null(member.ApplyP99Ms);
            Assert.Null(member.GrpcHandlingP99Ms);
            Assert.True(member.Samples.Count >= 3, $"{member.Samples.Count} samples");
            Assert.All(member.Samples, s => Assert.Equal(member.Member, s.Member));
        }
        // Writes go through the members: every put is a gRPC request with code OK somewhere.
        Assert.Contains(result.Members.SelectMany(m => m.GrpcCodes), c => c.Code == "OK" && c.Count > 10 && !c.IsFailure);
        Assert.Equal(sandbox.ClusterId, result.Summary.ClusterId);
        Assert.Equal(3, result.Summary.MembersMeasured);
        Assert.Equal(result.Members.Single(m => m.IsLeader).Member, result.Summary.Leader);
        Assert.Equal(result.Members.Max(m => m.WalFsyncP99Ms), result.Summary.WalFsyncP99MaxMs);
        Assert.NotEqual("", result.Summary.VerdictReason);
        Assert.True(ticks.Count(t => t.Sample is not null) >= 9);
    }
}
