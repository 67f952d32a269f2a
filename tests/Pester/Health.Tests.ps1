#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }

# Acceptance tests of Get-EtcdMember, Get-EtcdHealth and Test-EtcdCluster against a real 3-member
# TLS sandbox. Run with: $env:ETCDTOOLS_MODULE_PATH = './out/EtcdTools'; Invoke-Pester ./tests/Pester/Health.Tests.ps1
# The fault drills (a member stopped, a member hung) come last and restore the member afterwards.

BeforeAll {
    Import-Module $env:ETCDTOOLS_MODULE_PATH -Force
    $sandbox = Start-EtcdSandbox -Members 3 -Tls
    # The session's connection lets piped members (Get-EtcdMember | Get-EtcdHealth) carry only their own Endpoint.
    $sandbox | Connect-EtcdCluster

    function Get-FollowerIndex {
        # A follower, so stopping or suspending it does not start an election mid-test.
        $follower = Get-EtcdMember | Where-Object { -not $_.IsLeader } | Sort-Object Name | Select-Object -First 1
        ($sandbox.Members | Where-Object Name -EQ $follower.Name).Index
    }

    function Wait-EtcdHealthy {
        param([int] $Seconds = 20)
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        do {
            $health = Get-EtcdHealth -ErrorAction SilentlyContinue
            if (@($health | Where-Object Healthy).Count -eq $sandbox.MemberCount) { return }
            Start-Sleep -Milliseconds 200
        } while ([DateTime]::UtcNow -lt $deadline)
        throw "The sandbox did not become healthy within $Seconds s."
    }
}

AfterAll {
    Disconnect-EtcdCluster
    $sandbox | Stop-EtcdSandbox -Confirm:$false
}

Describe 'Get-EtcdMember' {
    It 'lists every member of a piped sandbox, with one leader' {
        Disconnect-EtcdCluster
        try {
            # Only the sandbox's properties (Endpoint, CaCertificatePath, CertificatePath, KeyPath) connect here.
            $members = $sandbox | Get-EtcdMember
        }
        finally {
            $sandbox | Connect-EtcdCluster
        }
        $members | Should -HaveCount 3
        ($members.Name | Sort-Object) | Should -Be ($sandbox.Members.Name | Sort-Object)
        @($members | Where-Object IsLeader) | Should -HaveCount 1
        foreach ($member in $members) {
            $member.PSObject.TypeNames[0] | Should -Be 'EtcdTools.Health.EtcdMember'
            $member.MemberId | Should -Match '^[0-9a-f]{1,16}$'
            $member.Endpoint | Should -Be ($sandbox.Members | Where-Object Name -EQ $member.Name).ClientUrl
            $member.Version | Should -Not -BeNullOrEmpty
            $member.DbSizeBytes | Should -BeGreaterThan 0
            $member.QuotaBytes | Should -Be 2GB
            $member.Errors | Should -BeNullOrEmpty
            $member.IsLearner | Should -BeFalse
        }
    }

    It 'selects members by name and by hex ID' {
        $byName = Get-EtcdMember -MemberId $sandbox.Members[1].Name
        $byName | Should -HaveCount 1
        $byId = Get-EtcdMember -MemberId $byName.MemberId
        $byId.Name | Should -Be $sandbox.Members[1].Name
        (Get-EtcdMember ($byName.MemberId.ToUpperInvariant())).Name | Should -Be $byName.Name
    }

    It 'filters followers in the pipeline' {
        $followers = Get-EtcdMember | Where-Object { -not $_.IsLeader }
        $followers | Should -HaveCount 2
        $followers.IsLeader | Should -Not -Contain $true
    }

    It 'exports the raw properties to CSV' {
        $path = Join-Path $TestDrive 'members.csv'
        Get-EtcdMember | Export-Csv -Path $path
        $text = Get-Content -Path $path -Raw
        $text | Should -Not -Match 'System\.(String|Object|Collections)'
        $rows = Import-Csv -Path $path
        $rows | Should -HaveCount 3
        $columns = $rows[0].PSObject.Properties.Name
        foreach ($column in 'MemberId', 'Name', 'Endpoint', 'ClientUrls', 'PeerUrls', 'IsLeader', 'DbSizeBytes', 'DbSizeInUseBytes', 'FragmentedPercent', 'QuotaBytes', 'RaftIndex', 'ClusterId', 'Errors', 'Alarms') {
            $columns | Should -Contain $column
        }
        foreach ($row in $rows) {
            [long]$row.DbSizeBytes | Should -BeGreaterThan 0
            $row.PeerUrls | Should -Match '^https://127\.0\.0\.1:\d+$'
            $row.IsLeader | Should -BeIn 'True', 'False'
        }
    }

    It 'converts to flat JSON' {
        $json = Get-EtcdMember | ConvertTo-Json | ConvertFrom-Json
        $json | Should -HaveCount 3
        $json[0].DbSizeBytes | Should -BeOfType [long]
        $json[0].ClientUrls | Should -BeOfType [string]
    }

    It 'writes a non-terminating EtcdMemberNotFound error for an unknown member and lists the known ones' {
        $found = Get-EtcdMember -MemberId 'no-such-member', $sandbox.Members[0].Name -ErrorVariable lookupErrors -ErrorAction SilentlyContinue
        $found.Name | Should -Be $sandbox.Members[0].Name
        $lookupErrors | Should -HaveCount 1
        $lookupErrors[0].FullyQualifiedErrorId | Should -Be 'EtcdMemberNotFound,EtcdTools.Commands.GetEtcdMemberCommand'
        $lookupErrors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $lookupErrors[0].Exception.Message | Should -BeLike "*$($sandbox.Members[2].Name)*"
    }
}

