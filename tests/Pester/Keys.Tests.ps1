#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }

# Get-, Set-, Remove- and Watch-EtcdKey against a real 3-member TLS sandbox. Each test works under
# a prefix of its own. Run with: Invoke-Pester ./tests/Pester/Keys.Tests.ps1

Describe 'EtcdTools keys' {
    BeforeAll {
        # The built module: $env:ETCDTOOLS_MODULE_PATH (set by build.ps1), else out/EtcdTools.
        $modulePath = if ($env:ETCDTOOLS_MODULE_PATH) { $env:ETCDTOOLS_MODULE_PATH } else { Join-Path $PSScriptRoot '..' '..' 'out' 'EtcdTools' }
        Import-Module $modulePath -Force -ErrorAction Stop
        $sandbox = Start-EtcdSandbox -Members 3 -Tls
        $sandbox | Connect-EtcdCluster

        function New-TestPrefix { "/pester/$([guid]::NewGuid().ToString('N'))/" }

        # Connection parameters for another sandbox, leaving out what it does not have (no TLS).
        function Get-SandboxConnection([Parameter(Mandatory)] $Sandbox) {
            $connection = @{ Endpoint = $Sandbox.Endpoint }
            foreach ($name in 'CaCertificatePath', 'CertificatePath', 'KeyPath') {
                if ($Sandbox.$name) { $connection[$name] = $Sandbox.$name }
            }
            $connection
        }

        # etcdctl as an independent witness (it refuses ETCDCTL_* variables that repeat its flags).
        function Invoke-Etcdctl([Parameter(Mandatory)] $Sandbox, [Parameter(Mandatory)] [string[]] $Arguments) {
            $saved = Get-ChildItem Env:ETCDCTL_* -ErrorAction SilentlyContinue
            $saved | ForEach-Object { Remove-Item "Env:$($_.Name)" }
            try {
                $flags = @("--endpoints=$($Sandbox.Endpoint)")
                if ($Sandbox.CaCertificatePath) { $flags += "--cacert=$($Sandbox.CaCertificatePath)", "--cert=$($Sandbox.CertificatePath)", "--key=$($Sandbox.KeyPath)" }
                $output = & etcdctl @flags @Arguments 2>&1
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

    Context 'Set-EtcdKey' {
        It 'writes text and -PassThru shows the stored key with its revision' {
            $key = (New-TestPrefix) + 'greeting'
            $first = Set-EtcdKey -Key $key -Value 'hello' -PassThru
            $second = Set-EtcdKey -Key $key -Value 'hello again' -PassThru

            $first.PSTypeNames | Should -Contain 'EtcdTools.Keys.EtcdKeyValue'
            $first.Version | Should -Be 1
            $second.Version | Should -Be 2
            $second.CreateRevision | Should -Be $first.CreateRevision
            $second.ModRevision | Should -BeGreaterThan $first.ModRevision
            (Get-EtcdKey $key).Value | Should -Be 'hello again'
            Invoke-Etcdctl $sandbox @('get', $key, '--print-value-only') | Should -Be 'hello again'
        }

        It 'takes piped strings as values' {
            $key = (New-TestPrefix) + 'piped'
            'from the pipeline' | Set-EtcdKey -Key $key
            (Get-EtcdKey $key).Value | Should -Be 'from the pipeline'
        }

        It 'stores -RawValue bytes unchanged' {
            $key = (New-TestPrefix) + 'binary'
            [byte[]] $bytes = 0xff, 0x00, 0x41, 0x80
            Set-EtcdKey -Key $key -RawValue $bytes
            $read = Get-EtcdKey $key
            $read.ValueEncoding | Should -Be 'base64'
            $read.Value | Should -Be ('base64:' + [Convert]::ToBase64String($bytes))
            [Convert]::ToBase64String($read.RawValue) | Should -Be ([Convert]::ToBase64String($bytes))
        }

        It 'copies keys by piping Get-EtcdKey objects (Key and RawValue bind by property name)' {
            $source = New-TestPrefix
            $target = New-TestPrefix
            Set-EtcdKey "${source}a" -Value 'one'
            Set-EtcdKey "${source}b" -RawValue ([byte[]](1, 2, 3))

            Get-EtcdKey -Prefix $source |
                Select-Object @{ Name = 'Key'; Expression = { $_.Key.Replace($source, $target) } }, RawValue |
                Set-EtcdKey -Confirm:$false

            (Get-EtcdKey -Prefix $target).Key | Should -Be @("${target}a", "${target}b")
            (Get-EtcdKey "${target}a").Value | Should -Be 'one'
            (Get-EtcdKey "${target}b").RawValue | Should -Be @(1, 2, 3)
        }

        It 'refuses a redacted secret instead of writing its placeholder' {
            $id = [guid]::NewGuid().ToString('N')
            $secret = "/registry/secrets/$id/token"
            $copy = (New-TestPrefix) + 'copied-secret'
            Set-EtcdKey $secret -Value 'hunter2'

            { Get-EtcdKey $secret | Select-Object @{ Name = 'Key'; Expression = { $copy } }, RawValue | Set-EtcdKey -ErrorAction Stop } |
                Should -Throw
            Get-EtcdKey $copy -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        It 'rejects a lease ID that is not hex with EtcdLeaseIdInvalid' {
            { Set-EtcdKey ((New-TestPrefix) + 'k') -Value 'v' -Lease 'not-a-lease' -ErrorAction Stop } |
                Should -Throw -ErrorId 'EtcdLeaseIdInvalid,EtcdTools.Commands.SetEtcdKeyCommand'
        }

        It 'changes nothing with -WhatIf' {
            $key = (New-TestPrefix) + 'what-if'
            Set-EtcdKey -Key $key -Value 'v' -WhatIf
            Get-EtcdKey $key -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        It 'is ShouldProcess with ConfirmImpact Medium' {
            $attribute = (Get-Command Set-EtcdKey).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
            $attribute.SupportsShouldProcess | Should -BeTrue
            $attribute.ConfirmImpact | Should -Be 'Medium'
        }
    }

    Context 'Get-EtcdKey' {
        BeforeAll {
            $prefix = New-TestPrefix
            1..25 | ForEach-Object { Set-EtcdKey ('{0}k{1:D3}' -f $prefix, $_) -Value "value $_" }
        }

        It 'lists a prefix in key order, across pages' {
            $keys = Get-EtcdKey -Prefix $prefix -PageSize 10
            $keys | Should -HaveCount 25
            $keys.Key | Should -Be (1..25 | ForEach-Object { '{0}k{1:D3}' -f $prefix, $_ })
            $keys[0].Value | Should -Be 'value 1'
        }

        It 'counts with -CountOnly as a long, without values' {
            $count = Get-EtcdKey -Prefix $prefix -CountOnly
            $count | Should -BeOfType ([long])
            $count | Should -Be 25
        }

        It 'reads keys only with -KeysOnly' {
            # A keys-only object is the key with its metadata, and no value at all: not an empty one.
            $keys = Get-EtcdKey -Prefix $prefix -KeysOnly -Limit 3
            $keys | Should -HaveCount 3
            foreach ($key in $keys) {
                $key.Key | Should -BeLike "$prefix*"
                $key.Value | Should -BeNullOrEmpty
                $key.RawValue | Should -BeNullOrEmpty
                $key.ValueBytes | Should -BeNullOrEmpty
                $key.ValueEncoding | Should -Be 'none'
                $key.ModRevision | Should -BeGreaterThan 0
                $key.Version | Should -BeGreaterThan 0
            }
        }

        It 'takes keys from the pipeline' {
            $read = ('{0}k001' -f $prefix), ('{0}k002' -f $prefix) | Get-EtcdKey
            $read.Value | Should -Be @('value 1', 'value 2')
        }

        It 'stops reading when the pipeline stops' {
            $first = Get-EtcdKey -Prefix $prefix -PageSize 5 | Select-Object -First 2
            $first | Should -HaveCount 2
        }

        It 'reads the keyspace as it was at -Revision' {
            $key = '{0}k005' -f $prefix
            $before = Get-EtcdKey $key
            Set-EtcdKey $key -Value 'changed'
            (Get-EtcdKey $key -Revision $before.ModRevision).Value | Should -Be 'value 5'
            (Get-EtcdKey $key).Value | Should -Be 'changed'
            Set-EtcdKey $key -Value 'value 5'
        }

        It 'redacts Kubernetes secrets unless -ShowSecret, also in Export-Csv' {
            $id = [guid]::NewGuid().ToString('N')
            Set-EtcdKey "/registry/secrets/$id/db" -Value 'hunter2'
            $path = Join-Path $TestDrive 'secrets.csv'

            Get-EtcdKey -Prefix "/registry/secrets/$id/" | Export-Csv -Path $path -NoTypeInformation

            $row = Import-Csv $path
            $row.Value | Should -Be '<redacted: 7 bytes>'
            $row.IsRedacted | Should -Be 'True'
            Get-Content $path -Raw | Should -Not -Match 'hunter2'
            (Get-EtcdKey "/registry/secrets/$id/db" -ShowSecret).Value | Should -Be 'hunter2'
        }

        It 'exports flat columns to CSV and JSON' {
            $path = Join-Path $TestDrive 'keys.csv'
            Get-EtcdKey -Prefix $prefix -Limit 5 | Export-Csv -Path $path -NoTypeInformation
            $rows = Import-Csv $path
            $rows | Should -HaveCount 5
            $columns = $rows[0].PSObject.Properties.Name
            foreach ($column in 'Key', 'Value', 'ValueEncoding', 'ValueBytes', 'CreateRevision', 'ModRevision', 'Version', 'Lease', 'IsRedacted') {
                $columns | Should -Contain $column
            }
            $rows[0].Value | Should -Be 'value 1'

            $json = Get-EtcdKey ('{0}k001' -f $prefix) | ConvertTo-Json | ConvertFrom-Json
            $json.Value | Should -Be 'value 1'
            $json.ValueBytes | Should -Be 7
        }

        It 'reports a missing key as EtcdKeyNotFound and an empty prefix as nothing' {
            { Get-EtcdKey ((New-TestPrefix) + 'missing') -ErrorAction Stop } |
                Should -Throw -ErrorId 'EtcdKeyNotFound,EtcdTools.Commands.GetEtcdKeyCommand'
            Get-EtcdKey -Prefix (New-TestPrefix) | Should -BeNullOrEmpty
        }

        It 'asks for a key or -Prefix' {
            { Get-EtcdKey -ErrorAction Stop } | Should -Throw -ErrorId 'EtcdKeyMissing,EtcdTools.Commands.GetEtcdKeyCommand'
        }

        It 'reports a revision in the future as EtcdInvalidArgument' {
            { Get-EtcdKey -Prefix $prefix -Revision ([long]::MaxValue / 2) -ErrorAction Stop } |
                Should -Throw -ErrorId 'EtcdInvalidArgument,EtcdTools.Commands.GetEtcdKeyCommand'
        }

        It 'shows the table view with the value truncated' {
            $long = 'x' * 200
            $key = (New-TestPrefix) + 'long'
            Set-EtcdKey $key -Value $long
            $table = Get-EtcdKey $key | Format-Table | Out-String -Width 300
            $table | Should -Match 'ModRevision'
            $table | Should -Not -Match ('x' * 100)
            $table | Should -Not -Match 'RawValue'
        }
    }

    Context 'Remove-EtcdKey' {
        It 'deletes a prefix, writes the count with -PassThru and leaves its neighbours' {
            $root = New-TestPrefix
            1..12 | ForEach-Object { Set-EtcdKey "${root}app/$_" -Value 'v' }
            Set-EtcdKey "${root}app0" -Value 'neighbour'

            $deleted = Remove-EtcdKey -Key "${root}app/" -Prefix -PassThru -Confirm:$false

            $deleted | Should -Be 12
            Get-EtcdKey -Prefix "${root}app/" -CountOnly | Should -Be 0
            (Get-EtcdKey "${root}app0").Value | Should -Be 'neighbour'
        }

        It 'deletes exactly the keys piped from Get-EtcdKey' {
            $prefix = New-TestPrefix
            1..6 | ForEach-Object { Set-EtcdKey "$prefix$_" -Value "$_" }

            Get-EtcdKey -Prefix $prefix | Where-Object { [int]$_.Value % 2 -eq 0 } | Remove-EtcdKey -Confirm:$false

            (Get-EtcdKey -Prefix $prefix).Value | Should -Be @('1', '3', '5')
        }

        It 'names the count of keys in its confirmation and deletes nothing with -WhatIf' {
            $prefix = New-TestPrefix
            1..3 | ForEach-Object { Set-EtcdKey "$prefix$_" -Value 'v' }
            $transcript = Join-Path $TestDrive 'what-if.txt'

            Start-Transcript -Path $transcript
            try { Remove-EtcdKey $prefix -Prefix -WhatIf }
            finally { Stop-Transcript }

            Get-Content $transcript -Raw | Should -Match "3 keys under prefix '$([regex]::Escape($prefix))'"
            Get-EtcdKey -Prefix $prefix -CountOnly | Should -Be 3
        }

        It 'refuses the whole keyspace without -Force' {
            { Remove-EtcdKey -Key '' -Prefix -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'EtcdWholeKeyspaceRefused,EtcdTools.Commands.RemoveEtcdKeyCommand'
            Get-EtcdKey -Prefix -CountOnly | Should -BeGreaterThan 0
        }

        It 'reports a missing key as EtcdKeyNotFound' {
            { Remove-EtcdKey ((New-TestPrefix) + 'missing') -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'EtcdKeyNotFound,EtcdTools.Commands.RemoveEtcdKeyCommand'
        }

        It 'is ShouldProcess with ConfirmImpact High' {
            $attribute = (Get-Command Remove-EtcdKey).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
            $attribute.SupportsShouldProcess | Should -BeTrue
            $attribute.ConfirmImpact | Should -Be 'High'
        }
    }

    Context 'Watch-EtcdKey' {
        It 'writes each change to the pipeline as it happens, until -Count' {
            $prefix = New-TestPrefix
            $module = $modulePath
            $connection = Get-SandboxConnection $sandbox
            $writer = Start-ThreadJob -ScriptBlock {
                Import-Module $using:module
                $c = $using:connection
                Start-Sleep -Seconds 1
                1..3 | ForEach-Object { Set-EtcdKey "$($using:prefix)$_" -Value "v$_" @c }
            }
            try {
                $events = Watch-EtcdKey -Prefix $prefix -Count 3 -Timeout 30s
            }
            finally {
                $writer | Wait-Job -Timeout 30 | Receive-Job -ErrorAction Continue
                $writer | Remove-Job -Force
            }

            $events | Should -HaveCount 3
            $events | ForEach-Object { $_.PSTypeNames | Should -Contain 'EtcdTools.Keys.EtcdWatchEvent' }
            $events.Type | Should -Be @('PUT', 'PUT', 'PUT')
            $events.Value | Should -Be @('v1', 'v2', 'v3')
        }

        It 'replays history from -Revision with -PrevKv and exports to CSV' {
            $key = (New-TestPrefix) + 'history'
            $start = Set-EtcdKey $key -Value 'one' -PassThru
            Set-EtcdKey $key -Value 'two'
            Remove-EtcdKey $key -Confirm:$false
            $path = Join-Path $TestDrive 'events.csv'

            Watch-EtcdKey $key -Revision $start.ModRevision -PrevKv -Count 3 | Export-Csv -Path $path -NoTypeInformation

            $rows = Import-Csv $path
            $rows.Type | Should -Be @('PUT', 'PUT', 'DELETE')
            $rows.Value | Should -Be @('one', 'two', '')
            $rows.PreviousValue | Should -Be @('', 'one', 'two')
        }

        It 'ends quietly at -Timeout' {
            $elapsed = Measure-Command { $script:idle = Watch-EtcdKey -Prefix (New-TestPrefix) -Timeout 1s }
            $script:idle | Should -BeNullOrEmpty
            $elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.9
            $elapsed.TotalSeconds | Should -BeLessThan 15
        }

        It 'stops when the pipeline downstream has enough' {
            $prefix = New-TestPrefix
            $start = Set-EtcdKey "${prefix}a" -Value '1' -PassThru
            Set-EtcdKey "${prefix}b" -Value '2'
            $first = Watch-EtcdKey -Prefix $prefix -Revision $start.ModRevision | Select-Object -First 1
            $first.Key | Should -Be "${prefix}a"
        }

        It 'asks for a key or -Prefix' {
            { Watch-EtcdKey -Timeout 1s -ErrorAction Stop } | Should -Throw -ErrorId 'EtcdKeyMissing,EtcdTools.Commands.WatchEtcdKeyCommand'
        }

        It 'reports a compacted start revision as EtcdRevisionCompacted' {
            # Compaction is permanent and cluster-wide: a sandbox of its own.
            $own = Start-EtcdSandbox -Members 1
            try {
                $connection = Get-SandboxConnection $own
                $first = Set-EtcdKey /compacted/key -Value '1' -PassThru @connection
                $last = Set-EtcdKey /compacted/key -Value '2' -PassThru @connection
                Invoke-Etcdctl $own @('compact', $last.ModRevision) | Out-Null

                { Watch-EtcdKey /compacted/key -Revision $first.ModRevision -Timeout 10s -ErrorAction Stop @connection } |
                    Should -Throw -ErrorId 'EtcdRevisionCompacted,EtcdTools.Commands.WatchEtcdKeyCommand'
                { Get-EtcdKey /compacted/key -Revision $first.ModRevision -ErrorAction Stop @connection } |
                    Should -Throw -ErrorId 'EtcdRevisionCompacted,EtcdTools.Commands.GetEtcdKeyCommand'
            }
            finally {
                $own | Stop-EtcdSandbox -Confirm:$false
            }
        }
    }
}
