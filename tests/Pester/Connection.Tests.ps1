<#
    Pester 5 tests of Connect-EtcdCluster, Get-EtcdConnection and Disconnect-EtcdCluster: where the
    settings come from (parameters, a piped sandbox, the session, ETCDCTL_*), durations, and the
    ErrorIds of the failures an operator meets (bad URL, nothing listening, wrong CA, no client
    certificate).

    The module is imported from $env:ETCDTOOLS_MODULE_PATH (set by build.ps1), else from out/EtcdTools.
    Tests that need a cluster start sandboxes of real etcd: the suite needs Linux and an etcd binary
    on PATH (apt-get install etcd-server) and fails at once, saying so, where either is missing. The ETCDCTL_* variables of the
    calling session are set aside for the run and put back in AfterAll.
#>

BeforeDiscovery {

    $script:DurationCases = @(
        @{ Value = 3; Seconds = 3.0 }
        @{ Value = 2.5; Seconds = 2.5 }
        @{ Value = '500ms'; Seconds = 0.5 }
        @{ Value = '5s'; Seconds = 5.0 }
        @{ Value = '1m30s'; Seconds = 90.0 }
        @{ Value = [timespan]::FromSeconds(7); Seconds = 7.0 }
    )
}

BeforeAll {
    if (-not $IsLinux -or -not (Get-Command -Name etcd -CommandType Application -ErrorAction SilentlyContinue)) {
        throw 'These tests start sandbox clusters: they need Linux and an etcd binary on PATH (apt-get install etcd-server).'
    }
    $modulePath = if ($env:ETCDTOOLS_MODULE_PATH) { $env:ETCDTOOLS_MODULE_PATH } else { Join-Path $PSScriptRoot '..' '..' 'out' 'EtcdTools' }
    $script:ManifestPath = [System.IO.Path]::GetFullPath((Join-Path $modulePath 'EtcdTools.psd1'))
    Get-Module -Name EtcdTools | Remove-Module -Force
    Import-Module -Name $script:ManifestPath -ErrorAction Stop

    # The variables etcdctl reads; set aside so that the machine's own settings cannot leak in.
    $script:EtcdctlVariableNames = @(
        'ETCDCTL_ENDPOINTS', 'ETCDCTL_CACERT', 'ETCDCTL_CERT', 'ETCDCTL_KEY', 'ETCDCTL_USER', 'ETCDCTL_PASSWORD',
        'ETCDCTL_DIAL_TIMEOUT', 'ETCDCTL_COMMAND_TIMEOUT', 'ETCDCTL_INSECURE_SKIP_TLS_VERIFY'
    )
    $script:SavedEtcdctlVariables = @{}
    foreach ($name in $script:EtcdctlVariableNames) {
        $script:SavedEtcdctlVariables[$name] = [System.Environment]::GetEnvironmentVariable($name)
        [System.Environment]::SetEnvironmentVariable($name, $null)
    }

    function Clear-EtcdctlVariable {
        foreach ($name in $script:EtcdctlVariableNames) {
            [System.Environment]::SetEnvironmentVariable($name, $null)
        }
    }

    # A loopback port nothing listens on: bound by the kernel's choice, then released.
    function Get-ClosedPort {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
    }

    $script:StartedSandboxes = [System.Collections.Generic.List[object]]::new()

    function New-TestSandbox {
        param([switch] $Tls)
        $name = 'pester-connection-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $sandbox = Start-EtcdSandbox -Name $name -Tls:$Tls -ErrorAction Stop
        $script:StartedSandboxes.Add($sandbox)
        $sandbox
    }

    Disconnect-EtcdCluster
}

AfterAll {
    Disconnect-EtcdCluster
    if ($script:StartedSandboxes.Count -gt 0) {
        $script:StartedSandboxes | Stop-EtcdSandbox -Confirm:$false
    }
    foreach ($name in $script:EtcdctlVariableNames) {
        [System.Environment]::SetEnvironmentVariable($name, $script:SavedEtcdctlVariables[$name])
    }
}

