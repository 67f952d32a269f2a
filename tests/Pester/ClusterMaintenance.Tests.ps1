#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }

# Invoke-EtcdDefrag, Invoke-EtcdCompaction, Repair-EtcdQuota, the member cmdlets and Watch-EtcdKey's
# resumption against real etcd, with faults: members killed, stopped and hung, a real NOSPACE, a
# real extra etcd joining. Every test has sandboxes of its own: all of this changes a cluster.
# Run with: Invoke-Pester ./tests/Pester/ClusterMaintenance.Tests.ps1

BeforeAll {
    $modulePath = if ($env:ETCDTOOLS_MODULE_PATH) { $env:ETCDTOOLS_MODULE_PATH } else { Join-Path $PSScriptRoot '..' '..' 'out' 'EtcdTools' }
    $script:ManifestPath = [System.IO.Path]::GetFullPath((Join-Path $modulePath 'EtcdTools.psd1'))
    Import-Module $script:ManifestPath -Force -ErrorAction Stop
    Disconnect-EtcdCluster

    $script:StartedSandboxes = [System.Collections.Generic.List[object]]::new()
    function New-TestSandbox([hashtable] $Parameters = @{}) {
        $sandbox = Start-EtcdSandbox -Name ('pester-maint-' + [guid]::NewGuid().ToString('N').Substring(0, 8)) @Parameters -ErrorAction Stop
        $script:StartedSandboxes.Add($sandbox)
        $sandbox
    }

    # Connection parameters for a sandbox, leaving out what it does not have (no TLS).
    function Get-SandboxConnection($Sandbox) {
        $connection = @{ Endpoint = $Sandbox.Endpoint }
        foreach ($name in 'CaCertificatePath', 'CertificatePath', 'KeyPath') {
            if ($Sandbox.$name) { $connection[$name] = $Sandbox.$name }
        }
        $connection
    }

    # What -WhatIf printed, one line, spaces collapsed.
    function Get-WhatIfText([scriptblock] $Command) {
        $transcript = Join-Path $TestDrive "whatif-$([guid]::NewGuid().ToString('N')).txt"
        Start-Transcript -Path $transcript -UseMinimalHeader | Out-Null
        try { $output = & $Command } finally { Stop-Transcript | Out-Null }
        $output | Should -BeNullOrEmpty
        (Get-Content $transcript -Raw) -replace '\s+', ' '
    }

    # Writes one key over and over (history compaction frees) or distinct keys (live data) until NOSPACE.
    function Set-UntilNoSpace([hashtable] $Connection, [switch] $DistinctKeys) {
        $value = 'x' * ($DistinctKeys ? 1024 : 8192)
        for ($i = 0; $i -lt 5000; $i++) {
            $key = if ($DistinctKeys) { '/fill/{0:d5}' -f $i } else { '/fill/one' }
            try { Set-EtcdKey $key -Value $value -Confirm:$false -ErrorAction Stop @Connection }
            catch {
                if ($_.FullyQualifiedErrorId -like 'EtcdNoSpace,*') { return }
                throw
            }
        }
        throw 'The quota was never reached.'
    }
}

AfterAll {
    if ($script:StartedSandboxes.Count -gt 0) { $script:StartedSandboxes | Stop-EtcdSandbox -Confirm:$false }
    Disconnect-EtcdCluster
}

