#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }

# Get-/Clear-EtcdAlarm, Compare-EtcdHash and Move-EtcdLeader against real etcd: a shared 3-member
# TLS sandbox for what leaves the cluster healthy, sandboxes of their own for alarms and faults.
# Run with: Invoke-Pester ./tests/Pester/Maintenance.Tests.ps1

Describe 'EtcdTools maintenance' {
    BeforeAll {
        # The built module: $env:ETCDTOOLS_MODULE_PATH (set by build.ps1), else out/EtcdTools.
        $modulePath = if ($env:ETCDTOOLS_MODULE_PATH) { $env:ETCDTOOLS_MODULE_PATH } else { Join-Path $PSScriptRoot '..' '..' 'out' 'EtcdTools' }
        Import-Module $modulePath -Force -ErrorAction Stop
        $sandbox = Start-EtcdSandbox -Members 3 -Tls
        $sandbox | Connect-EtcdCluster

        # Connection parameters for another sandbox, leaving out what it does not have (no TLS).
        function Get-SandboxConnection([Parameter(Mandatory)] $Sandbox) {
            $connection = @{ Endpoint = $Sandbox.Endpoint }
            foreach ($name in 'CaCertificatePath', 'CertificatePath', 'KeyPath') {
                if ($Sandbox.$name) { $connection[$name] = $Sandbox.$name }
            }
            $connection
        }

        # Writes 8 KiB values until etcd refuses with NOSPACE; returns how many were written.
        function Set-UntilNoSpace([Parameter(Mandatory)] [hashtable] $Connection) {
            $value = 'x' * 8192
            for ($i = 0; $i -lt 1000; $i++) {
                try { Set-EtcdKey "/fill/$i" -Value $value -ErrorAction Stop @Connection }
                catch {
                    if ($_.FullyQualifiedErrorId -like 'EtcdNoSpace,*') { return $i }
                    throw
                }
            }
            throw 'The quota was never reached.'
        }

        function Get-Leader([hashtable] $Connection = @{}) { Get-EtcdMember @Connection | Where-Object IsLeader }
    }

    AfterAll {
        Disconnect-EtcdCluster
        $sandbox | Stop-EtcdSandbox -Confirm:$false
    }

    Context 'Get-EtcdAlarm and Clear-EtcdAlarm' {
        It 'lists nothing on a healthy cluster and says so with -Verbose' {
            $verbose = Get-EtcdAlarm -Verbose 4>&1
            $verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] } | Should -BeNullOrEmpty
            ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain 'The cluster has no active alarm.'
        }

        It 'lists a real NOSPACE alarm, exports it, and clears it with a warning while the backend is still full' {
            $full = Start-EtcdSandbox -Members 1 -QuotaBackendBytes 262144
            try {
                $connection = Get-SandboxConnection $full
                Set-UntilNoSpace $connection | Should -BeGreaterThan 0

                $alarm = Get-EtcdAlarm @connection
                $alarm | Should -HaveCount 1
                $alarm.PSTypeNames | Should -Contain 'EtcdTools.Maintenance.EtcdAlarm'
                $alarm.Alarm | Should -Be 'NOSPACE'
                $alarm.MemberName | Should -Be $full.Members[0].Name
                $alarm.Endpoint | Should -Be $full.Members[0].ClientUrl

                $path = Join-Path $TestDrive 'alarms.csv'
                $alarm | Export-Csv -Path $path -NoTypeInformation
                (Import-Csv $path).Alarm | Should -Be 'NOSPACE'
                (Import-Csv $path).MemberId | Should -Be $alarm.MemberId

                # -WhatIf disarms nothing.
                $alarm | Clear-EtcdAlarm -WhatIf @connection
                Get-EtcdAlarm @connection | Should -HaveCount 1

                $cleared = $alarm | Clear-EtcdAlarm -PassThru -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue @connection
                $cleared.Alarm | Should -Be 'NOSPACE'
                $cleared.MemberId | Should -Be $alarm.MemberId
                Get-EtcdAlarm @connection | Should -BeNullOrEmpty
                ($warnings -join "`n") | Should -Match 'NOSPACE again'

                # As warned: the next write raises it again.
                { Set-EtcdKey /fill/again -Value 'x' -ErrorAction Stop @connection } | Should -Throw -ErrorId 'EtcdNoSpace,EtcdTools.Commands.SetEtcdKeyCommand'
                (Get-EtcdAlarm @connection).Alarm | Should -Be 'NOSPACE'
            }
            finally {
                $full | Stop-EtcdSandbox -Confirm:$false
            }
        }

        It 'selects by member (from Get-EtcdMember) and kind' {
            $full = Start-EtcdSandbox -Members 1 -QuotaBackendBytes 262144
            try {
                $connection = Get-SandboxConnection $full
                Set-UntilNoSpace $connection | Out-Null
                $member = Get-EtcdMember @connection

                ($member | Get-EtcdAlarm @connection).Alarm | Should -Be 'NOSPACE'
                Get-EtcdAlarm -Alarm CORRUPT @connection | Should -BeNullOrEmpty
                Get-EtcdAlarm -MemberId $member.Name @connection | Should -HaveCount 1
                Clear-EtcdAlarm -Alarm CORRUPT -Confirm:$false @connection
                Get-EtcdAlarm @connection | Should -HaveCount 1
            }
            finally {
                $full | Stop-EtcdSandbox -Confirm:$false
            }
        }

        It 'reports an unknown member as EtcdMemberNotFound' {
            { Get-EtcdAlarm -MemberId no-such-member -ErrorAction Stop } | Should -Throw -ErrorId 'EtcdMemberNotFound,EtcdTools.Commands.GetEtcdAlarmCommand'
            { Clear-EtcdAlarm -MemberId no-such-member -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'EtcdMemberNotFound,EtcdTools.Commands.ClearEtcdAlarmCommand'
        }

        It 'is ShouldProcess with ConfirmImpact Medium' {
            $attribute = (Get-Command Clear-EtcdAlarm).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
            $attribute.SupportsShouldProcess | Should -BeTrue
            $attribute.ConfirmImpact | Should -Be 'Medium'
        }
    }

    Context 'Compare-EtcdHash' {
        It 'reports one matching hash per member at one revision' {
            Set-EtcdKey "/pester/$([guid]::NewGuid().ToString('N'))/k" -Value 'v'
            $hashes = Compare-EtcdHash

            $hashes | Should -HaveCount 3
            $hashes | ForEach-Object { $_.PSTypeNames | Should -Contain 'EtcdTools.Maintenance.EtcdMemberHash' }
            ($hashes.Revision | Select-Object -Unique) | Should -HaveCount 1
            ($hashes.Hash | Select-Object -Unique) | Should -HaveCount 1
            $hashes.Matches | Should -Not -Contain $false
            ($hashes.Name | Sort-Object) | Should -Be ($sandbox.Members.Name | Sort-Object)
        }

        It 'compares at -Revision and exports to CSV' {
            $marker = Set-EtcdKey "/pester/$([guid]::NewGuid().ToString('N'))/marker" -Value 'v' -PassThru
            $path = Join-Path $TestDrive 'hashes.csv'

            Compare-EtcdHash -Revision $marker.ModRevision | Export-Csv -Path $path -NoTypeInformation

            $rows = Import-Csv $path
            $rows | Should -HaveCount 3
            $rows.Revision | Should -Be (@("$($marker.ModRevision)") * 3)
            $rows[0].PSObject.Properties.Name | Should -Contain 'HashHex'
            $rows.Matches | Should -Be @('True', 'True', 'True')
        }

        It 'refuses a revision in the future with EtcdInvalidArgument' {
            { Compare-EtcdHash -Revision ([long]::MaxValue / 2) -ErrorAction Stop } |
                Should -Throw -ErrorId 'EtcdInvalidArgument,EtcdTools.Commands.CompareEtcdHashCommand'
        }

        It 'reports a stopped member as its own error while the others report' {
            $own = Start-EtcdSandbox -Members 3
            try {
                $connection = Get-SandboxConnection $own
                Stop-EtcdSandboxMember -Sandbox $own -Index 2 -Confirm:$false

                $hashes = Compare-EtcdHash -ErrorVariable failures -ErrorAction SilentlyContinue @connection

                $hashes | Should -HaveCount 2
                $hashes.Matches | Should -Be @($true, $true)
                $failures | Should -HaveCount 1
                $failures[0].FullyQualifiedErrorId | Should -Be 'EtcdUnavailable,EtcdTools.Commands.CompareEtcdHashCommand'
                $failures[0].TargetObject | Should -Be $own.Members[2].Name
            }
            finally {
                $own | Stop-EtcdSandbox -Confirm:$false
            }
        }
    }

    Context 'Move-EtcdLeader' {
        It 'moves leadership to a follower piped from Get-EtcdMember' {
            $before = Get-Leader
            $target = Get-EtcdMember | Where-Object { -not $_.IsLeader -and -not $_.IsLearner } | Select-Object -First 1

            $change = $target | Move-EtcdLeader -Confirm:$false

            $change.PSTypeNames | Should -Contain 'EtcdTools.Maintenance.EtcdLeaderChange'
            $change.PreviousLeaderId | Should -Be $before.MemberId
            $change.NewLeaderId | Should -Be $target.MemberId
            $change.NewLeader | Should -Be $target.Name
            $change.TookMs | Should -BeGreaterThan 0
            (Get-Leader).MemberId | Should -Be $target.MemberId
        }

        It 'exports the change to CSV' {
            $target = Get-EtcdMember | Where-Object { -not $_.IsLeader } | Select-Object -First 1
            $path = Join-Path $TestDrive 'leader.csv'
            Move-EtcdLeader -MemberId $target.Name -Confirm:$false | Export-Csv -Path $path -NoTypeInformation
            $row = Import-Csv $path
            $row.NewLeaderId | Should -Be $target.MemberId
            $row.PSObject.Properties.Name | Should -Contain 'TookMs'
        }

        It 'changes nothing with -WhatIf' {
            $before = Get-Leader
            $target = Get-EtcdMember | Where-Object { -not $_.IsLeader } | Select-Object -First 1
            Move-EtcdLeader -MemberId $target.MemberId -WhatIf | Should -BeNullOrEmpty
            (Get-Leader).MemberId | Should -Be $before.MemberId
        }

        It 'warns and does nothing when the target leads already' {
            $leader = Get-Leader
            $result = $leader | Move-EtcdLeader -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
            $result | Should -BeNullOrEmpty
            $warnings | Should -HaveCount 1
            (Get-Leader).MemberId | Should -Be $leader.MemberId
        }

        It 'reports an unknown member as EtcdMemberNotFound' {
            { Move-EtcdLeader -MemberId no-such-member -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'EtcdMemberNotFound,EtcdTools.Commands.MoveEtcdLeaderCommand'
        }

        It 'takes exactly one target' {
            $followers = Get-EtcdMember | Where-Object { -not $_.IsLeader }
            { Move-EtcdLeader -MemberId $followers.MemberId -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,EtcdTools.Commands.MoveEtcdLeaderCommand'
        }

        It 'is ShouldProcess with ConfirmImpact Medium' {
            $attribute = (Get-Command Move-EtcdLeader).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
            $attribute.SupportsShouldProcess | Should -BeTrue
            $attribute.ConfirmImpact | Should -Be 'Medium'
        }
    }
}
