using System.Diagnostics;
using System.Management.Automation;
using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Pipelines;

/// <summary>
/// Ctrl+C (PowerShell.Stop(), which is what the console does) ends a running cmdlet within a
/// second, whatever it is waiting for: a watch with no events, a hung member, a slow consumer.
/// </summary>
[Collection(SandboxGroup.Name)]
public sealed class StoppingTests(SandboxFixture fixture)
{
    /// <summary>How long Ctrl+C may take: the promise. The operations stopped would run 30 s or more.</summary>
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(1);

    /// <summary>Starts <paramref name="script"/>, waits until it is under way, stops it and returns how long Stop() took.</summary>
    private static TimeSpan StopWhileRunning(PowerShellSession session, string script, Func<System.Management.Automation.PowerShell, TimeSpan, bool> underWay)
    {
        using var shell = session.Create(script);
        var output = new PSDataCollection<PSObject>();
        var pending = shell.BeginInvoke<PSObject, PSObject>(null, output);
        var started = Stopwatch.StartNew();
        while (!underWay(shell, started.Elapsed) && started.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(20);
        Assert.True(underWay(shell, started.Elapsed), "The command never got under way");
        Assert.Equal(PSInvocationState.Running, shell.InvocationStateInfo.State);

        var stopping = Stopwatch.StartNew();
        shell.Stop();
        stopping.Stop();
        Assert.True(pending.AsyncWaitHandle.WaitOne(StopLimit), "The pipeline did not end after Stop()");
        Assert.Equal(PSInvocationState.Stopped, shell.InvocationStateInfo.State);
        return stopping.Elapsed;
    }

    [Fact]
    public void CtrlCStopsAWatchThatHasNoEvents()
    {
        using var session = fixture.NewSession();
        var took = StopWhileRunning(session, "Watch-EtcdKey -Key /stopping/never -Verbose",
            (shell, _) => shell.Streams.Verbose.Any(v => v.Message.StartsWith("Watching", StringComparison.Ordinal)));
        Assert.True(took < StopLimit, $"Stopping the watch took {took.TotalMilliseconds:F0} ms");
    }

    [Theory]
    [InlineData("Get-EtcdHealth -Timeout 30")]
    [InlineData("Test-EtcdCluster -Detailed -Timeout 30")]
    [InlineData("Get-EtcdMember -CommandTimeout 30")]
    [InlineData("Measure-EtcdPerformance -Duration 60 -Interval 1 -CommandTimeout 30")]
    [InlineData("Watch-EtcdPerformance -Interval 1 -CommandTimeout 30")]
    [InlineData("Invoke-EtcdDefrag -Force -Confirm:$false -CommandTimeout 30")]
    [InlineData("Repair-EtcdQuota -Confirm:$false -CommandTimeout 30")]
    public void CtrlCStopsACommandWaitingOnAHungMember(string command)
    {
        using var session = fixture.NewSession();
        session.Invoke("$sandbox | Suspend-EtcdSandboxMember -Index 2 -Confirm:$false").ThrowOnError();
        try
        {
            // Two members answer at once; the hung one would keep the command for its 30 s timeout.
            var took = StopWhileRunning(session, command, WaitingASecond);
            Assert.True(took < StopLimit, $"Stopping {command} took {took.TotalMilliseconds:F0} ms");
        }
        finally
        {
            session.Invoke("$sandbox | Resume-EtcdSandboxMember -Index 2 -Confirm:$false").ThrowOnError();
        }
    }

    [Fact]
    public void CtrlCStopsALongListingWhoseConsumerIsSlow()
    {
        using var session = fixture.NewSession();
        var prefix = $"/stopping/{Guid.NewGuid():N}/";
        session.WriteKeys(prefix, 600);
        // 600 keys at 100 ms each would take a minute.
        var took = StopWhileRunning(session, $"Get-EtcdKey -Prefix '{prefix}' -PageSize 20 | ForEach-Object {{ Start-Sleep -Milliseconds 100; $_ }}",
            WaitingASecond);
        Assert.True(took < StopLimit, $"Stopping the listing took {took.TotalMilliseconds:F0} ms");
        session.Invoke("Remove-EtcdKey -Key $args[0] -Prefix -Confirm:$false", prefix).ThrowOnError();
    }

    /// <summary>A second after the command started it is waiting (on the hung member, on the slow consumer).</summary>
    private static bool WaitingASecond(System.Management.Automation.PowerShell shell, TimeSpan elapsed) => elapsed > TimeSpan.FromSeconds(1);
}