Describe 'Invoke-EtcdDefrag' {
    BeforeEach {
        $sandbox = New-TestSandbox @{ Members = 3 }
        $connection = Get-SandboxConnection $sandbox
    }

    It 'shows its plan with -WhatIf: order, sizes, expected reclaim, skipped members and health; and changes nothing' {
        $before = Get-EtcdMember @connection | Sort-Object MemberId
        $leader = $before | Where-Object IsLeader

        $text = Get-WhatIfText { Invoke-EtcdDefrag -Force -WhatIf @connection }

        $text | Should -Match "What if: Defragment 3 of 3 members of cluster $($sandbox.ClusterId), one at a time, followers first and the leader last, expecting to reclaim about [\d.]+ KiB\."
        $text | Should -Match "3\. $([regex]::Escape($leader.Name)) \($($leader.MemberId)\), leader: database [\d.]+ KiB, [\d.]+ KiB in use \([\d.]+% not in use\); expect to reclaim about"
        $text | Should -Match 'Cluster now: 3 of 3 voting members healthy, quorum 2, fault tolerance 1\.'

        # Without -Force every member is under the threshold: skipped, with the numbers.
        $skipped = Get-WhatIfText { Invoke-EtcdDefrag -WhatIf @connection }
        $skipped | Should -Match "What if: Defragment no member of cluster $($sandbox.ClusterId): every selected member is skipped\."
        $skipped | Should -Match 'skip .+, follower: under the threshold: [\d.]+% of its [\d.]+ KiB database is not in use \([\d.]+ KiB reclaimable\); a member is defragmented from 45% not in use and a database of 100\.0 MiB\. -Force defragments it anyway\.'

        (Get-EtcdMember @connection | Sort-Object MemberId).DbSizeBytes | Should -Be $before.DbSizeBytes
    }

    It 'stops when the next member is killed after the first is done, reports done and remaining, keeps quorum, and finishes later from the NotStarted results' {
        $members = Get-EtcdMember @connection
        $followers = @($members | Where-Object { -not $_.IsLeader } | Sort-Object Name)
        $next = $sandbox.Members | Where-Object Name -EQ $followers[1].Name

        # Results stream out as each member ends: the first one's arrival kills the next member during the pause.
        $results = Invoke-EtcdDefrag -Force -WaitBetween 2s -CommandTimeout 2 -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue @connection |
            ForEach-Object { if ($_.Action -eq 'Defragmented' -and $next.State -eq 'Running') { $sandbox.KillMember($next.Index) }; $_ }
        $succeeded = $?

        $succeeded | Should -BeFalse
        @($results.Action | ForEach-Object ToString) | Should -Be @('Defragmented', 'NotStarted', 'NotStarted')
        $results[0].Member | Should -Be $followers[0].Name
        $results[2].IsLeader | Should -BeTrue
        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'EtcdDefragRefused,EtcdTools.Commands.InvokeEtcdDefragCommand'
        $failures[0].TargetObject.Member | Should -Be $next.Name
        $failures[0].Exception.Message | Should -Match "Done: $([regex]::Escape($followers[0].Name)) \($($followers[0].MemberId)\)\. Not started: $([regex]::Escape($next.Name))"
        $failures[0].Exception.Done | Should -HaveCount 1
        $failures[0].Exception.Remaining | Should -HaveCount 2

        # Two of three: quorum holds.
        Set-EtcdKey /after/kill -Value ok -Confirm:$false @connection
        (Get-EtcdKey /after/kill @connection).Value | Should -Be 'ok'

        Start-EtcdSandboxMember -Sandbox $sandbox -Index $next.Index
        $rest = $results | Where-Object Action -EQ NotStarted | Invoke-EtcdDefrag -Force -WaitBetween 0 -Confirm:$false @connection
        @($rest.Action | ForEach-Object ToString) | Should -Be @('Defragmented', 'Defragmented')
        $rest.Member | Should -Be @($next.Name, ($members | Where-Object IsLeader).Name)
    }

    It 'is refused while a member is hung, naming it, and -Force does not change that' {
        $hung = Get-EtcdMember @connection | Where-Object { -not $_.IsLeader } | Select-Object -First 1
        $index = ($sandbox.Members | Where-Object Name -EQ $hung.Name).Index
        Suspend-EtcdSandboxMember -Sandbox $sandbox -Index $index
        try {
            $results = Invoke-EtcdDefrag -Force -CommandTimeout 2 -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue @connection
            @($results.Action | Select-Object -Unique | ForEach-Object ToString) | Should -Be 'NotStarted'
            $failures[0].FullyQualifiedErrorId | Should -Be 'EtcdDefragRefused,EtcdTools.Commands.InvokeEtcdDefragCommand'
            $failures[0].Exception.Message | Should -Match "$([regex]::Escape($hung.Name)) \($($hung.MemberId)\): .*did not answer within 2s"
        }
        finally {
            Resume-EtcdSandboxMember -Sandbox $sandbox -Index $index
        }
    }
}

