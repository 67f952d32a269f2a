#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }

# Test-EtcdDisk and Invoke-EtcdLoadTest in real pwsh, against real directories and sandboxes.
# A slow disk is made real by strace delaying every fdatasync of a pwsh of its own; the load tests
# use a plaintext 3-member sandbox of their own (they compact it), and sandboxes of their own for
# a member down and a quota too small.
# Run with: $env:ETCDTOOLS_MODULE_PATH = './out/EtcdTools'; Invoke-Pester ./tests/Pester/LoadAndDisk.Tests.ps1

BeforeAll {
    if (-not $IsLinux -or -not (Get-Command -Name strace -CommandType Application -ErrorAction SilentlyContinue)) {
        throw 'These tests need Linux and strace (apt-get install strace) to make a disk slow for real.'
    }
    $modulePath = if ($env:ETCDTOOLS_MODULE_PATH) { $env:ETCDTOOLS_MODULE_PATH } else { Join-Path $PSScriptRoot '..' '..' 'out' 'EtcdTools' }
    $script:ManifestPath = [System.IO.Path]::GetFullPath((Join-Path $modulePath 'EtcdTools.psd1'))
    Import-Module $script:ManifestPath -Force -ErrorAction Stop
    $script:StartedSandboxes = [System.Collections.Generic.List[object]]::new()

    function New-TestSandbox([hashtable] $Parameters = @{}) {
        $sandbox = Start-EtcdSandbox -Name ('pester-perf-' + [guid]::NewGuid().ToString('N').Substring(0, 8)) @Parameters -ErrorAction Stop
        $script:StartedSandboxes.Add($sandbox)
        $sandbox
    }

    # This pwsh's command line (Get-PwshCommand), for strace to start.
    . (Join-Path $PSScriptRoot 'Shared' 'ChildProcess.ps1')
}

AfterAll {
    if ($script:StartedSandboxes.Count -gt 0) { $script:StartedSandboxes | Stop-EtcdSandbox -Confirm:$false }
    Disconnect-EtcdCluster
}