Describe 'Get-EtcdHealth' {
    It 'reports every member healthy' {
        $health = Get-EtcdHealth
        $health | Should -HaveCount 3
        foreach ($member in $health) {
            $member.PSObject.TypeNames[0] | Should -Be 'EtcdTools.Health.EtcdMemberHealth'
            $member.Healthy | Should -BeTrue
            $member.Error | Should -BeNullOrEmpty
            $member.TookMs | Should -BeGreaterThan 0
            $member.CheckedAt | Should -BeOfType [DateTimeOffset]
        }
    }

    It 'probes the members Get-EtcdMember pipes in' {
        $health = Get-EtcdMember | Get-EtcdHealth
        $health | Should -HaveCount 3
        ($health.Endpoint | Sort-Object) | Should -Be ($sandbox.Members.ClientUrl | Sort-Object)
    }

    It 'probes only the followers when the leader is filtered out' {
        $leader = Get-EtcdMember | Where-Object IsLeader
        $health = Get-EtcdMember | Where-Object { -not $_.IsLeader } | Get-EtcdHealth
        $health | Should -HaveCount 2
        $health.MemberId | Should -Not -Contain $leader.MemberId
        $health.Healthy | Should -Not -Contain $false
    }

    It 'exports the raw properties to CSV' {
        $path = Join-Path $TestDrive 'health.csv'
        Get-EtcdHealth | Export-Csv -Path $path
        Get-Content -Path $path -Raw | Should -Not -Match 'System\.'
        $rows = Import-Csv -Path $path
        $rows.Healthy | Should -Be @('True', 'True', 'True')
        foreach ($row in $rows) { [double]::Parse($row.TookMs, [cultureinfo]::InvariantCulture) | Should -BeGreaterThan 0 }
    }
}

Describe 'Test-EtcdCluster' {
    It 'returns a single $true for a healthy cluster' {
        $result = Test-EtcdCluster
        $result | Should -HaveCount 1
        $result | Should -BeOfType [bool]
        $result | Should -BeTrue
        Test-EtcdCluster | Should -BeTrue
    }

    It 'details every check with Pass, Warn or Fail as text' {
        $results = Test-EtcdCluster -Detailed
        $results | Should -Not -BeNullOrEmpty
        $results | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'EtcdTools.Health.EtcdCheckResult' }
        $results.Status | Should -Not -Contain 'Fail'
        ($results | Where-Object Check -EQ 'Quorum').Status | Should -Be 'Pass'
        ($results | Where-Object Check -EQ 'FaultTolerance').Value | Should -Be '1 failure(s) tolerated'
        @($results | Where-Object Check -EQ 'ServerCertificate') | Should -HaveCount 3
        ($results | Where-Object Check -EQ 'ClientCertificate').Status | Should -Be 'Pass'
        foreach ($member in $sandbox.Members) {
            ($results | Where-Object { $_.Check -eq 'MemberHealth' -and $_.Member -eq $member.Name }).Status | Should -Be 'Pass'
        }
    }

    It 'exports check results with the status as text' {
        $path = Join-Path $TestDrive 'checks.csv'
        Test-EtcdCluster -Detailed | Export-Csv -Path $path
        $rows = Import-Csv -Path $path
        $rows.Status | ForEach-Object { $_ | Should -BeIn 'Pass', 'Warn', 'Fail' }
        $rows[0].PSObject.Properties.Name | Should -Be @('Check', 'Member', 'MemberId', 'Status', 'Value', 'Threshold', 'Message', 'Recommendation')
    }

    It 'warns without failing when a threshold is stricter than the certificates' {
        $results = Test-EtcdCluster -Detailed -Thresholds @{ CertificateWarningDays = 400 }
        ($results | Where-Object Check -EQ 'ServerCertificate').Status | Should -Be @('Warn', 'Warn', 'Warn')
        Test-EtcdCluster -Thresholds @{ certificatewarningdays = 400 } | Should -BeTrue
    }

    It 'refuses an unknown threshold, naming the valid keys' {
        { Test-EtcdCluster -Thresholds @{ NoSuchThreshold = 1 } } |
            Should -Throw -ErrorId 'InvalidArgument,EtcdTools.Commands.TestEtcdClusterCommand' -ExpectedMessage '*MaxAppliedIndexLag*DbQuotaWarnPercent*'
    }
}