Describe 'Invoke-EtcdDefrag on one member' {
    It 'needs -AllowDowntime, which -Force does not replace' {
        $single = New-TestSandbox @{ Members = 1 }
        $connection = Get-SandboxConnection $single
        { Invoke-EtcdDefrag -Force -Confirm:$false -ErrorAction Stop @connection } | Should -Throw -ErrorId 'EtcdDefragRefused,EtcdTools.Commands.InvokeEtcdDefragCommand'
        $done = Invoke-EtcdDefrag -Force -AllowDowntime -Confirm:$false @connection
        $done.Action.ToString() | Should -Be 'Defragmented'
        $done.IsLeader | Should -BeTrue
    }
}

Describe 'Invoke-EtcdCompaction' {
    BeforeAll {
        $single = New-TestSandbox @{ Members = 1 }
        $connection = Get-SandboxConnection $single
        $revisions = 1..10 | ForEach-Object { (Set-EtcdKey /compaction/key -Value "v$_" -Confirm:$false -PassThru @connection).ModRevision }
    }

    It 'names the revision and the history it discards with -WhatIf, and discards nothing' {
        $target = $revisions[4]
        $text = Get-WhatIfText { Invoke-EtcdCompaction -Revision $target -WhatIf @connection }
        $text | Should -Match "What if: Performing the operation `"Compact to revision $target, discarding $($target - 1) revisions of history \(revisions 1 to $($target - 1)\) and keeping the current revision $($revisions[-1]) and the $($revisions[-1] - $target) revisions before it`" on target `"history of cluster $($single.ClusterId)`""
        (Get-EtcdKey /compaction/key -Revision $revisions[0] @connection).Value | Should -Be 'v1'
    }

    It 'compacts, says what it did, and refuses the same revision again and a future one with etcd''s errors' {
        $target = $revisions[4]
        $result = Invoke-EtcdCompaction -Revision $target -Physical -Confirm:$false @connection
        $result.PSTypeNames | Should -Contain 'EtcdTools.Maintenance.EtcdCompaction'
        $result.Revision | Should -Be $target
        $result.PreviousCompactRevision | Should -Be 0
        $result.CurrentRevision | Should -Be $revisions[-1]
        $result.DiscardedRevisions | Should -Be ($target - 1)
        $result.Physical | Should -BeTrue
        { Get-EtcdKey /compaction/key -Revision $revisions[0] -ErrorAction Stop @connection } | Should -Throw -ErrorId 'EtcdRevisionCompacted,EtcdTools.Commands.GetEtcdKeyCommand'

        { Invoke-EtcdCompaction -Revision $target -Confirm:$false -ErrorAction Stop @connection } | Should -Throw -ErrorId 'EtcdRevisionCompacted,EtcdTools.Commands.InvokeEtcdCompactionCommand'
        { Invoke-EtcdCompaction -Revision ($revisions[-1] + 100) -Confirm:$false -ErrorAction Stop @connection } | Should -Throw -ErrorId 'EtcdInvalidArgument,EtcdTools.Commands.InvokeEtcdCompactionCommand'

        $kept = Invoke-EtcdCompaction -KeepRevisions 2 -Confirm:$false @connection
        $kept.Revision | Should -Be ($revisions[-1] - 2)
        $kept.PreviousCompactRevision | Should -Be $target
        $path = Join-Path $TestDrive 'compaction.csv'
        $kept | Export-Csv -Path $path -NoTypeInformation
        (Import-Csv $path).DiscardedRevisions | Should -Be "$($revisions[-1] - 2 - $target)"
    }
}

