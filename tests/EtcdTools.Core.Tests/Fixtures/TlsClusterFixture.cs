using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Fixtures;

/// <summary>
/// Three etcd members with TLS on client and peer ports and client-certificate auth, shared by every
/// test in the "tls-cluster" collection. Tests must not damage it; those that stop or suspend members start their own.
/// </summary>
public sealed class TlsClusterFixture : IAsyncLifetime
{
    private EtcdSandbox? _sandbox;

    public EtcdSandbox Sandbox => _sandbox ?? throw new InvalidOperationException("The TLS cluster sandbox is not started.");

    public async Task InitializeAsync() =>
        _sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 3, Tls = true, Name = "tls-" + Guid.NewGuid().ToString("N")[..8] });

    public async Task DisposeAsync()
    {
        if (_sandbox is not null)
            await _sandbox.DisposeAsync();
    }
}

[CollectionDefinition("tls-cluster")]
public sealed class TlsClusterGroup : ICollectionFixture<TlsClusterFixture>;
