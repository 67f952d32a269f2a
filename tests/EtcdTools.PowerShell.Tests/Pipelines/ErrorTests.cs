using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Pipelines;

/// <summary>
/// A failure of one item (one key of a piped list, one member of three) is a non-terminating
/// error with the item as its target, so -ErrorAction, -ErrorVariable and $? work as they do for
/// PowerShell's own cmdlets; a failure of the whole command terminates it once.
/// </summary>
[Collection(SandboxGroup.Name)]
public sealed class ErrorTests(SandboxFixture fixture)
{
    [Fact]
    public void OneBadKeyInAPipedListIsItsOwnErrorAndTheOthersAreRead()
    {
        using var session = fixture.NewSession();
        var prefix = $"/errors/{Guid.NewGuid():N}/";
        session.Invoke("Set-EtcdKey -Key ($args[0] + 'a') -Value 1 -Confirm:$false; Set-EtcdKey -Key ($args[0] + 'c') -Value 3 -Confirm:$false", prefix).ThrowOnError();

        var result = session.Invoke("""
            $keys = ($args[0] + 'a'), ($args[0] + 'missing'), '', ($args[0] + 'c')
            $found = $keys | Get-EtcdKey -ErrorVariable failures -ErrorAction SilentlyContinue
            $succeeded = $?
            [pscustomobject]@{ Found = @($found.Key); Succeeded = $succeeded; Ids = @($failures.FullyQualifiedErrorId); Targets = @($failures.TargetObject) }
            """, prefix).ThrowOnError();
        var summary = Assert.Single(result.Output);
        Assert.Equal([prefix + "a", prefix + "c"], ((object[])summary.Get("Found")!).Cast<string>());
        Assert.False((bool)summary.Get("Succeeded")!);
        Assert.Equal(["EtcdKeyNotFound,EtcdTools.Commands.GetEtcdKeyCommand", "EtcdKeyMissing,EtcdTools.Commands.GetEtcdKeyCommand"], ((object[])summary.Get("Ids")!).Cast<string>());
        Assert.Equal([prefix + "missing", ""], ((object[])summary.Get("Targets")!).Select(t => t?.ToString() ?? ""));
    }

    [Fact]
    public void ErrorActionStopTurnsTheFirstItemErrorIntoTheEnd()
    {
        using var session = fixture.NewSession();
        var prefix = $"/errors/{Guid.NewGuid():N}/";
        session.Invoke("Set-EtcdKey -Key ($args[0] + 'a') -Value 1 -Confirm:$false; Set-EtcdKey -Key ($args[0] + 'c') -Value 3 -Confirm:$false", prefix).ThrowOnError();
        var result = session.Invoke("""
            $seen = [System.Collections.Generic.List[string]]::new()
            try { ($args[0] + 'a'), ($args[0] + 'missing'), ($args[0] + 'c') | Get-EtcdKey -ErrorAction Stop | ForEach-Object { $seen.Add($_.Key) } }
            catch { "caught $($_.FullyQualifiedErrorId)" }
            $seen
            """, prefix).ThrowOnError();
        Assert.Equal(["caught EtcdKeyNotFound,EtcdTools.Commands.GetEtcdKeyCommand", prefix + "a"], result.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void AMemberDownAmongThreeIsOneNonTerminatingErrorWhileTheOthersReport()
    {
        using var session = fixture.NewSession();
        session.Invoke("$sandbox | Stop-EtcdSandboxMember -Index 2 -Confirm:$false").ThrowOnError();
        try
        {
            var result = session.Invoke("""
                $health = Get-EtcdHealth -ErrorVariable failures -ErrorAction SilentlyContinue
                $succeeded = $?
                [pscustomobject]@{
                    Healthy = @($health | Where-Object Healthy).Count
                    Unhealthy = @($health | Where-Object { -not $_.Healthy }).Name
                    Succeeded = $succeeded
                    Ids = @($failures.FullyQualifiedErrorId)
                    Target = @($failures.TargetObject.Name)
                }
                """).ThrowOnError();
            var summary = Assert.Single(result.Output);
            var stopped = (string)session.Invoke("$sandbox.Members[2].Name").SingleValue()!;
            Assert.Equal(2, summary.Get("Healthy"));
            Assert.Equal(stopped, summary.Get("Unhealthy"));
            Assert.False((bool)summary.Get("Succeeded")!);
            Assert.Equal("EtcdUnavailable,EtcdTools.Commands.GetEtcdHealthCommand", Assert.Single((object[])summary.Get("Ids")!));
            Assert.Equal(stopped, Assert.Single((object[])summary.Get("Target")!));

            // The same error stops a script that asks for it, after the healthy members have reported.
            var stop = session.Invoke("try { Get-EtcdHealth -ErrorAction Stop | Out-Null; 'not stopped' } catch { $_.FullyQualifiedErrorId }");
            Assert.Equal("EtcdUnavailable,EtcdTools.Commands.GetEtcdHealthCommand", stop.SingleValue());
        }
        finally
        {
            session.Invoke("$sandbox | Start-EtcdSandboxMember -Index 2 -Confirm:$false").ThrowOnError();
        }
    }

    [Fact]
    public void AClusterThatCannotBeReachedEndsTheCommandOnceNotOncePerItem()
    {
        using var session = new PowerShellSession();
        var result = session.Invoke("""
            $port = ([System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)); $port.Start(); $free = $port.LocalEndpoint.Port; $port.Stop()
            $errors = @()
            try { 'a', 'b', 'c' | Get-EtcdKey -Endpoint "http://127.0.0.1:$free" -DialTimeout 2 } catch { $errors += $_ }
            $errors.Count; $errors[0].FullyQualifiedErrorId; $errors[0].CategoryInfo.Category
            """);
        Assert.Empty(result.Errors);
        Assert.Equal(["1", "EtcdUnavailable,EtcdTools.Commands.GetEtcdKeyCommand", "ConnectionError"], result.Output.Select(o => o.ToString()));
    }
}
