using System.Management.Automation;

namespace EtcdTools.PowerShell.Tests.Hosting;

/// <summary>
/// A real 3-member TLS etcd sandbox, started with Start-EtcdSandbox in a session of its own and
/// shared by the tests of a collection, which hand the sandbox object to their own sessions.
/// Tests may stop or suspend a member but must bring it back before they end.
/// </summary>
public sealed class SandboxFixture : IDisposable
{
    private readonly PowerShellSession _owner = new();

    public SandboxFixture()
    {
        var started = _owner.Invoke("Start-EtcdSandbox -Members 3 -Tls -Name ('hosted-' + [guid]::NewGuid().ToString('N').Substring(0, 8))").ThrowOnError();
        Sandbox = Assert.Single(started.Output);
    }

    /// <summary>The EtcdSandbox object (set it as a variable in another session).</summary>
    public PSObject Sandbox { get; }

    /// <summary>A new session with $sandbox set; connected to it unless <paramref name="connect"/> is false.</summary>
    public PowerShellSession NewSession(bool connect = true)
    {
        var session = new PowerShellSession();
        session.SetVariable("sandbox", Sandbox);
        if (connect) session.Invoke("$sandbox | Connect-EtcdCluster").ThrowOnError();
        return session;
    }

    public void Dispose()
    {
        _owner.Invoke("$args[0] | Stop-EtcdSandbox -Confirm:$false", Sandbox);
        _owner.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SandboxGroup : ICollectionFixture<SandboxFixture>
{
    public const string Name = "tls-sandbox";
}