Describe 'Failures that need no cluster' {
    BeforeEach {
        Disconnect-EtcdCluster
        Clear-EtcdctlVariable
    }

    It 'rejects the malformed endpoint <Endpoint> with InvalidArgument' -ForEach @(
        @{ Endpoint = 'ftp://127.0.0.1:2379' }
        @{ Endpoint = 'http://127.0.0.1:2379/v3/kv/range' }
        @{ Endpoint = '127.0.0.1:2379/x' }
    ) {
        $connectError = { Connect-EtcdCluster -Endpoint $Endpoint } | Should -Throw -PassThru
        $getError = { Get-EtcdConnection -Endpoint $Endpoint } | Should -Throw -PassThru

        $connectError.FullyQualifiedErrorId | Should -Be 'InvalidArgument,EtcdTools.Commands.ConnectEtcdClusterCommand'
        $connectError.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $connectError.Exception.Message | Should -BeLike "*$Endpoint*"
        $getError.FullyQualifiedErrorId | Should -Be 'InvalidArgument,EtcdTools.Commands.GetEtcdConnectionCommand'
    }

    It 'reports an unreachable endpoint as EtcdUnavailable within the dial timeout' {
        $endpoint = "http://127.0.0.1:$(Get-ClosedPort)"
        $watch = [System.Diagnostics.Stopwatch]::StartNew()

        $errorRecord = { Connect-EtcdCluster -Endpoint $endpoint -DialTimeout 2 } | Should -Throw -PassThru

        $watch.Stop()
        $errorRecord.FullyQualifiedErrorId | Should -Be 'EtcdUnavailable,EtcdTools.Commands.ConnectEtcdClusterCommand'
        $errorRecord.CategoryInfo.Category | Should -Be 'ConnectionError'
        $errorRecord.Exception.Message | Should -BeLike "*127.0.0.1*"
        $errorRecord.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 4
        Disconnect-EtcdCluster -PassThru | Should -BeNullOrEmpty
    }

    It 'recommends what fits etcd''s named error <Text>, not what fits its kind' -ForEach @(
        @{ Text = 'etcdserver: leader changed'; Code = 14; Advice = '*electing a leader*' }
        @{ Text = 'etcdserver: no leader'; Code = 14; Advice = '*electing a leader*' }
        @{ Text = 'etcdserver: too many requests'; Code = 8; Advice = '*back-off*' }
        @{ Text = 'etcdserver: server stopped'; Code = 14; Advice = '*shutting down or restarting*' }
        @{ Text = 'connection refused'; Code = 14; Advice = '*-Endpoint is its client URL*' }
    ) {
        # The error as the transport makes it from a gRPC status, turned into a record by the module.
        $core = [System.Runtime.Loader.AssemblyLoadContext]::All.Assemblies | Where-Object { $_.GetName().Name -eq 'EtcdTools.Core' } | Select-Object -First 1
        $status = [enum]::ToObject($core.GetType('EtcdTools.Protocol.GrpcStatusCode', $true), $Code)
        $exception = $core.GetType('EtcdTools.EtcdException', $true).GetMethod('FromStatus').Invoke($null, @($status, $Text, $null, 'KV.Range'))

        $record = [EtcdTools.Framework.EtcdErrorRecords]::From($exception, 'member-1')

        $record.FullyQualifiedErrorId | Should -Be 'EtcdUnavailable'
        $record.ErrorDetails.RecommendedAction | Should -BeLike $Advice
    }

    It 'reports a CA file that does not exist as EtcdTlsConfigurationInvalid' {
        $missing = Join-Path $TestDrive 'no-such-ca.pem'

        $errorRecord = { Connect-EtcdCluster -Endpoint "https://127.0.0.1:$(Get-ClosedPort)" -CaCertificatePath $missing } | Should -Throw -PassThru

        $errorRecord.FullyQualifiedErrorId | Should -Be 'EtcdTlsConfigurationInvalid,EtcdTools.Commands.ConnectEtcdClusterCommand'
        $errorRecord.Exception.Message | Should -BeLike "*$missing*"
    }

    It 'never shows the password of -Credential in an error' {
        $password = 'Secret-' + [guid]::NewGuid().ToString('N')
        $credential = [pscredential]::new('root', (ConvertTo-SecureString -String $password -AsPlainText -Force))

        $errorRecord = { Connect-EtcdCluster -Endpoint "http://127.0.0.1:$(Get-ClosedPort)" -Credential $credential -DialTimeout 1 } | Should -Throw -PassThru

        ($errorRecord | Out-String) + $errorRecord.Exception.ToString() | Should -Not -BeLike "*$password*"
    }

    It 'rejects -CommandTimeout ''soon'' with a parameter error that says what a duration is' {
        $errorRecord = { Get-EtcdConnection -Endpoint 'http://127.0.0.1:2379' -CommandTimeout 'soon' } | Should -Throw -PassThru

        $errorRecord.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentTransformationError,*'
        $errorRecord.Exception.Message | Should -BeLike '*CommandTimeout*'
        $errorRecord.Exception.Message | Should -BeLike "*'soon' is not a duration*"
        $errorRecord.Exception.Message | Should -BeLike '*500ms*'
    }

    It 'rejects an ETCDCTL_COMMAND_TIMEOUT it cannot read with InvalidArgument' {
        try {
            $env:ETCDCTL_ENDPOINTS = "http://127.0.0.1:$(Get-ClosedPort)"
            $env:ETCDCTL_COMMAND_TIMEOUT = 'soon'

            $errorRecord = { Get-EtcdConnection } | Should -Throw -PassThru

            $errorRecord.FullyQualifiedErrorId | Should -Be 'InvalidArgument,EtcdTools.Commands.GetEtcdConnectionCommand'
            $errorRecord.Exception.Message | Should -BeLike '*ETCDCTL_COMMAND_TIMEOUT*'
        }
        finally {
            Clear-EtcdctlVariable
        }
    }

    It 'Disconnect-EtcdCluster does nothing when there is no session connection' {
        Disconnect-EtcdCluster -PassThru | Should -BeNullOrEmpty
        { Disconnect-EtcdCluster -ErrorAction Stop } | Should -Not -Throw
    }
}

