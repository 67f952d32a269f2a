using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Pipelines;

[Collection(SandboxGroup.Name)]
public sealed class SmokeTests(SandboxFixture fixture)
{
    [Fact]
    public void ListsTheMembers()
    {
        using var session = fixture.NewSession();
        var result = session.Invoke("Get-EtcdMember").ThrowOnError();
        Assert.Equal(3, result.Output.Count);
    }
}
