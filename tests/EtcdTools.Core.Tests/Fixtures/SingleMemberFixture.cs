using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Fixtures;

/// <summary>One plaintext etcd member shared by every test in the "single-member" collection. Tests must not damage it.</summary>
public sealed class SingleMemberFixture : IAsyncLifetime
{
    private EtcdSandbox? _sandbox;

    public EtcdSandbox Sandbox => _sandbox ?? throw new InvalidOperationException("The single-member sandbox is not started.");

    public async Task InitializeAsync() =>
        _sandbox = await EtcdSandbox.StartAsync(new EtcdSandboxOptions { Members = 1, Name = "single-" + Guid.NewGuid().ToString("N")[..8] });

    public async Task DisposeAsync()
    {
        if (_sandbox is not null)
            await _sandbox.DisposeAsync();
    }
}

[CollectionDefinition("single-member")]
public sealed class SingleMemberGroup : ICollectionFixture<SingleMemberFixture>;
