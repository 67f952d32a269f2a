#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }

# Export-EtcdReport as a user runs it in real pwsh: from Measure-EtcdPerformance and
# Watch-EtcdPerformance on a sandbox under a small write load, mixed in one pipeline, and read back
# from Export-Clixml and Export-Csv files; -WhatIf, -Force, paths, and the errors for bad input.
# Chromium's rendering of the page is tested in the Core tests (Performance/Html).
# Run with: Invoke-Pester ./tests/Pester/Report.Tests.ps1

Describe 'Export-EtcdReport' {
    BeforeAll {
        # The built module: $env:ETCDTOOLS_MODULE_PATH (set by build.ps1), else out/EtcdTools.
        $modulePath = if ($env:ETCDTOOLS_MODULE_PATH) { $env:ETCDTOOLS_MODULE_PATH } else { Join-Path $PSScriptRoot '..' '..' 'out' 'EtcdTools' }
        $modulePath = (Resolve-Path $modulePath).Path
        Import-Module $modulePath -Force -ErrorAction Stop
        $sandbox = Start-EtcdSandbox -Members 3
        $sandbox | Connect-EtcdCluster
        $connection = Get-EtcdConnection
        $members = @($sandbox.Members.Name | Sort-Object)

        # A measurement and a watch of the same four seconds while small keys are written.
        $writes = Start-ThreadJob -ArgumentList $modulePath, $connection -ScriptBlock {
            param($module, $connection)
            Import-Module $module
            for ($i = 0; ; $i++) { Set-EtcdKey -Connection $connection -Key "/report/$($i % 50)" -Value ('v' * 200) -Confirm:$false }
        }
        try {
            $watching = Start-ThreadJob -ArgumentList $modulePath, $connection -ScriptBlock {
                param($module, $connection)
                Import-Module $module
                Watch-EtcdPerformance -Connection $connection -Interval 1 -Duration 4
            }
            $measure = @(Measure-EtcdPerformance -Duration 4 -Interval 1)
            $samples = @($watching | Receive-Job -Wait -AutoRemoveJob)
        }
        finally {
            $writes | Stop-Job -PassThru | Remove-Job -Force
        }
        $intervals = ($measure | Where-Object { $_.PSObject.Properties['Samples'] } | ForEach-Object { $_.Samples.Count } | Measure-Object -Sum).Sum

        function Get-CsvPath([string] $HtmlPath) { [System.IO.Path]::ChangeExtension($HtmlPath, '.csv') }
    }

    AfterAll {
        Disconnect-EtcdCluster
        $sandbox | Stop-EtcdSandbox -Confirm:$false
    }

    It 'has a measurement of every member and samples of every member to report' {
        $measure | Should -HaveCount 4
        $intervals | Should -BeGreaterOrEqual 9
        ($samples.Member | Sort-Object -Unique) | Should -Be $members
    }

    It 'writes one self-contained HTML file and the samples as CSV beside it from Measure and Watch output in one pipeline' {
        $path = Join-Path $TestDrive 'both.html'
        $file = @($measure; $samples) | Export-EtcdReport -Path $path -PassThru

        $file.FullName | Should -Be $path
        $file.PSPath | Should -BeLike 'Microsoft.PowerShell.Core\FileSystem::*both.html'
        $html = Get-Content -Raw -Path $path
        $html | Should -Match '^<!DOCTYPE html>'
        $html | Should -Match '<h2>(Healthy|Bottleneck: \w+)</h2>'
        $html | Should -Match 'Latency percentiles per member'
        $html | Should -Not -Match '<script'
        $html | Should -Not -Match '(src|href)="https?:'
        foreach ($member in $members) {
            $html | Should -Match ([regex]::Escape("<g class=""series"" data-member=""$member"""))
            $html | Should -Match ([regex]::Escape("<g class=""lane"" data-member=""$member"""))
        }
        $html | Should -Match '<a href="both.csv">both.csv</a>'

        $rows = @(Import-Csv -Path (Get-CsvPath $path))
        $rows | Should -HaveCount ($samples.Count + $intervals)
        ($rows.Member | Sort-Object -Unique) | Should -Be $members
        $rows[0].PSObject.Properties.Name | Should -Be $samples[0].PSObject.Properties.Name
    }

    It 'writes nothing to the pipeline without -PassThru' {
        $output = $measure | Export-EtcdReport -Path (Join-Path $TestDrive 'quiet.html')
        $output | Should -BeNullOrEmpty
        Join-Path $TestDrive 'quiet.html' | Should -Exist
    }

    It 'reports a measurement and samples read back with Import-Clixml, to the exact time' {
        $measure | Export-Clixml -Path (Join-Path $TestDrive 'measure.xml')
        $samples | Export-Clixml -Path (Join-Path $TestDrive 'samples.xml')
        $restored = @(Import-Clixml -Path (Join-Path $TestDrive 'measure.xml')) + @(Import-Clixml -Path (Join-Path $TestDrive 'samples.xml'))
        $restored[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.EtcdTools.Performance.EtcdMemberPerformance'
        $path = Join-Path $TestDrive 'restored.html'

        $restored | Export-EtcdReport -Path $path -WarningVariable warnings

        $warnings | Should -BeNullOrEmpty
        $html = Get-Content -Raw -Path $path
        $html | Should -Match ([regex]::Escape([System.Net.WebUtility]::HtmlEncode($measure[-1].VerdictReason)))
        foreach ($member in $members) { $html | Should -Match "<span class=""member-name"">$([regex]::Escape($member))</span>" }
        # Every interval kept its own time: nothing collapsed into another.
        @(Import-Csv -Path (Get-CsvPath $path)) | Should -HaveCount ($samples.Count + $intervals)
    }

    It 'reports samples read back with Import-Csv, from Export-Csv and from its own CSV file' {
        $samples | Export-Csv -Path (Join-Path $TestDrive 'watch.csv')
        $first = Join-Path $TestDrive 'from-csv.html'
        # Export-Csv writes times to the second: samples of a member within one second are one.
        $distinct = @($samples | Select-Object Member, @{ Name = 'At'; Expression = { $_.Timestamp.ToString('s') } } -Unique).Count

        Import-Csv -Path (Join-Path $TestDrive 'watch.csv') | Export-EtcdReport -Path $first -WarningAction SilentlyContinue
        Import-Csv -Path (Get-CsvPath $first) | Export-EtcdReport -Path (Join-Path $TestDrive 'again.html')

        @(Import-Csv -Path (Get-CsvPath $first)) | Should -HaveCount $distinct
        @(Import-Csv -Path (Join-Path $TestDrive 'again.csv')) | Should -HaveCount $distinct
        $html = Get-Content -Raw -Path (Join-Path $TestDrive 'again.html')
        $html | Should -Match 'Members over the samples'
        $html | Should -Match 'derived from the samples'
        foreach ($member in $members) { $html | Should -Match ([regex]::Escape("data-member=""$member""")) }
    }

    It 'derives findings from samples by -Thresholds' {
        $path = Join-Path $TestDrive 'strict.html'
        $samples | Export-EtcdReport -Path $path -Thresholds @{ WalFsyncP99WarningMs = 0.001 }
        $html = Get-Content -Raw -Path $path
        $html | Should -Match '<h2>Bottleneck: Disk</h2>'
        $html | Should -Match 'WAL fsync p99 reached'
        { $samples | Export-EtcdReport -Path (Join-Path $TestDrive 'x.html') -Thresholds @{ NoSuchLimit = 1 } } |
            Should -Throw -ErrorId 'InvalidArgument,EtcdTools.Commands.ExportEtcdReportCommand'
    }

    It 'writes nothing with -WhatIf' {
        $path = Join-Path $TestDrive 'whatif.html'
        $samples | Export-EtcdReport -Path $path -WhatIf
        $path | Should -Not -Exist
        Get-CsvPath $path | Should -Not -Exist
    }

    It 'refuses to overwrite a report without -Force, and overwrites it with -Force' {
        $path = Join-Path $TestDrive 'existing.html'
        Set-Content -Path $path -Value 'an earlier report'

        { $samples | Export-EtcdReport -Path $path } | Should -Throw -ErrorId 'ReportFileExists,EtcdTools.Commands.ExportEtcdReportCommand'
        Get-Content -Raw -Path $path | Should -Match '^an earlier report'
        Get-CsvPath $path | Should -Not -Exist

        $samples | Export-EtcdReport -Path $path -Force
        Get-Content -Raw -Path $path | Should -Match '^<!DOCTYPE html>'
        # The CSV beside it counts too.
        Remove-Item -Path $path
        { $samples | Export-EtcdReport -Path $path } | Should -Throw -ErrorId 'ReportFileExists,EtcdTools.Commands.ExportEtcdReportCommand'
        @(Get-ChildItem -Path $TestDrive -Filter '.existing*' -Force) | Should -BeNullOrEmpty -Because 'no temporary file is left behind'
    }

    It 'ends with a clear error when there is no input' {
        $path = Join-Path $TestDrive 'empty.html'
        { @() | Export-EtcdReport -Path $path } | Should -Throw -ErrorId 'NoReportInput,EtcdTools.Commands.ExportEtcdReportCommand'
        { Export-EtcdReport -Path $path -InputObject @() } | Should -Throw '*Nothing to report: pipe Measure-EtcdPerformance*'
        $path | Should -Not -Exist
    }

    It 'writes an error for each object that is not performance data or cannot be read, and reports the rest' {
        $path = Join-Path $TestDrive 'mixed.html'
        $unreadable = [pscustomobject]@{ Timestamp = 'yesterday'; Member = 'etcd-x'; IntervalSeconds = 1 }

        @(Get-EtcdMember; 'text'; $unreadable; $samples) | Export-EtcdReport -Path $path -ErrorVariable bad -ErrorAction SilentlyContinue

        $bad | Should -HaveCount 5
        $bad.FullyQualifiedErrorId | Sort-Object -Unique | Should -Be 'InvalidReportInput,EtcdTools.Commands.ExportEtcdReportCommand'
        $bad[-1].Exception.Message | Should -BeLike "*Timestamp 'yesterday' is not a time*"
        $bad[0].Exception.Message | Should -BeLike '*is not performance data*'
        $path | Should -Exist
    }

    It 'takes -Path from the current location and -LiteralPath with brackets as they are' {
        Push-Location -Path $TestDrive
        try {
            $samples | Export-EtcdReport -Path ./relative.html
            $samples | Export-EtcdReport -LiteralPath './run[1].html'
        }
        finally { Pop-Location }
        Join-Path $TestDrive 'relative.html' | Should -Exist
        Test-Path -LiteralPath (Join-Path $TestDrive 'run[1].html') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $TestDrive 'run[1].csv') | Should -BeTrue
        { $samples | Export-EtcdReport -Path (Join-Path $TestDrive 'nothing*.html') } | Should -Throw -ErrorId 'InvalidArgument,EtcdTools.Commands.ExportEtcdReportCommand'
        { $samples | Export-EtcdReport -Path (Join-Path $TestDrive 'samples.csv') -WhatIf } | Should -Throw '*ends in .csv*'
        { $samples | Export-EtcdReport -Path (Join-Path $TestDrive 'missing' 'r.html') } | Should -Throw -ErrorId 'PathNotFound,EtcdTools.Commands.ExportEtcdReportCommand'
    }

    It 'escapes markup in the title' {
        $path = Join-Path $TestDrive 'title.html'
        $samples | Export-EtcdReport -Path $path -Title '<script>alert(1)</script> INC-1 & co'
        $html = Get-Content -Raw -Path $path
        $html | Should -Not -Match '<script'
        $html | Should -Match ([regex]::Escape('<h1>&lt;script&gt;alert(1)&lt;/script&gt; INC-1 &amp; co</h1>'))
    }
}
