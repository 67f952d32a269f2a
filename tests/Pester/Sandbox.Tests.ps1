<#
    Pester 5 tests of the sandbox cmdlets: Start-/Stop-/Get-EtcdSandbox and the fault-drill cmdlets
    Start-/Stop-/Suspend-/Resume-EtcdSandboxMember, against real etcd processes.

    The module is imported from $env:ETCDTOOLS_MODULE_PATH (set by build.ps1), else from out/EtcdTools.
    The tests need Linux and an etcd binary on PATH ('apt-get install etcd-server') and fail at once,
    saying so, where either is missing: nothing is skipped. Every sandbox a test starts is recorded and
    stopped in AfterAll, even when the test fails.
#>

BeforeAll {
    if (-not $IsLinux -or -not (Get-Command -Name etcd -CommandType Application -ErrorAction SilentlyContinue)) {
        throw 'These tests start sandbox clusters: they need Linux and an etcd binary on PATH (apt-get install etcd-server).'
    }
    $modulePath = if ($env:ETCDTOOLS_MODULE_PATH) { $env:ETCDTOOLS_MODULE_PATH } else { Join-Path $PSScriptRoot '..' '..' 'out' 'EtcdTools' }
    $script:ManifestPath = [System.IO.Path]::GetFullPath((Join-Path $modulePath 'EtcdTools.psd1'))
    Get-Module -Name EtcdTools | Remove-Module -Force
    Import-Module -Name $script:ManifestPath -ErrorAction Stop

    # etcdctl's variables of the calling session would be merged into the connections made here
    # (a CA or user meant for another cluster): set aside for the run, put back in AfterAll.
    $script:SavedEtcdctlVariables = @{}
    foreach ($variable in @(Get-ChildItem -Path Env: | Where-Object Name -Like 'ETCDCTL_*')) {
        $script:SavedEtcdctlVariables[$variable.Name] = $variable.Value
        Remove-Item -LiteralPath "Env:$($variable.Name)"
    }

    # Every sandbox started here, so AfterAll can stop each one whatever happened.
    $script:StartedSandboxes = [System.Collections.Generic.List[object]]::new()

    function New-TestSandbox {
        param([hashtable] $Parameters = @{})
        $name = 'pester-sandbox-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $sandbox = Start-EtcdSandbox -Name $name @Parameters -ErrorAction Stop
        $script:StartedSandboxes.Add($sandbox)
        $sandbox
    }

    # The members' states as one string, e.g. 'Running,Suspended,Running'.
    function Get-MemberStates($Sandbox) {
        ($Sandbox.Members | ForEach-Object { $_.State.ToString() }) -join ','
    }

    # The kernel's state letter of a process ('T' once SIGSTOP has taken effect), from /proc/PID/stat.
    function Get-ProcessStateLetter([int] $ProcessId) {
        $stat = Get-Content -LiteralPath "/proc/$ProcessId/stat" -Raw -ErrorAction SilentlyContinue
        if (-not $stat) { return $null }
        # The command name is in parentheses and may hold spaces: the state follows the last ')'.
        $stat.Substring($stat.LastIndexOf(')') + 2, 1)
    }

    Disconnect-EtcdCluster
}

AfterAll {
    if ($script:StartedSandboxes.Count -gt 0) {
        $script:StartedSandboxes | Stop-EtcdSandbox -Confirm:$false
    }
    Disconnect-EtcdCluster
    foreach ($name in $script:SavedEtcdctlVariables.Keys) {
        Set-Item -LiteralPath "Env:$name" -Value $script:SavedEtcdctlVariables[$name]
    }
}

Describe 'Start-EtcdSandbox argument checks' {
    It 'refuses a member count other than 1, 3 or 5' {
        $errorRecord = { Start-EtcdSandbox -Members 2 } | Should -Throw -PassThru
        $errorRecord.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
    }

    It 'refuses a name that cannot be a directory or cluster token' {
        $errorRecord = { Start-EtcdSandbox -Name '../escape' } | Should -Throw -PassThru
        $errorRecord.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
    }

    It 'starts nothing with -WhatIf' {
        $before = @(Get-EtcdSandbox).Count

        $output = Start-EtcdSandbox -Members 3 -Tls -WhatIf

        $output | Should -BeNullOrEmpty
        @(Get-EtcdSandbox).Count | Should -Be $before
    }
}

