#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Acceptance tests of an etcd cluster, shipped with EtcdTools: every check of
    Test-EtcdCluster -Detailed becomes one test per check and member, named "<Check> on <Member>",
    so a CI system's test report (NUnit or JUnit XML) names what is wrong.

    Run it with data (all optional):
        Connection     an EtcdConnection (Connect-EtcdCluster -PassThru); without it the session's
                       connection of the Pester run, the ETCDCTL_* variables or the default endpoint.
        Thresholds     a hashtable of Test-EtcdCluster thresholds, e.g. @{ DbQuotaFailPercent = 90 }.
        Timeout        how long each member may take (a TimeSpan, seconds, or '5s').
        FailOnWarning  $true to fail the checks that only warn (a certificate expiring soon...).

        $container = New-PesterContainer -Path (Join-Path (Get-Module EtcdTools).ModuleBase 'Acceptance' 'EtcdCluster.Tests.ps1') `
            -Data @{ Connection = $connection; Thresholds = @{ DbQuotaWarnPercent = 60 } }
        Invoke-Pester -Container $container -Output Detailed

    The checks run once, when Pester discovers the tests; a cluster that cannot be reached at all
    fails the run with that error.
#>
param(
    [object] $Connection,
    [hashtable] $Thresholds,
    [object] $Timeout,
    [bool] $FailOnWarning = $false
)

BeforeDiscovery {
    # The EtcdTools this file ships with, unless one is imported already.
    if (-not (Get-Module -Name EtcdTools)) {
        Import-Module -Name (Join-Path $PSScriptRoot '..' 'EtcdTools.psd1') -ErrorAction Stop
    }
    $parameters = @{ Detailed = $true; ErrorAction = 'Stop' }
    if ($Connection) { $parameters.Connection = $Connection }
    if ($Thresholds) { $parameters.Thresholds = $Thresholds }
    if ($Timeout) { $parameters.Timeout = $Timeout }

    $results = @(Test-EtcdCluster @parameters)
    $clusterId = if ($Connection) { $Connection.ClusterId } else { (Get-EtcdConnection).ClusterId }
    $checks = @($results | ForEach-Object {
            @{
                Check          = $_.Check
                Member         = $_.Member
                Status         = $_.Status
                Value          = $_.Value
                Threshold      = $_.Threshold
                Message        = $_.Message
                Recommendation = $_.Recommendation
            }
        })
}

Describe 'etcd cluster <ClusterId>' -ForEach @{ ClusterId = $clusterId; Checks = $checks } {
    It '<Check> on <Member>' -ForEach $Checks {
        $because = "$Message$(if ($Value) { " (value: $Value$(if ($Threshold) { "; threshold: $Threshold" }))" })$(if ($Recommendation) { " Recommendation: $Recommendation" })"
        $Status | Should -Not -Be 'Fail' -Because $because
        if ($Status -eq 'Warn') {
            if ($FailOnWarning) {
                $Status | Should -Be 'Pass' -Because $because
            }
            else {
                Write-Warning "$Check on ${Member}: $because"
            }
        }
    }
}
