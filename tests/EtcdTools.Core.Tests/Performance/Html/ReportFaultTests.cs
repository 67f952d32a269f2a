using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Sandbox;
using Xunit.Abstractions;
using static EtcdTools.Core.Tests.Performance.Html.ReportTestHelpers;
using static EtcdTools.Core.Tests.Performance.PerformanceTestHelpers;

namespace EtcdTools.Core.Tests.Performance.Html;

/// <summary>A report of a watch through a real fault: a leader hung (SIGSTOP) for a few seconds, on a sandbox of its own.</summary>
public sealed class ReportFaultTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("etcdtools-report-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task AHungLeaderShowsAsUnreadableIntervalsALeaderChangeAndBrokenLines()
    {
        await using var sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3 });
        var leader = sandbox.Members[await LeaderIndexAsync(sandbox)];
        var (_, watch) = await CollectAsync(sandbox.ConnectionSettings, TimeSpan.FromSeconds(10), async ct =>
        {
            var writes = WriteUntilCancelledAsync(sandbox.ConnectionSettings, TimeSpan.FromMilliseconds(100), ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            sandbox.SuspendMember(leader.Index);
            try { await Task.Delay(TimeSpan.FromSeconds(4), CancellationToken.None); }
            finally { sandbox.ResumeMember(leader.Index); }
            await writes;
        });
        Assert.Contains(watch, s => s.Member == leader.Name && s.Error.Length > 0);

        var files = ReportOf(null, watch).Save(Path.Combine(_directory.FullName, "fault.html"), overwrite: false);
        var html = await File.ReadAllTextAsync(files.HtmlPath);
        Assert.Matches($"<td class=\"member\">{leader.Name}</td><td class=\"finding-title\">{leader.Name} could not be read in \\d+ of \\d+ intervals</td>", html);
        Assert.Contains("<td>Leadership</td><td class=\"member\">cluster</td><td class=\"finding-title\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<h2>Healthy</h2>", html, StringComparison.Ordinal);

        // Who led when: the hung member's lane turns red, another member takes over, the change is marked on the charts.
        var leadership = Figure(html, "leadership");
        var members = watch.Select(s => s.Member).Distinct().ToList();
        Assert.Contains("class=\"span unreadable\"", GroupOf(leadership, "lane", leader.Name), StringComparison.Ordinal);
        Assert.Contains(members.Where(m => m != leader.Name), m => GroupOf(leadership, "lane", m).Contains("class=\"span leader\"", StringComparison.Ordinal));
        var cpu = Figure(html, "cpu");
        Assert.Contains("<g class=\"marker\"><title>Leader change seen at ", cpu, StringComparison.Ordinal);
        // Its line breaks over the intervals it could not be read: two runs or more, or a lone dot.
        var hung = GroupOf(cpu, "series", leader.Name);
        output.WriteLine(hung);
        Assert.True(hung.Split("<polyline").Length - 1 >= 2 || hung.Contains("r=\"3\"", StringComparison.Ordinal), "the hung member's CPU line is not broken");

        var shot = PngImage.Decode(await Chromium.ScreenshotAsync(files.HtmlPath, 8000));
        Assert.Contains(0xF87171u, shot.Pixels.ToHashSet());
    }
}

/// <summary>A one-member cluster: no peers, one lane.</summary>
[Collection("single-member")]
public sealed class OneMemberReportTests(SingleMemberFixture fixture)
{
    [Fact]
    public async Task AOneMemberClusterSaysWhyItHasNoPeerRoundTrips()
    {
        var (measure, watch) = await CollectAsync(fixture.Sandbox.ConnectionSettings, TimeSpan.FromSeconds(3));
        var member = Assert.Single(measure.Members).Member;
        var html = ReportOf(measure, watch).ToHtml("one.csv", DateTimeOffset.Now);
        Assert.Contains("title=\"peer round trips (a one-member cluster has no peers)\">n/a</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<h2>Peer round trips</h2>", html, StringComparison.Ordinal);
        Assert.Contains("No peer round trip in these intervals: a one-member cluster has no peers", Figure(html, "peer-rtt"), StringComparison.Ordinal);
        Assert.Equal([member], MarksPerMember(Figure(html, "wal-fsync")).Keys);
        Assert.Single(Figure(html, "leadership").Split("<g class=\"lane\"").Skip(1));
        Assert.Contains($"{member} (leader)", html, StringComparison.Ordinal);
    }
}
