using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Pipelines;

/// <summary>The pipelines the help promises bind, by property name, on real objects.</summary>
[Collection(SandboxGroup.Name)]
public sealed class PipelineBindingTests(SandboxFixture fixture)
{
    public static TheoryData<string, string> PromisedPipelines => new()
    {
        // pipeline, what it must write (a count or a value), -WhatIf where it would change the cluster
        { "Get-EtcdMember | Get-EtcdHealth | Where-Object Healthy | Measure-Object | ForEach-Object Count", "3" },
        { "Get-EtcdMember | Where-Object IsLeader | Get-EtcdMember | Measure-Object | ForEach-Object Count", "1" },
        { "Get-EtcdMember | Where-Object { -not $_.IsLeader } | Select-Object -First 1 | Move-EtcdLeader -WhatIf; 'bound'", "bound" },
        { "Get-EtcdMember | Get-EtcdAlarm | Measure-Object | ForEach-Object Count", "0" },
        { "Get-EtcdHealth | Get-EtcdMember | Measure-Object | ForEach-Object Count", "3" },
        { "Compare-EtcdHash | Get-EtcdMember | Measure-Object | ForEach-Object Count", "3" },
        { "Get-EtcdConnection | Connect-EtcdCluster -PassThru | ForEach-Object MemberCount", "3" },
        { "Get-EtcdConnection | Get-EtcdMember | Measure-Object | ForEach-Object Count", "3" },
        { "$sandbox | Get-EtcdMember -CommandTimeout 5 | Measure-Object | ForEach-Object Count", "3" },
        { "$sandbox | Test-EtcdCluster", "True" },
        { "Get-EtcdSandbox -Name $sandbox.Name | Stop-EtcdSandbox -WhatIf; 'bound'", "bound" },
        { "$sandbox | Suspend-EtcdSandboxMember -Index 0 -WhatIf; 'bound'", "bound" },
        { "Get-EtcdMember | Where-Object DbSizeBytes -gt 0 | Invoke-EtcdDefrag -Force -MoveLeaderFirst -WhatIf; 'bound'", "bound" },
        { "Get-EtcdHealth | Select-Object -First 1 | Remove-EtcdMember -WhatIf; 'bound'", "bound" },
        { "Get-EtcdMember | Select-Object -First 1 | Update-EtcdMember -PeerUrl https://127.0.0.1:1 -WhatIf; 'bound'", "bound" },
    };

    [Theory]
    [MemberData(nameof(PromisedPipelines))]
    public void APromisedPipelineBinds(string pipeline, string expected)
    {
        using var session = fixture.NewSession();
        var result = session.Invoke(pipeline).ThrowOnError();
        Assert.Equal(expected, Assert.Single(result.Output).ToString());
    }

    [Fact]
    public void KeysPipeToSetAndRemoveByPropertyName()
    {
        using var session = fixture.NewSession();
        var from = $"/binding/{Guid.NewGuid():N}/";
        var to = $"/binding/{Guid.NewGuid():N}/";
        var result = session.Invoke("""
            $from, $to = $args
            'a', 'b' | ForEach-Object { Set-EtcdKey -Key "$from$_" -Value "value $_" -Confirm:$false }
            # Key and RawValue bind by property name: a prefix copied under another name.
            Get-EtcdKey -Prefix $from | ForEach-Object { [pscustomobject]@{ Key = $_.Key.Replace($from, $to); RawValue = $_.RawValue } } | Set-EtcdKey -Confirm:$false
            (Get-EtcdKey -Prefix $to).Value -join ','
            Get-EtcdKey -Prefix $from | Remove-EtcdKey -Confirm:$false
            Get-EtcdKey -Prefix $to | Remove-EtcdKey -Confirm:$false
            Get-EtcdKey -Prefix $from -CountOnly
            """, from, to).ThrowOnError();
        Assert.Equal(["value a,value b", "0"], result.Output.Select(o => o.ToString()));
    }
}
