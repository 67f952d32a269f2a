using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Pipelines;

/// <summary>
/// A slow consumer slows the producer: while the pipeline downstream is busy, Get-EtcdKey reads
/// no further pages from etcd than its bounded queue holds. Counted on etcd's own side, by the
/// Range requests its members report in /metrics.
/// </summary>
[Collection(SandboxGroup.Name)]
public sealed class BackPressureTests(SandboxFixture fixture)
{
    /// <summary>Range requests the members have served so far, from their /metrics.</summary>
    private const string RangeRequests = """
        $total = 0
        foreach ($member in $sandbox.Members) {
            $text = Invoke-RestMethod -Uri "$($member.MetricsUrl)/metrics" -TimeoutSec 10
            foreach ($line in $text -split "`n") {
                if ($line -match '^grpc_server_started_total\{.*grpc_method="Range".*\} (\d+)') { $total += [long] $Matches[1] }
            }
        }
        $total
        """;

    [Fact]
    public void ASlowConsumerHoldsTheListingBackAtTheQueuesBound()
    {
        using var session = fixture.NewSession();
        // The metrics are read from another runspace while the listing runs in this one.
        using var observer = fixture.NewSession(connect: false);
        const int keys = 1500, pageSize = 20, queue = 256;
        var prefix = $"/backpressure/{Guid.NewGuid():N}/";
        session.WriteKeys(prefix, keys);
        try
        {
            var before = (long)observer.Invoke(RangeRequests).ThrowOnError().SingleValue()!;
            // The consumer takes 10 keys, then stops taking for 3 s: long enough to read every page unchecked.
            using var shell = session.Create($"Get-EtcdKey -Prefix '{prefix}' -PageSize {pageSize} | ForEach-Object -Begin {{ $n = 0 }} -Process {{ if (++$n -eq 10) {{ Start-Sleep -Seconds 3 }}; $_ }}");
            var pending = shell.BeginInvoke();
            Thread.Sleep(TimeSpan.FromSeconds(2));
            var during = (long)observer.Invoke(RangeRequests).ThrowOnError().SingleValue()! - before;
            var output = shell.EndInvoke(pending);
            var after = (long)observer.Invoke(RangeRequests).ThrowOnError().SingleValue()! - before;

            Assert.Equal(keys, output.Count);
            // Pages in flight at most: the queue's worth, the page being written, the one being read, the count.
            var bound = (queue + 10) / pageSize + 3;
            Assert.True(during <= bound, $"{during} Range requests while the consumer was busy; the queue allows {bound}");
            // And the listing did read every page in the end: the bound is back-pressure, not a limit.
            Assert.True(after >= keys / pageSize, $"Only {after} Range requests for {keys / pageSize} pages");
        }
        finally
        {
            session.Invoke("Remove-EtcdKey -Key $args[0] -Prefix -Confirm:$false", prefix).ThrowOnError();
        }
    }
}
