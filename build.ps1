#Requires -Version 7.6
<#
.SYNOPSIS
    Builds and tests EtcdTools.

.DESCRIPTION
    Build   dotnet build EtcdTools.sln, which also lays out the importable module in out/EtcdTools
            (manifest, EtcdTools.dll, Dependencies/, format files, en-US help, Acceptance/).
    Test    Build, then every test: the xunit suites (dotnet test: the Core against real etcd, the
            module in a hosted PowerShell runspace, the help builder) and the Pester suites in
            tests/Pester in this pwsh, against out/EtcdTools. Ends with one line
            "tests: N passed, N failed, N skipped" counting both, after a "FAILED name: message"
            line for each failed test.
    Pester  Only the Pester suites (after a build).
    Clean   Removes out/ and the build output.

    Pester 5 comes from the installed modules when there is one, else from its NuGet package
    (build/PesterPackage.proj), so no PowerShell Gallery is needed. A missing Pester or a failing
    test fails the script (exit code 1); nothing is skipped.

.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test

.EXAMPLE
    ./build.ps1 -Task Pester -PesterPath ./tests/Pester/Keys.Tests.ps1
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Clean')]
    [string] $Task = 'Test',

    [ValidateNotNullOrEmpty()]
    [string] $Configuration = 'Debug',

    # Pester files or folders to run instead of tests/Pester.
    [string[]] $PesterPath
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$repositoryRoot = $PSScriptRoot
$solution = Join-Path $repositoryRoot 'EtcdTools.sln'
$modulePath = Join-Path $repositoryRoot 'out' 'EtcdTools'
$resultsDirectory = Join-Path $repositoryRoot 'out' 'TestResults'

# Native commands do not throw on a non-zero exit code; this turns one into a terminating error.
function Invoke-Native {
    param(
        [string] $FilePath,
        [string[]] $ArgumentList,
        [switch] $AllowFailure
    )
    Write-Host "> $FilePath $($ArgumentList -join ' ')" -ForegroundColor Cyan
    & $FilePath @ArgumentList | Out-Host
    if ($LASTEXITCODE -ne 0 -and -not $AllowFailure) {
        throw "$FilePath exited with code $LASTEXITCODE."
    }
    return $LASTEXITCODE
}

function Invoke-BuildTask {
    $null = Invoke-Native -FilePath 'dotnet' -ArgumentList 'build', $solution, '--configuration', $Configuration, '-nologo'
    if (-not (Test-Path (Join-Path $modulePath 'EtcdTools.psd1'))) {
        throw "The build did not lay out the module in $modulePath."
    }
}