Describe 'Connections to a sandbox cluster' {
    BeforeAll {
        $plain = New-TestSandbox
        # Two TLS sandboxes with CAs of their own: each one's CA is the wrong CA for the other.
        $tlsA = New-TestSandbox -Tls
        $tlsB = New-TestSandbox -Tls
    }

    BeforeEach {
        Disconnect-EtcdCluster
        Clear-EtcdctlVariable
    }

    AfterAll {
        Disconnect-EtcdCluster
        Clear-EtcdctlVariable
    }

    It 'connects to a sandbox piped in, shows it with Get-EtcdConnection and forgets it with Disconnect-EtcdCluster' {
        $connection = $plain | Connect-EtcdCluster -PassThru

        $connection.PSTypeNames | Should -Contain 'EtcdTools.Client.EtcdConnection'
        $connection.Endpoint | Should -Be $plain.Endpoint
        $connection.MemberCount | Should -Be 1
        $connection.Tls | Should -BeFalse
        $connection.ClusterId | Should -Match '^[0-9a-f]+$'
        $connection.Source | Should -Be 'Parameters'

        $shown = Get-EtcdConnection
        $shown.Endpoint | Should -Be $plain.Endpoint
        $shown.ClusterId | Should -Be $connection.ClusterId

        $removed = Disconnect-EtcdCluster -PassThru
        $removed.Endpoint | Should -Be $plain.Endpoint
        Disconnect-EtcdCluster -PassThru | Should -BeNullOrEmpty
    }

    It 'writes nothing without -PassThru' {
        $plain | Connect-EtcdCluster | Should -BeNullOrEmpty
        (Get-EtcdConnection).Endpoint | Should -Be $plain.Endpoint
    }

    It 'connects to a TLS sandbox piped in, with its CA and client certificate' {
        $connection = $tlsA | Connect-EtcdCluster -PassThru

        $connection.Tls | Should -BeTrue
        $connection.Endpoint | Should -Be $tlsA.Endpoint
        $connection.CaCertificatePath | Should -Be $tlsA.CaCertificatePath
        $connection.CertificatePath | Should -Be $tlsA.CertificatePath
        $connection.KeyPath | Should -Be $tlsA.KeyPath
    }

    It 'replaces the session connection instead of mixing two clusters' {
        $first = $plain | Connect-EtcdCluster -PassThru
        $second = $tlsA | Connect-EtcdCluster -PassThru

        $second.Endpoint | Should -Be $tlsA.Endpoint
        $second.ClusterId | Should -Not -Be $first.ClusterId
        (Get-EtcdConnection).Endpoint | Should -Be $tlsA.Endpoint
    }

    It 'keeps the session connection when a new connection fails' {
        $plain | Connect-EtcdCluster

        { Connect-EtcdCluster -Endpoint "http://127.0.0.1:$(Get-ClosedPort)" -DialTimeout 1 } | Should -Throw

        (Get-EtcdConnection).Endpoint | Should -Be $plain.Endpoint
    }

    It 'takes a connection from Get-EtcdConnection piped to Connect-EtcdCluster' {
        $connection = Get-EtcdConnection -Endpoint $tlsA.Endpoint -CaCertificatePath $tlsA.CaCertificatePath -CertificatePath $tlsA.CertificatePath -KeyPath $tlsA.KeyPath |
            Connect-EtcdCluster -PassThru

        $connection.Endpoint | Should -Be $tlsA.Endpoint
        $connection.Tls | Should -BeTrue
    }

    It 'uses the ETCDCTL_* variables when there is no session connection' {
        try {
            $env:ETCDCTL_ENDPOINTS = $tlsA.Endpoint
            $env:ETCDCTL_CACERT = $tlsA.CaCertificatePath
            $env:ETCDCTL_CERT = $tlsA.CertificatePath
            $env:ETCDCTL_KEY = $tlsA.KeyPath
            $env:ETCDCTL_DIAL_TIMEOUT = '3s'
            $env:ETCDCTL_COMMAND_TIMEOUT = '7s'

            $shown = Get-EtcdConnection
            $connection = Connect-EtcdCluster -PassThru
        }
        finally {
            Clear-EtcdctlVariable
        }

        $shown.Source | Should -Be 'Environment'
        $shown.Endpoint | Should -Be $tlsA.Endpoint
        $shown.Tls | Should -BeTrue
        $shown.MemberCount | Should -Be 1
        $shown.DialTimeout | Should -Be ([timespan]::FromSeconds(3))
        $shown.CommandTimeout | Should -Be ([timespan]::FromSeconds(7))
        $connection.Source | Should -Be 'Environment'
        $connection.CaCertificatePath | Should -Be $tlsA.CaCertificatePath
        # The session connection now applies, the variables being gone.
        (Get-EtcdConnection).Endpoint | Should -Be $tlsA.Endpoint
    }

    It 'prefers the session connection to ETCDCTL_*, and parameters to both' {
        try {
            $plain | Connect-EtcdCluster
            $env:ETCDCTL_ENDPOINTS = "http://127.0.0.1:$(Get-ClosedPort)"

            $fromSession = Get-EtcdConnection
            $fromParameters = Get-EtcdConnection -Endpoint $tlsA.Endpoint -CaCertificatePath $tlsA.CaCertificatePath -CertificatePath $tlsA.CertificatePath -KeyPath $tlsA.KeyPath
        }
        finally {
            Clear-EtcdctlVariable
        }

        $fromSession.Endpoint | Should -Be $plain.Endpoint
        $fromParameters.Endpoint | Should -Be $tlsA.Endpoint
        $fromParameters.Source | Should -Be 'Parameters'
        (Get-EtcdConnection).Endpoint | Should -Be $plain.Endpoint
    }

    It 'checks the session connection anew when a parameter changes one of its settings' {
        $plain | Connect-EtcdCluster

        $changed = Get-EtcdConnection -CommandTimeout 9

        $changed.Endpoint | Should -Be $plain.Endpoint
        $changed.CommandTimeout | Should -Be ([timespan]::FromSeconds(9))
        $changed.Source | Should -Be 'Session'
        (Get-EtcdConnection).CommandTimeout | Should -Be ([timespan]::FromSeconds(5))
    }

    It 'accepts -CommandTimeout <Value> as <Seconds> seconds' -ForEach $DurationCases {
        $connection = Get-EtcdConnection -Endpoint $plain.Endpoint -CommandTimeout $Value -DialTimeout $Value

        $connection.CommandTimeout | Should -Be ([timespan]::FromSeconds($Seconds))
        $connection.DialTimeout | Should -Be ([timespan]::FromSeconds($Seconds))
    }

    It 'reports a server certificate from another CA as EtcdServerCertificateUntrusted' {
        $errorRecord = {
            Connect-EtcdCluster -Endpoint $tlsA.Endpoint -CaCertificatePath $tlsB.CaCertificatePath -CertificatePath $tlsA.CertificatePath -KeyPath $tlsA.KeyPath -DialTimeout 3
        } | Should -Throw -PassThru

        $errorRecord.FullyQualifiedErrorId | Should -Be 'EtcdServerCertificateUntrusted,EtcdTools.Commands.ConnectEtcdClusterCommand'
        $errorRecord.CategoryInfo.Category | Should -Be 'SecurityError'
        $errorRecord.Exception.Message | Should -BeLike "*$($tlsB.CaCertificatePath)*"
    }

    It 'reports a missing client certificate as EtcdClientCertificateRequired' {
        $errorRecord = { Connect-EtcdCluster -Endpoint $tlsA.Endpoint -CaCertificatePath $tlsA.CaCertificatePath -DialTimeout 3 } | Should -Throw -PassThru

        $errorRecord.FullyQualifiedErrorId | Should -Be 'EtcdClientCertificateRequired,EtcdTools.Commands.ConnectEtcdClusterCommand'
        $errorRecord.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $errorRecord.ErrorDetails.RecommendedAction | Should -BeLike '*-CertificatePath*'
    }

    It 'reports a client certificate from another CA as EtcdClientCertificateRejected' {
        $errorRecord = {
            Connect-EtcdCluster -Endpoint $tlsA.Endpoint -CaCertificatePath $tlsA.CaCertificatePath -CertificatePath $tlsB.CertificatePath -KeyPath $tlsB.KeyPath -DialTimeout 3
        } | Should -Throw -PassThru

        $errorRecord.FullyQualifiedErrorId | Should -Be 'EtcdClientCertificateRejected,EtcdTools.Commands.ConnectEtcdClusterCommand'
    }

    It 'talks plain HTTP to a TLS member only as a protocol error, never silently' {
        $plainUrl = $tlsA.Endpoint -replace '^https://', 'http://'

        $errorRecord = { Connect-EtcdCluster -Endpoint $plainUrl -DialTimeout 3 } | Should -Throw -PassThru

        $errorRecord.FullyQualifiedErrorId | Should -BeLike 'Etcd*,EtcdTools.Commands.ConnectEtcdClusterCommand'
        Disconnect-EtcdCluster -PassThru | Should -BeNullOrEmpty
    }

    It 'exports clean columns with Export-Csv' {
        $plain | Connect-EtcdCluster
        $csv = Join-Path $TestDrive 'connection.csv'

        Get-EtcdConnection | Export-Csv -LiteralPath $csv

        $lines = Get-Content -LiteralPath $csv
        $lines[0] | Should -Not -BeLike '#TYPE*'
        $rows = @(Import-Csv -LiteralPath $csv)
        $rows.Count | Should -Be 1
        $columns = $rows[0].PSObject.Properties.Name
        foreach ($column in 'Endpoint', 'User', 'Tls', 'ClusterId', 'MemberCount', 'Source', 'DialTimeout', 'CommandTimeout') {
            $columns | Should -Contain $column
        }
        $rows[0].Endpoint | Should -Be $plain.Endpoint
        $rows[0].MemberCount | Should -Be '1'
        $rows[0].Tls | Should -Be 'False'
        $rows[0].CommandTimeout | Should -Be '00:00:05'
        foreach ($property in $rows[0].PSObject.Properties) {
            # A nested object would show as its type name, e.g. System.Collections.Generic.List`1[...].
            $property.Value | Should -Not -Match '^(System|EtcdTools)\.[\w.`\[\], =]+$' -Because "column $($property.Name) should hold a value, not a type name"
        }
    }

    It 'shows the connection with its table view' {
        $plain | Connect-EtcdCluster

        $text = Get-EtcdConnection | Format-Table | Out-String -Width 1000

        $text | Should -Match 'Endpoint\s+ClusterId\s+Members\s+Tls\s+User\s+Source'
        $text | Should -Match ([regex]::Escape($plain.Endpoint))
    }
}