Describe 'Repair-EtcdQuota' {
    It 'shows the steps with -WhatIf, is refused on one member without -AllowDowntime, and then recovers NOSPACE so writes work again' {
        $full = New-TestSandbox @{ Members = 1; QuotaBackendBytes = 262144 }
        $connection = Get-SandboxConnection $full
        Set-UntilNoSpace $connection
        (Get-EtcdAlarm @connection).Alarm | Should -Be 'NOSPACE'

        $text = Get-WhatIfText { Repair-EtcdQuota -AllowDowntime -WhatIf @connection }
        $text | Should -Match "What if: Recover cluster $($full.ClusterId) from NOSPACE: NOSPACE is active for $([regex]::Escape($full.Members[0].Name)); the cluster refuses writes until it is disarmed\."
        $text | Should -Match '1\. Compact to revision \d+, discarding \d+ revisions of history'
        $text | Should -Match '2\. Defragment .+, leader: database'
        $text | Should -Match '3\. Disarm NOSPACE of '
        $text | Should -Match '4\. Verify that writes work: put and delete a key under /etcdtools/repair-quota/\.'
        (Get-EtcdAlarm @connection).Alarm | Should -Be 'NOSPACE'

        $refused = Repair-EtcdQuota -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue @connection
        @($refused.Status | Select-Object -Unique | ForEach-Object ToString) | Should -Be 'NotStarted'
        $failures[0].FullyQualifiedErrorId | Should -Be 'EtcdQuotaRepairRefused,EtcdTools.Commands.RepairEtcdQuotaCommand'
        $failures[0].Exception.Message | Should -Match 'single voting member'

        $steps = Repair-EtcdQuota -AllowDowntime -WaitBetween 0 -Confirm:$false @connection
        $steps.Action | Should -Be @('Compact', 'Defragment', 'DisarmAlarm', 'VerifyWrite')
        @($steps.Status | Select-Object -Unique | ForEach-Object ToString) | Should -Be 'Done'
        $steps[1].DbSizeAfterBytes | Should -BeLessThan $steps[1].DbSizeBeforeBytes
        $steps[1].QuotaBytes | Should -Be 262144
        Get-EtcdAlarm @connection | Should -BeNullOrEmpty
        Set-EtcdKey /after/repair -Value ok -Confirm:$false @connection
        ($steps | Format-Table | Out-String) | Should -Match 'VerifyWrite'
    }

    It 'says when the data itself fills the quota instead of looping' {
        $full = New-TestSandbox @{ Members = 1; QuotaBackendBytes = 262144 }
        $connection = Get-SandboxConnection $full
        Set-UntilNoSpace $connection -DistinctKeys

        $steps = Repair-EtcdQuota -AllowDowntime -WaitBetween 0 -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue @connection
        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'EtcdQuotaExceededByData,EtcdTools.Commands.RepairEtcdQuotaCommand'
        $failures[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $failures[0].Exception.Message | Should -Match 'the data itself fills the quota'
        $failures[0].Exception.Message | Should -Match 'Raise --quota-backend-bytes on every member'
        @($steps.Status | ForEach-Object ToString) | Should -Be @('Done', 'Done', 'NotStarted', 'NotStarted')
        (Get-EtcdAlarm @connection).Alarm | Should -Be 'NOSPACE'
    }
}

Describe 'Member cmdlets' {
    It 'adds a real etcd as a learner, promotes it once in sync and removes it' {
        $own = New-TestSandbox @{ Members = 3; Tls = $true }
        $connection = Get-SandboxConnection $own
        $joiner = $own.CreateJoiningMember()

        $addition = Add-EtcdMember -Name $joiner.Name -PeerUrl $joiner.PeerUrl -Learner -Confirm:$false @connection
        $addition.PSTypeNames | Should -Contain 'EtcdTools.Maintenance.EtcdMemberAddition'
        $addition.IsLearner | Should -BeTrue
        $addition.InitialClusterState | Should -Be 'existing'
        $addition.Environment | Should -Match "ETCD_INITIAL_CLUSTER=`".*$([regex]::Escape("$($joiner.Name)=$($joiner.PeerUrl)")).*`""
        ($addition | Format-List | Out-String) | Should -Match 'ETCD_INITIAL_CLUSTER_STATE="existing"'
        (Get-EtcdMember @connection -ErrorAction SilentlyContinue) | Should -HaveCount 4

        $own.StartJoiningMemberAsync($joiner.Index, $addition.InitialCluster, [System.Threading.CancellationToken]::None).GetAwaiter().GetResult()
        $promoted = $addition | Update-EtcdMember -Promote -SyncTimeout 30s -PassThru -Confirm:$false @connection
        $promoted.IsLearner | Should -BeFalse
        $promoted.Name | Should -Be $joiner.Name
        @(Get-EtcdMember @connection | Where-Object { -not $_.IsLearner }) | Should -HaveCount 4

        $removed = $addition | Remove-EtcdMember -PassThru -Confirm:$false @connection
        $removed.MemberId | Should -Be $addition.MemberId
        (Get-EtcdMember @connection).MemberId | Should -Not -Contain $addition.MemberId
        Stop-EtcdSandboxMember -Sandbox $own -Index $joiner.Index
    }

    It 'refuses a removal that would lose quorum and removes the member that is down' {
        $own = New-TestSandbox @{ Members = 3 }
        $connection = Get-SandboxConnection $own
        Stop-EtcdSandboxMember -Sandbox $own -Index 2

        { Remove-EtcdMember -MemberId $own.Members[0].Name -Confirm:$false -CommandTimeout 2 -ErrorAction Stop @connection } |
            Should -Throw -ErrorId 'EtcdMemberRemovalRefused,EtcdTools.Commands.RemoveEtcdMemberCommand' -ExpectedMessage "*would lose quorum*$($own.Members[2].Name)*"
        (Get-EtcdMember @connection -ErrorAction SilentlyContinue) | Should -HaveCount 3

        Remove-EtcdMember -MemberId $own.Members[2].Name -Confirm:$false -CommandTimeout 2 -WarningVariable warnings -WarningAction SilentlyContinue @connection
        $warnings | Should -Match 'still tolerates no failure'
        (Get-EtcdMember @connection).Name | Sort-Object | Should -Be @($own.Members[0].Name, $own.Members[1].Name)
    }
}

Describe 'Watch-EtcdKey' {
    It 'keeps delivering every event exactly once when its member is killed' {
        $own = New-TestSandbox @{ Members = 3 }
        $connection = Get-SandboxConnection $own
        # The watch starts on the first endpoint, member 0: it must not lead, so its loss costs no election.
        Move-EtcdLeader -MemberId $own.Members[1].Name -Confirm:$false @connection | Out-Null
        $prefix = "/watched/$([guid]::NewGuid().ToString('N'))/"
        $start = (Set-EtcdKey "${prefix}start" -Value start -Confirm:$false -PassThru @connection).ModRevision
        $total = 300

        # The writer writes through the leader, and kills member 0 a third of the way, once the watch has delivered.
        $delivering = [System.Threading.ManualResetEventSlim]::new($false)
        $writer = [powershell]::Create().AddScript({
            param($manifest, $leader, $prefix, $total, $sandbox, $delivering)
            Import-Module $manifest
            for ($i = 1; $i -le $total; $i++) {
                Set-EtcdKey -Endpoint $leader -Key ($prefix + ($i % 2)) -Value "$i" -Confirm:$false -ErrorAction Stop
                if ($i -eq [int]($total / 3)) {
                    if (-not $delivering.Wait(30000)) { throw 'The watch delivered nothing.' }
                    $sandbox.KillMember(0)
                }
            }
        }).AddArgument($script:ManifestPath).AddArgument($own.Members[1].ClientUrl).AddArgument($prefix).AddArgument($total).AddArgument($own).AddArgument($delivering)
        $pending = $writer.BeginInvoke()

        $events = Watch-EtcdKey -Key $prefix -Prefix -Revision ($start + 1) -Count $total -Timeout 90s -WarningVariable moved -WarningAction SilentlyContinue @connection |
            ForEach-Object { $delivering.Set(); $_ }
        $writer.EndInvoke($pending)
        $writer.HadErrors | Should -BeFalse
        $writer.Dispose()

        $events | Should -HaveCount $total
        $events.Value | Should -Be @(1..$total | ForEach-Object { "$_" })
        ($events.ModRevision | Sort-Object -Unique) | Should -HaveCount $total
        $moved | Should -HaveCount 1
        "$($moved[0])" | Should -Match "The watch lost $([regex]::Escape($own.Members[0].ClientUrl)) .+; it resumed on http://127\.0\.0\.1:\d+ from revision \d+, so no event is lost or repeated\."
    }
}
