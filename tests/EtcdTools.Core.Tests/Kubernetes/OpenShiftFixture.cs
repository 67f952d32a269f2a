using EtcdTools.Kubernetes;

namespace EtcdTools.Core.Tests.Kubernetes;

/// <summary>
/// An OpenShift-flavored etcd behind the fake API server, shared by the "openshift-fake" collection:
/// 3 TLS members advertising https://127.0.10.1x:2379 (where nothing listens), reachable only
/// through port-forwards. Tests must not damage it; those that delete pods or stop members start their own.
/// </summary>
public sealed class OpenShiftFixture : IAsyncLifetime
{
    private FakeEtcdDeployment? _deployment;

    public FakeEtcdDeployment Deployment => _deployment ?? throw new InvalidOperationException("The OpenShift deployment is not started.");

    public async Task InitializeAsync() => _deployment = await FakeEtcdDeployment.StartAsync(EtcdPodFlavor.OpenShift);

    public async Task DisposeAsync()
    {
        if (_deployment is not null) await _deployment.DisposeAsync();
    }
}

[CollectionDefinition("openshift-fake")]
public sealed class OpenShiftFakeGroup : ICollectionFixture<OpenShiftFixture>;
