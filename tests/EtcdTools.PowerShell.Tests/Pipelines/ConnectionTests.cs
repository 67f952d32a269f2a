using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Pipelines;

/// <summary>
/// One connection rule: -Connection lets a runbook hold two clusters at once; objects piped from
/// one cluster carry its ClusterId and are refused by another's endpoints; the session's
/// connection belongs to its runspace.
/// </summary>
[Collection(SandboxGroup.Name)]
public sealed class ConnectionTests(SandboxFixture fixture) : IDisposable
{
    private readonly PowerShellSession _other = new();

    /// <summary>A second, plaintext cluster of one member.</summary>
    private object OtherSandbox => _otherSandbox ??= _other.Invoke("Start-EtcdSandbox -Members 1").ThrowOnError().SingleValue()!;
    private object? _otherSandbox;

    private PowerShellSession TwoClusters()
    {
        var session = fixture.NewSession(connect: false);
        session.SetVariable("other", OtherSandbox);
        session.Invoke("$a = $sandbox | Connect-EtcdCluster -PassThru; $b = $other | Connect-EtcdCluster -PassThru").ThrowOnError();
        return session;
    }

    [Fact]
    public void TwoConnectionsInOneRunspaceReachTheirOwnClusters()
    {
        using var session = TwoClusters();
        var key = $"/connections/{Guid.NewGuid():N}";
        var result = session.Invoke("""
            Set-EtcdKey -Connection $a -Key $args[0] -Value 'in a' -Confirm:$false
            Set-EtcdKey -Connection $b -Key $args[0] -Value 'in b' -Confirm:$false
            (Get-EtcdKey -Connection $a -Key $args[0]).Value
            (Get-EtcdKey -Connection $b -Key $args[0]).Value
            (Get-EtcdMember -Connection $a).Count
            (Get-EtcdMember -Connection $b).Count
            $a.ClusterId -ne $b.ClusterId
            # The session's connection is the last one made, and -Connection did not change it.
            (Get-EtcdConnection).ClusterId -eq $b.ClusterId
            """, key).ThrowOnError();
        Assert.Equal(["in a", "in b", "3", "1", "True", "True"], result.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void MembersPipedFromOneClusterAreRefusedByAnotherClustersConnection()
    {
        using var session = TwoClusters();
        // Refused before any member is probed: a terminating error, since every piped member would meet it.
        var result = session.Invoke("""
            $health = @()
            try { Get-EtcdMember -Connection $a | Get-EtcdHealth -Connection $b | ForEach-Object { $health += $_ } } catch { $failure = $_ }
            $health.Count
            $failure.FullyQualifiedErrorId
            $failure.Exception.Message
            """).ThrowOnError();
        Assert.Equal("0", result.Output[0].ToString());
        Assert.Equal("EtcdClusterMismatch,EtcdTools.Commands.GetEtcdHealthCommand", result.Output[1].ToString());
        Assert.Contains("but -Connection is to cluster", result.Output[2].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void MembersPipedFromOneClusterAreRefusedByTheSessionsConnectionToAnother()
    {
        using var session = TwoClusters();
        // The session is connected to $b; the members come from $a.
        var result = session.Invoke("""
            try { Get-EtcdMember -Connection $a | Get-EtcdHealth; 'no error' } catch { $_.FullyQualifiedErrorId }
            try { Get-EtcdAlarm -Connection $a -ClusterId $b.ClusterId; 'no error' } catch { $_.FullyQualifiedErrorId }
            """);
        Assert.Equal(["EtcdClusterMismatch,EtcdTools.Commands.GetEtcdHealthCommand", "EtcdClusterMismatch,EtcdTools.Commands.GetEtcdAlarmCommand"],
            result.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void EndpointsThatAnswerAsAnotherClusterAreRefusedBeforeAnythingChanges()
    {
        using var session = TwoClusters();
        var key = $"/connections/{Guid.NewGuid():N}";
        // -ClusterId pins the cluster; the typed endpoint is the other one's.
        var result = session.Invoke("""
            try { Set-EtcdKey -Endpoint $b.Endpoint -ClusterId $a.ClusterId -Key $args[0] -Value x -Confirm:$false; 'written' } catch { $_.FullyQualifiedErrorId }
            @(Get-EtcdKey -Connection $b -Prefix -Key $args[0]).Count
            """, key);
        Assert.Equal(["EtcdClusterMismatch,EtcdTools.Commands.SetEtcdKeyCommand", "0"], result.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void TheSessionsConnectionBelongsToItsRunspace()
    {
        using var connected = fixture.NewSession();
        using var other = new PowerShellSession();
        var clusterId = (string)connected.Invoke("$sandbox.ClusterId").SingleValue()!;
        Assert.Equal(clusterId, connected.Invoke("(Get-EtcdConnection).ClusterId").ThrowOnError().SingleValue());
        // Another runspace of the same process does not see it (nor do -Parallel runspaces of this one):
        // without it, the default endpoint, where nothing listens, is tried.
        var elsewhere = other.Invoke("try { Get-EtcdConnection -DialTimeout 1 -CommandTimeout 1 } catch { $_.FullyQualifiedErrorId }");
        Assert.Equal("EtcdUnavailable,EtcdTools.Commands.GetEtcdConnectionCommand", elsewhere.Output.Single().ToString());
        var parallel = connected.Invoke("1..2 | ForEach-Object -Parallel { Import-Module $using:modulePath; [bool](Get-Module EtcdTools) -and $null -eq (Get-Variable -Name EtcdToolsSession -ErrorAction Ignore) } -ThrottleLimit 2".Replace("$using:modulePath", $"'{RepositoryPaths.BuiltManifestPath}'", StringComparison.Ordinal));
        Assert.Equal(["True", "True"], parallel.ThrowOnError().Output.Select(o => o.ToString()));
        // Disconnecting one runspace leaves the other's connection alone.
        using var second = fixture.NewSession();
        connected.Invoke("Disconnect-EtcdCluster").ThrowOnError();
        Assert.Equal(clusterId, second.Invoke("(Get-EtcdConnection).ClusterId").ThrowOnError().SingleValue());
    }

    public void Dispose()
    {
        if (_otherSandbox is not null) _other.Invoke("$args[0] | Stop-EtcdSandbox -Confirm:$false", _otherSandbox);
        _other.Dispose();
    }
}
