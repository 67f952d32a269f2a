#Requires -Version 7.6
<#
.SYNOPSIS
    Builds and tests EtcdTools.

.DESCRIPTION
    Build   dotnet build EtcdTools.sln, which also lays out the importable module in out/EtcdTools
            (manifest, EtcdTools.dll, Dependencies/, format files, en-US help).
    Test    dotnet test EtcdTools.sln: unit tests and the module's contract tests.
    Pester  Invoke-Pester on tests/Pester/*.Tests.ps1 against out/EtcdTools, whose path the tests
            read from $env:ETCDTOOLS_MODULE_PATH. Needs Pester 5 or later.
    All     Build, Test, then Pester.

    Any failing step stops the script with a non-zero exit code.

.EXAMPLE
    ./build.ps1

.EXAMPLE
    ./build.ps1 -Task Pester -Configuration Release
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'All')]
    [string] $Task = 'All',

    [ValidateNotNullOrEmpty()]
    [string] $Configuration = 'Debug'
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$repositoryRoot = $PSScriptRoot
$solution = Join-Path $repositoryRoot 'EtcdTools.sln'
$modulePath = Join-Path $repositoryRoot 'out' 'EtcdTools'

# Native commands do not throw on a non-zero exit code; this turns one into a terminating error.
function Invoke-Native {
    param(
        [string] $FilePath,
        [string[]] $ArgumentList
    )
    Write-Host "> $FilePath $($ArgumentList -join ' ')" -ForegroundColor Cyan
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) {
        throw "$FilePath exited with code $LASTEXITCODE."
    }
}

function Invoke-BuildTask {
    Invoke-Native -FilePath 'dotnet' -ArgumentList 'build', $solution, '--configuration', $Configuration
    if (-not (Test-Path (Join-Path $modulePath 'EtcdTools.psd1'))) {
        throw "The build did not lay out the module in $modulePath."
    }
}

function Invoke-TestTask {
    Invoke-Native -FilePath 'dotnet' -ArgumentList 'test', $solution, '--configuration', $Configuration
}

function Invoke-PesterTask {
    $pester = Get-Module -ListAvailable -Name Pester |
        Where-Object Version -GE ([version] '5.0.0') |
        Sort-Object Version -Descending |
        Select-Object -First 1
    if (-not $pester) {
        Write-Warning 'Skipping the Pester tests: they need Pester 5 or later (Install-Module Pester -MinimumVersion 5.0 -Scope CurrentUser).'
        return
    }

    $testFiles = @(Get-ChildItem -Path (Join-Path $repositoryRoot 'tests' 'Pester') -Filter '*.Tests.ps1' -File -ErrorAction SilentlyContinue)
    if ($testFiles.Count -eq 0) {
        Write-Host 'No Pester tests in tests/Pester.'
        return
    }

    if (-not (Test-Path (Join-Path $modulePath 'EtcdTools.psd1'))) {
        throw "No module in ${modulePath}; run ./build.ps1 -Task Build first."
    }

    Import-Module $pester -Force
    $env:ETCDTOOLS_MODULE_PATH = $modulePath
    try {
        $pesterConfiguration = New-PesterConfiguration
        $pesterConfiguration.Run.Path = $testFiles.FullName
        $pesterConfiguration.Run.PassThru = $true
        $pesterConfiguration.Output.Verbosity = 'Detailed'
        $result = Invoke-Pester -Configuration $pesterConfiguration
    }
    finally {
        Remove-Item Env:ETCDTOOLS_MODULE_PATH -ErrorAction SilentlyContinue
    }

    if ($result.Result -ne 'Passed') {
        throw "Pester: $($result.FailedCount) test(s) failed, $($result.FailedContainersCount) file(s) could not run."
    }
}

try {
    switch ($Task) {
        'Build' { Invoke-BuildTask }
        'Test' { Invoke-TestTask }
        'Pester' { Invoke-PesterTask }
        'All' {
            Invoke-BuildTask
            Invoke-TestTask
            Invoke-PesterTask
        }
    }
}
catch {
    Write-Error -ErrorRecord $_ -ErrorAction Continue
    exit 1
}

exit 0
