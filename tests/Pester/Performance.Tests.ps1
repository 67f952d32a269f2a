#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }

# Measure-EtcdPerformance and Watch-EtcdPerformance as a user runs them in real pwsh: baselines kept
# as files (Export-Clixml, JSON), a member stopped, and the live view in a real terminal (a pseudo-
# terminal from util-linux's `script`), ended by -Duration or by Ctrl+C.
# Run with: Invoke-Pester ./tests/Pester/Performance.Tests.ps1

Describe 'EtcdTools performance' {
    BeforeAll {
        # The built module: $env:ETCDTOOLS_MODULE_PATH (set by build.ps1), else out/EtcdTools.
        $modulePath = if ($env:ETCDTOOLS_MODULE_PATH) { $env:ETCDTOOLS_MODULE_PATH } else { Join-Path $PSScriptRoot '..' '..' 'out' 'EtcdTools' }
        $modulePath = (Resolve-Path $modulePath).Path
        Import-Module $modulePath -Force -ErrorAction Stop
        $sandbox = Start-EtcdSandbox -Members 3 -Tls
        $sandbox | Connect-EtcdCluster

        # Writes small keys from another runspace until the job is stopped: a workload to measure.
        function Start-Writes {
            Start-ThreadJob -ArgumentList $modulePath, (Get-EtcdConnection) -ScriptBlock {
                param($module, $connection)
                Import-Module $module
                for ($i = 0; ; $i++) { Set-EtcdKey -Connection $connection -Key "/perf/$($i % 50)" -Value ('v' * 200) -Confirm:$false }
            }
        }

        # The command line that starts a pwsh like this one (Get-PwshCommandLine), for `script`.
        . (Join-Path $PSScriptRoot 'Shared' 'ChildProcess.ps1')

        # A script for a child pwsh: the module imported and connected to the sandbox, then $Body.
        function New-WatchScript([string] $Name, [string] $Body) {
            $path = Join-Path $TestDrive $Name
            @"
Import-Module '$modulePath'
Connect-EtcdCluster -Endpoint '$($sandbox.Endpoint)' -CaCertificatePath '$($sandbox.CaCertificatePath)' -CertificatePath '$($sandbox.CertificatePath)' -KeyPath '$($sandbox.KeyPath)'
$Body
"@ | Set-Content -Path $path
            $path
        }
    }

    AfterAll {
        Disconnect-EtcdCluster
        $sandbox | Stop-EtcdSandbox -Confirm:$false
    }

    Context 'Measure-EtcdPerformance -Baseline' {
        BeforeAll {
            # The baseline: an idle cluster, kept as files the way a runbook keeps its history.
            $baseline = Measure-EtcdPerformance -Duration 3 -Interval 1
            $baseline | Export-Clixml -Path (Join-Path $TestDrive 'baseline.xml')
            $baseline | ConvertTo-Json -Depth 4 | Set-Content -Path (Join-Path $TestDrive 'baseline.json')
        }

        It 'compares with a baseline read back with Import-Clixml, member by member' {
            $restored = Import-Clixml -Path (Join-Path $TestDrive 'baseline.xml')
            $restored[0].PSObject.TypeNames | Should -Contain 'Deserialized.EtcdTools.Performance.EtcdMemberPerformance'
            $writes = Start-Writes
            try { $now = Measure-EtcdPerformance -Duration 4 -Interval 1 -Baseline $restored }
            finally { $writes | Stop-Job -PassThru | Remove-Job -Force }

            $summary = $now[-1]
            $summary.BaselineStartTime | Should -Not -BeNullOrEmpty
            [Math]::Abs(($summary.BaselineStartTime - $baseline[0].StartTime).TotalSeconds) | Should -BeLessThan 1
            # The workload grew from nothing: each member's committed proposals, as an Info finding that says by how much.
            $grown = @($summary.Findings | Where-Object Check -EQ 'Regression.ProposalsCommittedPerSec')
            $grown | Should -HaveCount 3
            ($grown.Member | Sort-Object) | Should -Be ($sandbox.Members.Name | Sort-Object)
            foreach ($finding in $grown) {
                $finding.Severity.ToString() | Should -Be 'Info'
                $finding.Title | Should -Match '^Committed proposals (is [\d.]+/s, [\d.]+/s in the baseline|[\d.]+x the baseline \([\d.]+/s vs [\d.]+/s\))$'
                $finding.Evidence | Should -Match 'in the baseline measured \d{4}-\d\d-\d\d \d\d:\d\d'
            }
            # Each member report carries its own regressions.
            foreach ($report in $now | Select-Object -First 3) {
                $report.Findings.Check | Should -Contain 'Regression.ProposalsCommittedPerSec'
            }
        }

        It 'compares with a baseline kept as JSON' {
            $restored = Get-Content -Path (Join-Path $TestDrive 'baseline.json') -Raw | ConvertFrom-Json
            $writes = Start-Writes
            try { $now = Measure-EtcdPerformance -Duration 3 -Interval 1 -Baseline $restored }
            finally { $writes | Stop-Job -PassThru | Remove-Job -Force }
            @($now[-1].Findings | Where-Object Check -EQ 'Regression.ProposalsCommittedPerSec') | Should -HaveCount 3
        }

        It 'refuses a baseline without member reports' {
            { Measure-EtcdPerformance -Duration 2 -Interval 1 -Baseline $baseline[-1] -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidArgument,EtcdTools.Commands.MeasureEtcdPerformanceCommand'
        }
    }

    Context 'A member that cannot be read' {
        It 'is a non-terminating error of Measure-EtcdPerformance and Get-EtcdMetric while the others report' {
            $own = Start-EtcdSandbox -Members 3
            try {
                Stop-EtcdSandboxMember -Sandbox $own -Index 2 -Confirm:$false
                $result = Measure-EtcdPerformance -Endpoint $own.Endpoint -Duration 2 -Interval 1 -ErrorVariable failures -ErrorAction SilentlyContinue

                $result | Should -HaveCount 3
                ($result | Select-Object -First 2).Member | Should -Not -Contain $own.Members[2].Name
                $failures | Should -HaveCount 1
                $failures[0].FullyQualifiedErrorId | Should -Be 'EtcdUnavailable,EtcdTools.Commands.MeasureEtcdPerformanceCommand'
                $failures[0].TargetObject | Should -Be $own.Members[2].Name
                $failures[0].Exception.Message | Should -Match 'Connection refused'
                $result[-1].MembersMeasured | Should -Be 2
                ($result[-1].Findings | Where-Object Check -EQ 'NotMeasured').Member | Should -Be $own.Members[2].Name

                $samples = Get-EtcdMetric -Endpoint $own.Endpoint -Name etcd_server_has_leader -ErrorVariable metricFailures -ErrorAction SilentlyContinue
                ($samples.Member | Sort-Object) | Should -Be ($own.Members[0..1].Name | Sort-Object)
                $metricFailures | Should -HaveCount 1
                $metricFailures[0].FullyQualifiedErrorId | Should -Be 'EtcdUnavailable,EtcdTools.Commands.GetEtcdMetricCommand'
                $metricFailures[0].TargetObject | Should -Be $own.Members[2].Name
            }
            finally {
                $own | Stop-EtcdSandbox -Confirm:$false
            }
        }
    }

    Context 'Watch-EtcdPerformance in a terminal' {
        It 'draws a live table in place and a session summary, and writes samples when assigned' {
            $script = New-WatchScript 'live.ps1' @'
Watch-EtcdPerformance -Interval 1 -Duration 3
$samples = Watch-EtcdPerformance -Interval 1 -Duration 2
"assigned: $($samples.Count) samples"
'@
            $output = & script -qefc "$(Get-PwshCommandLine) -NoProfile -NonInteractive -File '$script'" /dev/null | Out-String
            $output | Should -Match 'Watching 3 member\(s\) every 1s since'
            # Redrawn over itself: up the table's lines (title, header, rule, three members), then cleared to the end.
            $output | Should -Match ([regex]::Escape("`e[6A"))
            $output | Should -Match ([regex]::Escape("`e[J"))
            $output | Should -Match 'Session summary: 3 member\(s\)'
            foreach ($member in $sandbox.Members) { $output | Should -Match ([regex]::Escape($member.Name)) }
            # Assigned, the samples are written, not drawn: three members, two intervals.
            $output | Should -Match 'assigned: 6 samples'
        }

        It 'prints the session summary when Ctrl+C ends a watch without -Duration' {
            $pidFile = Join-Path $TestDrive 'watch.pid'
            $typescript = Join-Path $TestDrive 'watch.out'
            $script = New-WatchScript 'forever.ps1' @"
`$PID | Set-Content -Path '$pidFile'
Watch-EtcdPerformance -Interval 1
"@
            # As a shell starts a command in a terminal, with Ctrl+C's SIGINT at its default: a shell
            # without job control (CI's, a runbook's `&`) starts its background commands with SIGINT
            # ignored, their children inherit that, and .NET leaves an ignored SIGINT ignored.
            $start = [System.Diagnostics.ProcessStartInfo]::new('script')
            foreach ($argument in '-qefc', "env --default-signal=INT $(Get-PwshCommandLine) -NoProfile -NonInteractive -File '$script'", $typescript) { $start.ArgumentList.Add($argument) }
            $start.RedirectStandardOutput = $true
            $terminal = [System.Diagnostics.Process]::Start($start)
            # The terminal's copy of the output is read away so it can never fill the pipe; the typescript file keeps it.
            $null = $terminal.StandardOutput.ReadToEndAsync()
            try {
                $deadline = [DateTime]::UtcNow.AddSeconds(60)
                while (-not ((Test-Path $typescript) -and (Get-Content $typescript -Raw) -match 'Watching 3 member') -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
                Start-Sleep -Seconds 2
                & kill -INT (Get-Content $pidFile)
                $terminal.WaitForExit(20000) | Should -BeTrue -Because "Ctrl+C ends the watch; the terminal showed: $(Get-Content $typescript -Raw)"
            }
            finally {
                if (-not $terminal.HasExited) { $terminal.Kill($true) }
            }
            $output = Get-Content $typescript -Raw
            $output | Should -Match 'Session summary: 3 member\(s\)'
            $output | Should -Match 'WAL p99 min/avg/max'
        }
    }
}