Describe 'Test-EtcdDisk' {
    BeforeEach {
        $directory = New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid().ToString('N')))
    }

    It 'fails a disk whose every fdatasync takes 15 ms, calling fdatasync once per write and never fsync' {
        # A pwsh of its own under strace: only its fdatasync calls stop (seccomp-bpf), each delayed 15 ms.
        $summary = Join-Path $TestDrive 'syscalls.txt'
        $pwsh = Get-PwshCommand
        $script = "Import-Module '$script:ManifestPath'; Test-EtcdDisk -Path '$directory' -SizeBytes 256KB | ConvertTo-Json -Compress"
        $json = & strace -f --seccomp-bpf -c -o $summary -e trace=fdatasync,fsync,fallocate -e inject=fdatasync:delay_enter=15000 `
            @pwsh -NoProfile -NonInteractive -Command $script
        $LASTEXITCODE | Should -Be 0
        $result = $json | ConvertFrom-Json

        $result.Writes | Should -Be 113
        $result.SyncP50Ms | Should -BeGreaterOrEqual 15
        $result.SyncP99Ms | Should -BeGreaterOrEqual 15
        $result.Passed | Should -BeFalse
        $result.Verdict | Should -BeLike 'FAIL: fdatasync p99 * ms is over 10 ms*'
        $result.Recommendation | Should -Match 'SSD or NVMe'
        # The system calls fio makes for this job: one fallocate, one fdatasync per write, no fsync.
        $calls = @{}
        foreach ($line in Get-Content $summary) {
            if ($line -match '^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$') { $calls[$Matches[2]] = [int]$Matches[1] }
        }
        $calls['fdatasync'] | Should -Be 113
        $calls['fallocate'] | Should -Be 1
        $calls.ContainsKey('fsync') | Should -BeFalse
        Get-ChildItem -Force $directory | Should -BeNullOrEmpty
    }

    It 'writes results of several directories that export to CSV' {
        $second = New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid().ToString('N')))
        $results = $directory, $second | Test-EtcdDisk -SizeBytes 128KB
        $results | Should -HaveCount 2
        $results[0].PSTypeNames | Should -Contain 'EtcdTools.Performance.EtcdDiskTestResult'
        $results.Path | Should -Be @($directory.FullName, $second.FullName)
        foreach ($result in $results) { $result.Passed | Should -Be ($result.SyncP99Ms -lt 10) }

        $csv = Join-Path $TestDrive 'disks.csv'
        $results | Export-Csv -Path $csv -NoTypeInformation
        $rows = Import-Csv $csv
        $rows | Should -HaveCount 2
        $rows[0].Writes | Should -Be '56'
        [double]$rows[1].SyncP99Ms | Should -Be $results[1].SyncP99Ms -Because 'the raw milliseconds are exported, not the view (a double round-trips through its text)'
    }

    It 'refuses a missing directory at once, with PathNotFound' {
        $missing = Join-Path $directory 'missing'
        $errorRecord = { Test-EtcdDisk -Path $missing -ErrorAction Stop } | Should -Throw -PassThru
        $errorRecord.FullyQualifiedErrorId | Should -Be 'PathNotFound,EtcdTools.Commands.TestEtcdDiskCommand'
        $errorRecord.TargetObject | Should -Be $missing
    }
}

Describe 'Invoke-EtcdLoadTest' {
    BeforeAll {
        $sandbox = New-TestSandbox @{ Members = 3 }
        $sandbox | Connect-EtcdCluster
    }

    It 'shows its plan with -WhatIf and writes nothing' {
        $transcript = Join-Path $TestDrive 'whatif.txt'
        Start-Transcript -Path $transcript -UseMinimalHeader | Out-Null
        try { $output = Invoke-EtcdLoadTest -Load m -Compact -WhatIf }
        finally { Stop-Transcript | Out-Null }

        $output | Should -BeNullOrEmpty
        $text = (Get-Content $transcript -Raw) -replace '\s+', ' '
        $text | Should -Match "What if: Performing the operation `"Run a load test, load 'm': 1000 puts/s from 200 clients for 1m \(60,000 puts of 256-byte keys and 1024-byte values, about \d+\.\d MiB of history\)"
        $text | Should -Match "under '/etcdtools-loadtest/\d{8}T\d{6}Z-[0-9a-f]{6}/'; then delete the keys and compact the cluster's history to the revision at the end if no other client wrote meanwhile"
        Get-EtcdKey -Prefix /etcdtools-loadtest/ -CountOnly | Should -Be 0
    }

    It 'runs a short load, deletes its keys, compacts its history and exports its result' {
        $result = Invoke-EtcdLoadTest -Rate 50 -Clients 5 -Duration 2s -Compact -Confirm:$false
        $result.PSTypeNames | Should -Contain 'EtcdTools.Performance.EtcdLoadTestResult'
        $result.Errors | Should -Be 0
        $result.Succeeded | Should -BeGreaterThan 0
        $result.Passed | Should -Be ($result.ErrorsPassed -and $result.ThroughputPassed -and $result.SlowestPassed -and $result.StddevPassed)
        $result.KeysDeleted | Should -Be $result.Succeeded
        $result.Compacted | Should -BeTrue
        $result.CompactRevision | Should -Be $result.EndRevision
        Get-EtcdKey -Prefix $result.Prefix -CountOnly | Should -Be 0

        $csv = Join-Path $TestDrive 'loads.csv'
        $result | Export-Csv -Path $csv -NoTypeInformation
        $row = Import-Csv $csv
        $row.Requests | Should -Be "$($result.Requests)"
        $row.Compacted | Should -Be 'True'
        $row.Members | Should -Be $result.Members
    }

    It 'refuses a load whose history would fill a small quota, naming NOSPACE, and writes nothing' {
        $small = New-TestSandbox @{ Members = 1; QuotaBackendBytes = 8MB }
        $errorRecord = { Invoke-EtcdLoadTest -Load s -Confirm:$false -ErrorAction Stop -Endpoint $small.Endpoint } | Should -Throw -PassThru
        $errorRecord.FullyQualifiedErrorId | Should -Be 'EtcdLoadTestRefused,EtcdTools.Commands.InvokeEtcdLoadTestCommand'
        $errorRecord.Exception.Message | Should -Match 'of its 8\.0 MiB quota'
        $errorRecord.Exception.Message | Should -Match 'NOSPACE'
        Get-EtcdKey -Prefix / -CountOnly -Endpoint $small.Endpoint | Should -Be 0
    }

    It 'refuses a cluster with a member down, naming the member' {
        $ailing = New-TestSandbox @{ Members = 3 }
        Stop-EtcdSandboxMember -Sandbox $ailing -Index 1 -Confirm:$false
        $errorRecord = { Invoke-EtcdLoadTest -Duration 5s -Confirm:$false -ErrorAction Stop -Endpoint $ailing.Endpoint -CommandTimeout 2s } | Should -Throw -PassThru
        $errorRecord.FullyQualifiedErrorId | Should -Be 'EtcdLoadTestRefused,EtcdTools.Commands.InvokeEtcdLoadTestCommand'
        $errorRecord.Exception.Message | Should -Match ([regex]::Escape("MemberHealth [$($ailing.Members[1].Name)]"))
    }
}