Describe 'With a member stopped' {
    BeforeAll {
        $stoppedIndex = Get-FollowerIndex
        $stoppedName = $sandbox.Members[$stoppedIndex].Name
        Stop-EtcdSandboxMember -Sandbox $sandbox -Index $stoppedIndex -Confirm:$false
    }

    AfterAll {
        Start-EtcdSandboxMember -Sandbox $sandbox -Index $stoppedIndex -Confirm:$false
        Wait-EtcdHealthy
    }

    It 'Get-EtcdHealth reports the stopped member with an EtcdUnavailable error while the others still report' {
        $health = Get-EtcdHealth -ErrorVariable probeErrors -ErrorAction SilentlyContinue
        $health | Should -HaveCount 3
        @($health | Where-Object Healthy) | Should -HaveCount 2
        $down = $health | Where-Object { -not $_.Healthy }
        $down.Name | Should -Be $stoppedName
        $down.Error | Should -BeLike '*refused*'
        $probeErrors | Should -HaveCount 1
        $probeErrors[0].FullyQualifiedErrorId | Should -Be 'EtcdUnavailable,EtcdTools.Commands.GetEtcdHealthCommand'
        $probeErrors[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $probeErrors[0].TargetObject.Name | Should -Be $stoppedName
    }

    It 'Get-EtcdMember still lists the stopped member, with its error' {
        $members = Get-EtcdMember -ErrorVariable listErrors -ErrorAction SilentlyContinue
        $members | Should -HaveCount 3
        $stopped = $members | Where-Object Name -EQ $stoppedName
        $stopped.Errors | Should -BeLike '*refused*'
        $stopped.DbSizeBytes | Should -BeNullOrEmpty
        $listErrors | Should -HaveCount 1
        $listErrors[0].FullyQualifiedErrorId | Should -Be 'EtcdUnavailable,EtcdTools.Commands.GetEtcdMemberCommand'
    }

    It 'Test-EtcdCluster returns $false: quorum holds, fault tolerance is gone' {
        Test-EtcdCluster | Should -BeFalse
        $results = Test-EtcdCluster -Detailed
        ($results | Where-Object Check -EQ 'Quorum').Status | Should -Be 'Pass'
        ($results | Where-Object Check -EQ 'FaultTolerance').Status | Should -Be 'Warn'
        ($results | Where-Object { $_.Check -eq 'MemberHealth' -and $_.Member -eq $stoppedName }).Status | Should -Be 'Fail'
        ($results | Where-Object { $_.Check -eq 'AppliedIndexLag' -and $_.Member -eq $stoppedName }).Message | Should -BeLike 'Could not be evaluated*'
    }

    It 'the failed check makes Should -BeTrue fail' {
        { Test-EtcdCluster | Should -BeTrue } | Should -Throw
    }
}

Describe 'With a member hung' {
    BeforeAll {
        $hungIndex = Get-FollowerIndex
        $hungName = $sandbox.Members[$hungIndex].Name
        Suspend-EtcdSandboxMember -Sandbox $sandbox -Index $hungIndex -Confirm:$false
    }

    AfterAll {
        Resume-EtcdSandboxMember -Sandbox $sandbox -Index $hungIndex -Confirm:$false
        Wait-EtcdHealthy
    }

    It 'Get-EtcdHealth costs one timeout and reports EtcdTimeout for the hung member' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $health = Get-EtcdHealth -Timeout 2 -ErrorVariable probeErrors -ErrorAction SilentlyContinue
        $watch.Stop()
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 4
        $health | Should -HaveCount 3
        ($health | Where-Object { -not $_.Healthy }).Name | Should -Be $hungName
        $probeErrors | Should -HaveCount 1
        $probeErrors[0].FullyQualifiedErrorId | Should -Be 'EtcdTimeout,EtcdTools.Commands.GetEtcdHealthCommand'
        $probeErrors[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
    }

    It 'Test-EtcdCluster answers within one timeout too' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $healthy = Test-EtcdCluster -Timeout 2
        $watch.Stop()
        $healthy | Should -BeFalse
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 4
    }
}