Describe 'Start-EtcdSandbox without an etcd binary' {
    It 'fails with EtcdBinaryNotFound and says where to get etcd' {
        $before = @(Get-EtcdSandbox).Count

        $errorRecord = { Start-EtcdSandbox -EtcdPath /nonexistent } | Should -Throw -PassThru

        $errorRecord.FullyQualifiedErrorId | Should -Be 'EtcdBinaryNotFound,EtcdTools.Commands.StartEtcdSandboxCommand'
        $errorRecord.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errorRecord.Exception.Message | Should -BeLike '*/nonexistent*'
        $errorRecord.Exception.Message | Should -BeLike '*apt-get install etcd-server*'
        @(Get-EtcdSandbox).Count | Should -Be $before
    }
}

Describe 'Get-EtcdSandbox' {
    It 'reports a name without wildcards that matches no sandbox' {
        $errorRecord = { Get-EtcdSandbox -Name 'no-such-sandbox-7f3a' -ErrorAction Stop } | Should -Throw -PassThru
        $errorRecord.FullyQualifiedErrorId | Should -Be 'EtcdSandboxNotFound,EtcdTools.Commands.GetEtcdSandboxCommand'
    }

    It 'returns nothing, and no error, for a wildcard that matches no sandbox' {
        Get-EtcdSandbox -Name 'no-such-sandbox-*' -ErrorVariable problems | Should -BeNullOrEmpty
        $problems | Should -BeNullOrEmpty
    }
}

Describe 'A one-member sandbox' {
    BeforeAll {
        $sandbox = New-TestSandbox
    }

    It 'is a running member on a loopback port with its own directory' {
        $sandbox.PSTypeNames | Should -Contain 'EtcdTools.Sandbox.EtcdSandbox'
        $sandbox.MemberCount | Should -Be 1
        $sandbox.Tls | Should -BeFalse
        $sandbox.Endpoint | Should -Match '^http://127\.0\.0\.1:\d+$'
        $sandbox.CaCertificatePath | Should -BeNullOrEmpty
        Test-Path -LiteralPath $sandbox.Directory -PathType Container | Should -BeTrue

        $member = $sandbox.Members[0]
        $member.PSTypeNames | Should -Contain 'EtcdTools.Sandbox.EtcdSandboxMember'
        $member.Index | Should -Be 0
        $member.Name | Should -Be "$($sandbox.Name)-0"
        $member.State.ToString() | Should -Be 'Running'
        $member.ClientUrl | Should -Be $sandbox.Endpoint
        Get-Process -Id $member.ProcessId -ErrorAction SilentlyContinue | Should -Not -BeNullOrEmpty
    }

    It 'is listed by Get-EtcdSandbox, by name and by wildcard' {
        (Get-EtcdSandbox).Name | Should -Contain $sandbox.Name
        (Get-EtcdSandbox -Name $sandbox.Name).Directory | Should -Be $sandbox.Directory
        (Get-EtcdSandbox -Name ($sandbox.Name.Substring(0, $sandbox.Name.Length - 2) + '*')).Name | Should -Contain $sandbox.Name
    }

    It 'binds to Connect-EtcdCluster by property name, with no TLS' {
        try {
            $connection = $sandbox | Connect-EtcdCluster -PassThru

            $connection.Endpoint | Should -Be $sandbox.Endpoint
            $connection.MemberCount | Should -Be 1
            $connection.Tls | Should -BeFalse
            $connection.ClusterId | Should -Match '^[0-9a-f]+$'
            (Get-EtcdConnection).Endpoint | Should -Be $sandbox.Endpoint
        }
        finally {
            Disconnect-EtcdCluster
        }
    }

    It 'is shown with its view' {
        $text = $sandbox | Format-Table | Out-String -Width 1000
        $text | Should -Match 'Name\s+Members\s+Tls\s+Endpoint\s+Directory'
        $text | Should -Match ([regex]::Escape($sandbox.Name))

        $members = $sandbox.Members | Format-Table | Out-String -Width 1000
        $members | Should -Match 'Index\s+Name\s+State\s+PID\s+ClientUrl\s+MetricsUrl'
        $members | Should -Match 'Running'
    }
}

