#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }

# Save-, Get-, Test- and Restore-EtcdSnapshot, Start-EtcdSandbox -FromSnapshot and Measure-EtcdKeyspace
# as an operator's backup drill runs them in real pwsh, against a 3-member TLS sandbox; etcdctl as
# the witness; a full disk in a tmpfs of its own (a child pwsh in a user and mount namespace).
# Run with: Invoke-Pester ./tests/Pester/Snapshots.Tests.ps1

Describe 'EtcdTools snapshots' {
    BeforeAll {
        # The built module: $env:ETCDTOOLS_MODULE_PATH (set by build.ps1), else out/EtcdTools.
        $modulePath = if ($env:ETCDTOOLS_MODULE_PATH) { $env:ETCDTOOLS_MODULE_PATH } else { Join-Path $PSScriptRoot '..' '..' 'out' 'EtcdTools' }
        $modulePath = (Resolve-Path $modulePath).Path
        Import-Module $modulePath -Force -ErrorAction Stop
        $sandbox = Start-EtcdSandbox -Members 3 -Tls
        $sandbox | Connect-EtcdCluster
        # About 2.5 MB of data, history and a deletion.
        $value = 'v' * 65536
        1..40 | ForEach-Object { Set-EtcdKey "/drill/large/$_" -Value $value -Confirm:$false }
        1..30 | ForEach-Object { Set-EtcdKey "/registry/configmaps/ns$($_ % 3)/cm" -Value "version $_" -Confirm:$false }
        Remove-EtcdKey /drill/large/40 -Confirm:$false

        # This pwsh again, for the tests that need a process of their own (host output, namespaces).
        . (Join-Path $PSScriptRoot 'Shared' 'ChildProcess.ps1')

        function Invoke-Etcdctl([Parameter(Mandatory)] [string[]] $Arguments) {
            $saved = Get-ChildItem Env:ETCDCTL_* -ErrorAction SilentlyContinue
            $saved | ForEach-Object { Remove-Item "Env:$($_.Name)" }
            try {
                $output = & etcdctl @Arguments 2>&1
                if ($LASTEXITCODE -ne 0) { throw "etcdctl $Arguments failed: $output" }
                $output
            }
            finally {
                $saved | ForEach-Object { Set-Item "Env:$($_.Name)" $_.Value }
            }
        }
    }

    AfterAll {
        Disconnect-EtcdCluster
        $sandbox | Stop-EtcdSandbox -Confirm:$false
    }

    It 'saves a snapshot whose numbers are those of etcdctl snapshot status, and that a restored cluster serves' {
        $file = Join-Path $TestDrive 'drill.db'
        $snapshot = Save-EtcdSnapshot -Path $file
        $sourceHash = Compare-EtcdHash -Revision $snapshot.Revision | Select-Object -First 1

        $snapshot | Test-EtcdSnapshot | Should -BeTrue
        $info = $snapshot | Get-EtcdSnapshotInfo
        $status = Invoke-Etcdctl 'snapshot', 'status', $file, '-w', 'json' | ConvertFrom-Json
        $info.Hash | Should -Be $status.hash
        $info.Revision | Should -Be $status.revision
        $info.TotalKeys | Should -Be $status.totalKey
        $info.TotalSizeBytes | Should -Be $status.totalSize
        $info.HashKV | Should -Be $sourceHash.Hash
        $info.KeyCount | Should -Be (Get-EtcdKey -Prefix '' -CountOnly)

        $restored = Start-EtcdSandbox -Members 3 -Tls -FromSnapshot $file
        try {
            $restored.RestoreVerification.Matches | Should -BeTrue -Because $restored.RestoreVerification.Message
            $hashes = Compare-EtcdHash -Endpoint $restored.Endpoint -CaCertificatePath $restored.CaCertificatePath -CertificatePath $restored.CertificatePath -KeyPath $restored.KeyPath
            $hashes | Should -HaveCount 3
            $hashes.Hash | Sort-Object -Unique | Should -Be $sourceHash.Hash
            $hashes[0].Revision | Should -Be $snapshot.Revision
        }
        finally {
            $restored | Stop-EtcdSandbox -Confirm:$false
        }
    }

    It 'restores with etcdctl, refusing a damaged copy before anything is written' {
        $file = Join-Path $TestDrive 'restore.db'
        Save-EtcdSnapshot -Path $file | Out-Null
        $bytes = [IO.File]::ReadAllBytes($file)
        $bytes[100000] = $bytes[100000] -bxor 1
        $damaged = Join-Path $TestDrive 'damaged.db'
        [IO.File]::WriteAllBytes($damaged, $bytes)

        Restore-EtcdSnapshot -Path $damaged -Name m -DataDirectory (Join-Path $TestDrive 'never') -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -Be 'EtcdSnapshotCorrupt,EtcdTools.Commands.RestoreEtcdSnapshotCommand'
        Join-Path $TestDrive 'never' | Should -Not -Exist

        $restore = Restore-EtcdSnapshot -Path $file -Name m -DataDirectory (Join-Path $TestDrive 'member') -PeerUrl http://127.0.0.1:2380 -Confirm:$false
        $restore.Tool | Should -Match '^etcd(utl|ctl) '
        $db = Get-EtcdSnapshotInfo (Join-Path $TestDrive 'member' 'member' 'snap' 'db')
        $db.HasSha256 | Should -BeFalse
        $db.KeyCount | Should -Be $restore.KeyCount
        $db.HashKV | Should -Be $restore.HashKV
    }

    It 'shows the plan under -WhatIf, replacing only with -Force' {
        $file = Join-Path $TestDrive 'whatif.db'
        Set-Content -Path $file -Value 'older backup'
        $script = "Import-Module '$modulePath'; `$s = Import-Clixml '$(Join-Path $TestDrive 'sandbox.xml')'; Save-EtcdSnapshot -Path '$file' -Force -WhatIf @s"
        @{ Endpoint = $sandbox.Endpoint; CaCertificatePath = $sandbox.CaCertificatePath; CertificatePath = $sandbox.CertificatePath; KeyPath = $sandbox.KeyPath } |
            Export-Clixml (Join-Path $TestDrive 'sandbox.xml')

        $output = Invoke-ChildPwsh -NoProfile -NonInteractive -Command $script 2>&1 | Out-String

        $LASTEXITCODE | Should -Be 0
        $output | Should -Match 'What if: Performing the operation "Replace the existing file with a snapshot of member \S+ \([0-9a-f]+, https://127\.0\.0\.1:\d+\) \(a healthy follower'
        Get-Content $file | Should -Be 'older backup'
    }

    It 'leaves neither the file nor a temporary file when the disk fills up' {
        $unshare = Get-Command unshare -CommandType Application -ErrorAction Stop | Select-Object -First 1
        $mount = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'full-disk')
        @{ Endpoint = $sandbox.Endpoint; CaCertificatePath = $sandbox.CaCertificatePath; CertificatePath = $sandbox.CertificatePath; KeyPath = $sandbox.KeyPath } |
            Export-Clixml (Join-Path $TestDrive 'connection.xml')
        $child = Join-Path $TestDrive 'full-disk.ps1'
        Set-Content -Path $child -Value @'
param($ModulePath, $Directory, $Connection)
Import-Module $ModulePath
$connection = Import-Clixml $Connection
$failure = try { Save-EtcdSnapshot -Path (Join-Path $Directory 'full.db') -ErrorAction Stop @connection; $null } catch { $_ }
[pscustomobject]@{ ErrorId = $failure.FullyQualifiedErrorId; Message = "$failure"; Files = @(Get-ChildItem -Force $Directory | ForEach-Object Name) } | ConvertTo-Json -Compress
'@
        # A 1 MiB tmpfs in a mount namespace of the child's own (no root needed: a user namespace maps it).
        $json = & $unshare.Source -rm sh -c 'mount -t tmpfs -o size=1m tmpfs "$1" && shift && exec "$@"' sh $mount.FullName `
            @(Get-PwshCommand) -NoProfile -NonInteractive -File $child $modulePath $mount.FullName (Join-Path $TestDrive 'connection.xml')
        $LASTEXITCODE | Should -Be 0 -Because "$json"
        $result = $json | Select-Object -Last 1 | ConvertFrom-Json

        $result.ErrorId | Should -Be 'IOError,EtcdTools.Commands.SaveEtcdSnapshotCommand'
        $result.Message | Should -Match 'is full: \d+ bytes of the snapshot were written'
        $result.Files | Should -BeNullOrEmpty
    }

    It 'measures the keyspace online and from the snapshot alike' {
        $file = Join-Path $TestDrive 'keyspace.db'
        Save-EtcdSnapshot -Path $file | Out-Null
        $online = Measure-EtcdKeyspace
        $offline = Measure-EtcdKeyspace -Path $file

        $offline | Should -HaveCount $online.Count
        foreach ($row in $online) {
            $match = $offline | Where-Object Prefix -EQ $row.Prefix
            $match.Keys | Should -Be $row.Keys
            $match.TotalBytes | Should -Be $row.TotalBytes
        }
        ($online | Where-Object Prefix -EQ '/registry/configmaps/ns1/').MostVersions | Should -Be 10
        (Measure-EtcdKeyspace -Report LargestKeys -Top 1).Key | Should -BeLike '/drill/large/*'
        $csv = Join-Path $TestDrive 'keyspace.csv'
        $online | Export-Csv $csv
        (Import-Csv $csv | Measure-Object Keys -Sum).Sum | Should -Be (Get-EtcdKey -Prefix '' -CountOnly)
    }
}
