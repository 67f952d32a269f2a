#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }

# The acceptance tests the module ships (Acceptance/EtcdCluster.Tests.ps1), run as a user's CI runs
# them: Invoke-Pester in a pwsh of its own, with a container carrying the connection, writing NUnit
# and JUnit XML. Against a healthy 3-member TLS sandbox every test passes; with a member stopped
# the run fails and the report names the failing checks.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Shared' 'ChildProcess.ps1')
    Import-Module $env:ETCDTOOLS_MODULE_PATH -Force
    $script:AcceptanceFile = Join-Path $env:ETCDTOOLS_MODULE_PATH 'Acceptance' 'EtcdCluster.Tests.ps1'
    $script:Sandbox = Start-EtcdSandbox -Members 3 -Tls

    # Runs the acceptance file in a child pwsh as the README shows; returns the report and the XML.
    function Invoke-Acceptance {
        param([string] $Name, [hashtable] $Thresholds = @{}, [switch] $FailOnWarning)
        $runner = Join-Path $TestDrive "$Name.ps1"
        Set-Content -LiteralPath $runner -Encoding utf8 -Value @'
param($PesterPath, $ModulePath, $AcceptanceFile, $Endpoint, $CaCertificatePath, $CertificatePath, $KeyPath, $ResultDirectory, $ThresholdsJson, $FailOnWarning)
$ErrorActionPreference = 'Stop'
Import-Module $PesterPath
Import-Module $ModulePath
$connection = Connect-EtcdCluster -Endpoint $Endpoint -CaCertificatePath $CaCertificatePath -CertificatePath $CertificatePath -KeyPath $KeyPath -PassThru
$thresholds = @{}
($ThresholdsJson | ConvertFrom-Json).PSObject.Properties | ForEach-Object { $thresholds[$_.Name] = $_.Value }
$container = New-PesterContainer -Path $AcceptanceFile -Data @{ Connection = $connection; Thresholds = $thresholds; Timeout = '3s'; FailOnWarning = $FailOnWarning -eq 'True' }
$configuration = New-PesterConfiguration
$configuration.Run.Container = $container
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = Join-Path $ResultDirectory 'nunit.xml'
$result = Invoke-Pester -Configuration $configuration
# The same run's JUnit report, for CI systems that read JUnit.
$result | Export-JUnitReport -Path (Join-Path $ResultDirectory 'junit.xml')
[pscustomobject]@{
    Result = $result.Result
    Passed = $result.PassedCount
    Failed = @($result.Failed | ForEach-Object ExpandedName)
    Total  = $result.TotalCount
} | ConvertTo-Json -Compress
'@
        $results = Join-Path $TestDrive $Name
        $null = New-Item -ItemType Directory -Path $results -Force
        $output = Invoke-ChildPwsh -NoProfile -NonInteractive -File $runner -PesterPath (Join-Path (Get-Module Pester).ModuleBase 'Pester.psd1') -ModulePath (Join-Path $env:ETCDTOOLS_MODULE_PATH 'EtcdTools.psd1') `
            -AcceptanceFile $AcceptanceFile -Endpoint $Sandbox.Endpoint -CaCertificatePath $Sandbox.CaCertificatePath -CertificatePath $Sandbox.CertificatePath `
            -KeyPath $Sandbox.KeyPath -ResultDirectory $results -ThresholdsJson ($Thresholds | ConvertTo-Json -Compress) -FailOnWarning $FailOnWarning.IsPresent
        $json = @($output | Where-Object { "$_".StartsWith('{') })[-1]
        if (-not $json) { throw "The acceptance run wrote no report: $($output -join [Environment]::NewLine)" }
        [pscustomobject]@{
            Report = $json | ConvertFrom-Json
            NUnit  = [xml] (Get-Content -Raw -LiteralPath (Join-Path $results 'nunit.xml'))
            JUnit  = [xml] (Get-Content -Raw -LiteralPath (Join-Path $results 'junit.xml'))
            Output = $output -join [Environment]::NewLine
        }
    }
}

AfterAll {
    $Sandbox | Stop-EtcdSandbox -Confirm:$false
}

Describe 'The shipped acceptance tests' {
    It 'pass on a healthy cluster, one test per check and member, with NUnit and JUnit reports' {
        $run = Invoke-Acceptance -Name healthy
        $run.Report.Result | Should -Be 'Passed' -Because $run.Output
        $run.Report.Failed | Should -BeNullOrEmpty
        # Per-member checks for each of the 3 members, and the cluster's own.
        $run.Report.Total | Should -BeGreaterThan 10
        $run.Report.Passed | Should -Be $run.Report.Total
        $names = @($run.NUnit.SelectNodes('//test-case') | ForEach-Object description)
        $names | Should -Contain 'Quorum on cluster'
        foreach ($member in $Sandbox.Members) { $names | Should -Contain "MemberHealth on $($member.Name)" }
        $run.JUnit.testsuites.tests | Should -Be $run.Report.Total
        $run.JUnit.testsuites.failures | Should -Be 0
    }

    It 'fail with a member stopped, naming the failing checks' {
        $stopped = $Sandbox.Members[2]
        $Sandbox | Stop-EtcdSandboxMember -Index 2 -Confirm:$false
        try {
            $run = Invoke-Acceptance -Name stopped
        }
        finally {
            $Sandbox | Start-EtcdSandboxMember -Index 2 -Confirm:$false
        }
        $run.Report.Result | Should -Be 'Failed'
        $run.Report.Failed | Should -Contain "MemberHealth on $($stopped.Name)"
        $run.Report.Failed | Should -Not -Contain "MemberHealth on $($Sandbox.Members[0].Name)"
        $failedCases = @($run.NUnit.SelectNodes("//test-case[@result='Failure']") | ForEach-Object description)
        $failedCases | Should -Contain "MemberHealth on $($stopped.Name)"
        [int] $run.JUnit.testsuites.failures | Should -BeGreaterOrEqual 1
        # The failure says why, with what to do.
        $run.Output | Should -Match 'unhealthy'
    }

    It 'take thresholds, and turn warnings into failures only with FailOnWarning' {
        # A certificate warning threshold beyond the sandbox certificates' lifetime warns on every member.
        $warned = Invoke-Acceptance -Name warned -Thresholds @{ CertificateWarningDays = 36500 }
        $warned.Report.Result | Should -Be 'Passed' -Because 'a warning is not a failure by default'
        $warned.Output | Should -Match 'WARNING: ServerCertificate on '

        $strict = Invoke-Acceptance -Name strict -Thresholds @{ CertificateWarningDays = 36500 } -FailOnWarning
        $strict.Report.Result | Should -Be 'Failed'
        foreach ($member in $Sandbox.Members) { $strict.Report.Failed | Should -Contain "ServerCertificate on $($member.Name)" }
    }
}