Describe 'Stop-EtcdSandbox' {
    It 'kills the members and removes the directory' {
        $sandbox = New-TestSandbox
        $processId = $sandbox.Members[0].ProcessId

        $stopped = $sandbox | Stop-EtcdSandbox -PassThru

        $stopped.Name | Should -Be $sandbox.Name
        Test-Path -LiteralPath $sandbox.Directory | Should -BeFalse
        @(Get-EtcdSandbox).Name | Should -Not -Contain $sandbox.Name
        $sandbox.Members[0].State.ToString() | Should -Be 'Stopped'
        Get-Process -Id $processId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'writes nothing without -PassThru' {
        $sandbox = New-TestSandbox

        $sandbox | Stop-EtcdSandbox | Should -BeNullOrEmpty
        Test-Path -LiteralPath $sandbox.Directory | Should -BeFalse
    }

    It 'stops nothing with -WhatIf, whichever way the sandbox is named' {
        $sandbox = New-TestSandbox

        $sandbox | Stop-EtcdSandbox -WhatIf
        Stop-EtcdSandbox -Name $sandbox.Name -WhatIf
        Stop-EtcdSandbox -All -WhatIf

        Test-Path -LiteralPath $sandbox.Directory | Should -BeTrue
        Get-MemberStates $sandbox | Should -Be 'Running'
        (Get-EtcdSandbox).Name | Should -Contain $sandbox.Name
    }

    It 'stops sandboxes by name with wildcards' {
        $sandbox = New-TestSandbox

        Stop-EtcdSandbox -Name ($sandbox.Name.Substring(0, $sandbox.Name.Length - 2) + '*')

        Test-Path -LiteralPath $sandbox.Directory | Should -BeFalse
        @(Get-EtcdSandbox).Name | Should -Not -Contain $sandbox.Name
    }

    It 'forgets the session connection when it points at the stopped sandbox' {
        $sandbox = New-TestSandbox
        $sandbox | Connect-EtcdCluster

        $sandbox | Stop-EtcdSandbox

        Disconnect-EtcdCluster -PassThru | Should -BeNullOrEmpty
    }

    It 'does nothing to a sandbox already stopped' {
        $sandbox = New-TestSandbox
        $sandbox | Stop-EtcdSandbox

        { $sandbox | Stop-EtcdSandbox -ErrorAction Stop } | Should -Not -Throw
    }
}

Describe 'A three-member TLS sandbox and its fault drills' {
    BeforeAll {
        $sandbox = New-TestSandbox -Parameters @{ Members = 3; Tls = $true; Connect = $true }
        $tls = @{
            CaCertificatePath = $sandbox.CaCertificatePath
            CertificatePath   = $sandbox.CertificatePath
            KeyPath           = $sandbox.KeyPath
        }
    }

    AfterAll {
        Disconnect-EtcdCluster
    }

    AfterEach {
        # Whatever a test did to the members, the next one starts with all three running.
        foreach ($member in $sandbox.Members) {
            switch ($member.State.ToString()) {
                'Suspended' { $sandbox | Resume-EtcdSandboxMember -Index $member.Index }
                'Stopped' { $sandbox | Start-EtcdSandboxMember -Index $member.Index }
            }
        }
    }

    It 'has three running members with TLS and client-certificate files' {
        $sandbox.MemberCount | Should -Be 3
        $sandbox.Tls | Should -BeTrue
        $endpoints = $sandbox.Endpoint -split ','
        $endpoints.Count | Should -Be 3
        $endpoints | ForEach-Object { $_ | Should -Match '^https://127\.0\.0\.1:\d+$' }
        Test-Path -LiteralPath $sandbox.CaCertificatePath -PathType Leaf | Should -BeTrue
        Test-Path -LiteralPath $sandbox.CertificatePath -PathType Leaf | Should -BeTrue
        Test-Path -LiteralPath $sandbox.KeyPath -PathType Leaf | Should -BeTrue
        Get-MemberStates $sandbox | Should -Be 'Running,Running,Running'
    }

    It 'was made the session connection by -Connect, with the real cluster ID' {
        $connection = Get-EtcdConnection

        $connection.Endpoint | Should -Be $sandbox.Endpoint
        $connection.Source | Should -Be 'Sandbox'
        $connection.MemberCount | Should -Be 3
        $connection.Tls | Should -BeTrue
        $connection.ClusterId | Should -Match '^[0-9a-f]+$'
        $connection.ClusterId | Should -Not -Be '0'
    }

    It 'binds to Connect-EtcdCluster by property name, TLS files included' {
        $connection = $sandbox | Connect-EtcdCluster -PassThru

        $connection.Endpoint | Should -Be $sandbox.Endpoint
        $connection.CaCertificatePath | Should -Be $sandbox.CaCertificatePath
        $connection.CertificatePath | Should -Be $sandbox.CertificatePath
        $connection.KeyPath | Should -Be $sandbox.KeyPath
        $connection.MemberCount | Should -Be 3
        $connection.Tls | Should -BeTrue
    }

    It 'suspends a member (SIGSTOP) and resumes it, reporting the state with -PassThru' {
        $suspended = $sandbox | Suspend-EtcdSandboxMember -Index 1 -PassThru
        # PassThru writes the live member object: read its state before the next change.
        $stateAfterSuspend = $suspended.State.ToString()
        $kernelState = Get-ProcessStateLetter $suspended.ProcessId

        $resumed = $sandbox | Resume-EtcdSandboxMember -Index 1 -PassThru
        $stateAfterResume = $resumed.State.ToString()

        $suspended.PSTypeNames | Should -Contain 'EtcdTools.Sandbox.EtcdSandboxMember'
        $suspended.Index | Should -Be 1
        $stateAfterSuspend | Should -Be 'Suspended'
        $kernelState | Should -Be 'T'
        $stateAfterResume | Should -Be 'Running'
        Get-MemberStates $sandbox | Should -Be 'Running,Running,Running'
    }

    It 'makes a client wait for its timeout on a suspended member (EtcdTimeout)' {
        $sandbox | Suspend-EtcdSandboxMember -Index 2
        $watch = [System.Diagnostics.Stopwatch]::StartNew()

        $errorRecord = { Get-EtcdConnection -Endpoint $sandbox.Members[2].ClientUrl @tls -DialTimeout 1 -CommandTimeout 1 } | Should -Throw -PassThru

        $watch.Stop()
        $errorRecord.FullyQualifiedErrorId | Should -Be 'EtcdTimeout,EtcdTools.Commands.GetEtcdConnectionCommand'
        $errorRecord.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
    }

    It 'keeps the cluster serving with one member suspended' {
        $sandbox | Suspend-EtcdSandboxMember -Index 0

        $connection = Get-EtcdConnection -Endpoint $sandbox.Endpoint @tls -DialTimeout 1 -CommandTimeout 2

        $connection.MemberCount | Should -Be 3
    }

    It 'stops a member and starts it again on a new process, reporting the state with -PassThru' {
        $stopped = $sandbox | Stop-EtcdSandboxMember -Index 2 -PassThru
        $stateAfterStop = $stopped.State.ToString()
        $oldProcessId = $stopped.ProcessId
        $oldProcessGone = -not (Get-Process -Id $oldProcessId -ErrorAction SilentlyContinue)

        $restarted = $sandbox | Start-EtcdSandboxMember -Index 2 -PassThru
        $stateAfterStart = $restarted.State.ToString()

        $stopped.Index | Should -Be 2
        $stateAfterStop | Should -Be 'Stopped'
        $oldProcessGone | Should -BeTrue
        $stateAfterStart | Should -Be 'Running'
        $restarted.ProcessId | Should -Not -Be $oldProcessId
        Get-MemberStates $sandbox | Should -Be 'Running,Running,Running'
    }

    It 'refuses a stopped member with EtcdUnavailable, at once' {
        $sandbox | Stop-EtcdSandboxMember -Index 1

        $errorRecord = { Get-EtcdConnection -Endpoint $sandbox.Members[1].ClientUrl @tls -DialTimeout 2 } | Should -Throw -PassThru

        $errorRecord.FullyQualifiedErrorId | Should -Be 'EtcdUnavailable,EtcdTools.Commands.GetEtcdConnectionCommand'
    }

    It 'selects members by name' {
        $memberName = "$($sandbox.Name)-0"

        $suspended = $sandbox | Suspend-EtcdSandboxMember -MemberName $memberName -PassThru
        $stateAfterSuspend = $suspended.State.ToString()
        $resumed = $sandbox | Resume-EtcdSandboxMember -MemberName $memberName.ToUpperInvariant() -PassThru

        $suspended.Index | Should -Be 0
        $stateAfterSuspend | Should -Be 'Suspended'
        $resumed.Name | Should -Be $memberName
        $resumed.State.ToString() | Should -Be 'Running'
    }

    It 'reports an index or name the sandbox does not have and still handles the others' {
        $resumed = $sandbox | Resume-EtcdSandboxMember -Index 0, 7 -PassThru -ErrorVariable indexProblems -ErrorAction SilentlyContinue
        $suspended = $sandbox | Suspend-EtcdSandboxMember -MemberName 'no-such-member', "$($sandbox.Name)-1" -PassThru -ErrorVariable nameProblems -ErrorAction SilentlyContinue

        @($resumed).Count | Should -Be 1
        $resumed.Index | Should -Be 0
        @($indexProblems).Count | Should -Be 1
        $indexProblems[0].FullyQualifiedErrorId | Should -Be 'EtcdSandboxMemberNotFound,EtcdTools.Commands.ResumeEtcdSandboxMemberCommand'
        @($suspended).Count | Should -Be 1
        $suspended.Index | Should -Be 1
        @($nameProblems).Count | Should -Be 1
        $nameProblems[0].FullyQualifiedErrorId | Should -Be 'EtcdSandboxMemberNotFound,EtcdTools.Commands.SuspendEtcdSandboxMemberCommand'
    }

    It 'suspends, stops and starts nothing with -WhatIf' {
        $processIds = @($sandbox.Members.ProcessId)

        $sandbox | Suspend-EtcdSandboxMember -Index 0 -WhatIf
        $sandbox | Stop-EtcdSandboxMember -Index 0, 1, 2 -WhatIf
        $statesAfterWhatIf = Get-MemberStates $sandbox
        $sandbox | Stop-EtcdSandboxMember -Index 2
        $sandbox | Start-EtcdSandboxMember -Index 2 -WhatIf
        $stateOfStoppedMember = $sandbox.Members[2].State.ToString()

        $statesAfterWhatIf | Should -Be 'Running,Running,Running'
        $stateOfStoppedMember | Should -Be 'Stopped'
        $sandbox.Members[0].ProcessId | Should -Be $processIds[0]
        $sandbox.Members[1].ProcessId | Should -Be $processIds[1]
    }

    It 'shows members with the member view' {
        $text = $sandbox.Members | Format-Table | Out-String -Width 1000

        $text | Should -Match 'Index\s+Name\s+State\s+PID\s+ClientUrl\s+MetricsUrl'
        foreach ($member in $sandbox.Members) {
            $text | Should -Match ([regex]::Escape($member.ClientUrl))
        }
    }
}