# Counts of one xunit run, from the TRX files dotnet test writes (one per test assembly).
function Invoke-XunitTests {
    $trxDirectory = Join-Path $resultsDirectory 'xunit'
    Remove-Item $trxDirectory -Recurse -Force -ErrorAction SilentlyContinue
    # One test assembly at a time (-m:1): each starts etcd clusters of its own, and on a 2-core
    # machine two assemblies at once starve each other's members into elections and timeouts.
    $exitCode = Invoke-Native -FilePath 'dotnet' -AllowFailure -ArgumentList @(
        'test', $solution, '--configuration', $Configuration, '--no-build', '-nologo', '-m:1',
        '--logger', 'trx', '--results-directory', $trxDirectory)
    $counts = [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0; FailedTests = [System.Collections.Generic.List[string]]::new() }
    $files = @(Get-ChildItem -Path $trxDirectory -Filter '*.trx' -File -ErrorAction SilentlyContinue)
    foreach ($file in $files) {
        $testRun = ([xml](Get-Content -Raw -LiteralPath $file.FullName)).TestRun
        $counters = $testRun.ResultSummary.Counters
        $counts.Passed += [int] $counters.passed
        $counts.Failed += [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
        $counts.Skipped += [int] $counters.notExecuted
        foreach ($result in @($testRun.Results.UnitTestResult | Where-Object { $_ -and $_.outcome -ne 'Passed' -and $_.outcome -ne 'NotExecuted' })) {
            $messageNode = $result.SelectSingleNode("*[local-name()='Output']/*[local-name()='ErrorInfo']/*[local-name()='Message']")
            $message = if ($messageNode) { ($messageNode.InnerText -split "`n" | Select-Object -First 3) -join ' ' } else { $result.outcome }
            $counts.FailedTests.Add("$($result.testName): $message")
        }
    }
    if ($exitCode -ne 0 -and $counts.Failed -eq 0) {
        # A test host that crashed, or an assembly that did not run at all, counts as a failure.
        Write-Warning "dotnet test exited with code $exitCode with no failed test recorded ($($files.Count) result file(s))."
        $counts.Failed += 1
    }
    return $counts
}

function Import-PesterModule {
    $installed = Get-Module -ListAvailable -Name Pester |
        Where-Object { $_.Version -ge [version] '5.0.0' -and $_.Version -lt [version] '6.0.0' } |
        Sort-Object Version -Descending |
        Select-Object -First 1
    if ($installed) {
        Import-Module $installed -Force
        return
    }
    # From the NuGet package: restore the restore-only project, then import from the package folder.
    $project = Join-Path $repositoryRoot 'build' 'PesterPackage.proj'
    $null = Invoke-Native -FilePath 'dotnet' -ArgumentList 'restore', $project, '-nologo', '--verbosity', 'quiet'
    $properties = (& dotnet msbuild $project -getProperty:NuGetPackageRoot -getProperty:PesterVersion | ConvertFrom-Json).Properties
    $manifest = Join-Path $properties.NuGetPackageRoot 'pester' $properties.PesterVersion 'tools' 'Pester.psd1'
    if (-not (Test-Path $manifest)) {
        throw "Pester $($properties.PesterVersion) is not at $manifest after restoring ${project}: the tests cannot run without it."
    }
    Import-Module $manifest -Force
}

function Invoke-PesterTests {
    Import-PesterModule
    $paths = if ($PesterPath) { $PesterPath } else { Join-Path $repositoryRoot 'tests' 'Pester' }
    if (-not (Test-Path (Join-Path $modulePath 'EtcdTools.psd1'))) {
        throw "No module in ${modulePath}; build first."
    }
    $env:ETCDTOOLS_MODULE_PATH = $modulePath
    try {
        $configuration = New-PesterConfiguration
        $configuration.Run.Path = $paths
        $configuration.Run.PassThru = $true
        $configuration.Output.Verbosity = 'Detailed'
        $configuration.TestResult.Enabled = $true
        $configuration.TestResult.OutputFormat = 'NUnitXml'
        $configuration.TestResult.OutputPath = Join-Path $resultsDirectory 'pester.xml'
        $result = Invoke-Pester -Configuration $configuration
    }
    finally {
        Remove-Item Env:ETCDTOOLS_MODULE_PATH -ErrorAction SilentlyContinue
    }
    if ($result.TotalCount -eq 0) {
        throw "Pester found no tests in $($paths -join ', ')."
    }
    # A file that failed before its tests ran (BeforeAll) marks its tests failed; NotRun tests of
    # such a file are counted as failed too, never as skipped.
    $failedTests = [System.Collections.Generic.List[string]]::new()
    foreach ($test in @($result.Failed)) {
        $message = ("$($test.ErrorRecord | Select-Object -First 1)" -split "`n" | Select-Object -First 3) -join ' '
        $failedTests.Add("$($test.ExpandedPath): $message")
    }
    foreach ($block in @($result.FailedBlocks) + @($result.FailedContainers)) {
        if ($block) { $failedTests.Add("$($block.Name): $("$($block.ErrorRecord | Select-Object -First 1)")") }
    }
    return [pscustomobject]@{
        Passed      = $result.PassedCount
        Failed      = $result.FailedCount + $result.NotRunCount + $result.FailedBlocksCount + $result.FailedContainersCount
        Skipped     = $result.SkippedCount
        FailedTests = $failedTests
    }
}

function Invoke-TestTask {
    Invoke-BuildTask
    New-Item -ItemType Directory -Path $resultsDirectory -Force | Out-Null
    $xunit = Invoke-XunitTests
    $pester = Invoke-PesterTests
    $total = [pscustomobject]@{
        Passed      = $xunit.Passed + $pester.Passed
        Failed      = $xunit.Failed + $pester.Failed
        Skipped     = $xunit.Skipped + $pester.Skipped
        FailedTests = @($xunit.FailedTests) + @($pester.FailedTests)
    }
    Write-Host "xunit: $($xunit.Passed) passed, $($xunit.Failed) failed, $($xunit.Skipped) skipped; Pester: $($pester.Passed) passed, $($pester.Failed) failed, $($pester.Skipped) skipped"
    return $total
}

$summary = $null
$failed = $false
try {
    switch ($Task) {
        'Build' { Invoke-BuildTask }
        'Test' { $summary = Invoke-TestTask }
        'Pester' { $summary = Invoke-PesterTests }
        'Clean' {
            $null = Invoke-Native -FilePath 'dotnet' -ArgumentList 'clean', $solution, '--configuration', $Configuration, '-nologo'
            Remove-Item (Join-Path $repositoryRoot 'out') -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
catch {
    Write-Error -ErrorRecord $_ -ErrorAction Continue
    $failed = $true
}

if ($Task -in 'Test', 'Pester') {
    if ($null -eq $summary) { $summary = [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } }
    if ($summary.Failed -gt 0 -or $summary.Skipped -gt 0) { $failed = $true }
    # The failures again, just before the last line, so that the tail of a long log names them.
    if ($summary.PSObject.Properties['FailedTests']) {
        foreach ($line in $summary.FailedTests) { if ($line) { Write-Host "FAILED $line" } }
    }
    # The last line, for CI.
    Write-Host "tests: $($summary.Passed) passed, $($summary.Failed) failed, $($summary.Skipped) skipped"
}
exit ([int] $failed)
