<#
    Pester 5 tests of the module as PowerShell sees it: a clean import, the exported cmdlets against
    the manifest, the help of every cmdlet, about_EtcdTools, the views and the isolation of the
    module's private dependencies from another module's copies.

    The module is imported from $env:ETCDTOOLS_MODULE_PATH (set by build.ps1), else from out/EtcdTools.
#>

BeforeDiscovery {
    $modulePath = if ($env:ETCDTOOLS_MODULE_PATH) { $env:ETCDTOOLS_MODULE_PATH } else { Join-Path $PSScriptRoot '..' '..' 'out' 'EtcdTools' }
    $manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $modulePath 'EtcdTools.psd1')
    $script:CmdletCases = @($manifest.CmdletsToExport | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Shared' 'ChildProcess.ps1')
    $modulePath = if ($env:ETCDTOOLS_MODULE_PATH) { $env:ETCDTOOLS_MODULE_PATH } else { Join-Path $PSScriptRoot '..' '..' 'out' 'EtcdTools' }
    $script:ModuleDirectory = [System.IO.Path]::GetFullPath($modulePath)
    $script:ManifestPath = Join-Path $script:ModuleDirectory 'EtcdTools.psd1'
    $script:Manifest = Import-PowerShellDataFile -LiteralPath $script:ManifestPath

    # A fresh import, whatever an earlier test file left loaded, with its errors and warnings kept.
    Get-Module -Name EtcdTools | Remove-Module -Force
    $script:Module = Import-Module -Name $script:ManifestPath -PassThru -ErrorVariable importErrors -WarningVariable importWarnings -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
    $script:ImportErrors = @($importErrors)
    $script:ImportWarnings = @($importWarnings)
}

Describe 'The EtcdTools module' {
    It 'imports with no error and no warning' {
        $ImportErrors | Should -BeNullOrEmpty
        $ImportWarnings | Should -BeNullOrEmpty
        $Module | Should -Not -BeNullOrEmpty
        $Module.Name | Should -Be 'EtcdTools'
    }

    It 'exports exactly the cmdlets its manifest lists' {
        $exported = @(Get-Command -Module EtcdTools -CommandType Cmdlet | ForEach-Object Name | Sort-Object)
        $listed = @($Manifest.CmdletsToExport | Sort-Object)

        $listed.Count | Should -BeGreaterThan 0
        ($exported -join ', ') | Should -Be ($listed -join ', ')
    }

    It 'exports no functions, aliases or variables' {
        @(Get-Command -Module EtcdTools -CommandType 'Function', 'Alias') | Should -BeNullOrEmpty
        $Module.ExportedVariables.Count | Should -Be 0
    }

    It 'has the version and PowerShell edition of its manifest' {
        $Module.Version | Should -Be ([version] $Manifest.ModuleVersion)
        $Module.CompatiblePSEditions | Should -Contain 'Core'
    }

    It 'finds about_EtcdTools' {
        $about = Get-Help -Name about_EtcdTools -ErrorAction Stop

        $about | Should -Not -BeNullOrEmpty
        ($about | Out-String) | Should -Match 'ETCDCTL_ENDPOINTS'
    }

    It 'has a view for every output type of the module' {
        $typeNames = Get-Command -Module EtcdTools -CommandType Cmdlet |
            ForEach-Object { $_.OutputType.Name } |
            Where-Object { $_ -like 'EtcdTools.*' } |
            Sort-Object -Unique

        $typeNames | Should -Not -BeNullOrEmpty
        foreach ($typeName in $typeNames) {
            Get-FormatData -TypeName $typeName | Should -Not -BeNullOrEmpty -Because "$typeName needs a view in EtcdTools.Format.ps1xml"
        }
    }

    It 'sets the default display properties of <TypeName>' -ForEach @(
        @{ TypeName = 'EtcdTools.Client.EtcdConnection'; Properties = 'Endpoint', 'User', 'Tls', 'ClusterId', 'MemberCount', 'Source' }
        @{ TypeName = 'EtcdTools.Sandbox.EtcdSandbox'; Properties = 'Name', 'MemberCount', 'Tls', 'Endpoint', 'Directory' }
        @{ TypeName = 'EtcdTools.Sandbox.EtcdSandboxMember'; Properties = 'Index', 'Name', 'State', 'ProcessId', 'ClientUrl', 'MetricsUrl' }
    ) {
        $typeData = Get-TypeData -TypeName $TypeName

        $typeData | Should -Not -BeNullOrEmpty
        ($typeData.DefaultDisplayPropertySet.ReferencedProperties -join ', ') | Should -Be ($Properties -join ', ')
    }
}

Describe 'Help of <Name>' -ForEach $CmdletCases {
    BeforeAll {
        $command = Get-Command -Name $Name -Module EtcdTools -CommandType Cmdlet
        $help = Get-Help -Name $Name -Full
        $commonParameters = [System.Management.Automation.Cmdlet]::CommonParameters
        $documentedParameters = @($help.parameters.parameter | Where-Object { $_ })
    }

    It 'has a synopsis of its own' {
        $synopsis = "$($help.Synopsis)".Trim()
        $synopsis | Should -Not -BeNullOrEmpty
        # Without a help file, Get-Help makes the synopsis from the syntax: the name, then parameters.
        $synopsis | Should -Not -Match "^$([regex]::Escape($Name))\s+[\[<-]"
    }

    It 'has a description' {
        ($help.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least two examples, each with code and an explanation' {
        $examples = @($help.examples.example)

        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($example in $examples) {
            "$($example.code)".Trim() | Should -Not -BeNullOrEmpty -Because "every example of $Name shows a command"
            ($example.remarks | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "every example of $Name says what it does"
        }
    }

    It 'documents every parameter, with a description' {
        $documented = @($documentedParameters | ForEach-Object { $_.name })
        $parameters = $command.Parameters.Keys | Where-Object { $_ -notin $commonParameters }

        foreach ($parameter in $parameters) {
            $documented | Should -Contain $parameter -Because "en-US/$Name.md documents -$parameter"
        }
        foreach ($entry in $documentedParameters) {
            ($entry.description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$($entry.name) of $Name has a description"
        }
    }

    It 'documents only parameters it has' {
        $documented = @($documentedParameters | ForEach-Object { $_.name })

        foreach ($parameter in $documented) {
            $command.Parameters.Keys | Should -Contain $parameter -Because "en-US/$Name.md documents -$parameter"
        }
    }
}

Describe 'Isolation of the private dependencies' {
    It 'keeps its own Google.Protobuf when another module loaded a different version first' {
        # A fresh pwsh, so that the other copy is loaded before EtcdTools, as when another module
        # that ships Google.Protobuf was imported first. The other copy is a stub of version
        # 99.0.0.0: were EtcdTools.Core bound to it, the first RPC would fail to load its types.
        $child = Join-Path $TestDrive 'isolation.ps1'
        Set-Content -LiteralPath $child -Encoding utf8 -Value @'
param([string] $ManifestPath, [string] $StubDirectory)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
# Settings meant for another cluster must not reach the connection made below.
Get-ChildItem -Path Env: | Where-Object Name -Like 'ETCDCTL_*' | ForEach-Object { Remove-Item -LiteralPath "Env:$($_.Name)" }
$report = [ordered]@{ Outcome = $null; ErrorId = $null; Message = $null; Stub = $null; Protobuf = @() }
$sandbox = $null
try {
    Add-Type -AssemblyName System.Reflection.Emit
    $null = New-Item -ItemType Directory -Path $StubDirectory -Force
    $stubPath = Join-Path $StubDirectory 'Google.Protobuf.dll'
    $name = [System.Reflection.AssemblyName]::new('Google.Protobuf, Version=99.0.0.0, Culture=neutral, PublicKeyToken=null')
    $builder = [System.Reflection.Emit.PersistedAssemblyBuilder]::new($name, [object].Assembly, $null)
    $stubModule = $builder.DefineDynamicModule('Google.Protobuf.dll')
    $null = $stubModule.DefineType('Google.Protobuf.ByteString', [System.Reflection.TypeAttributes] 'Public, Sealed').CreateType()
    $builder.Save($stubPath)
    $stub = [System.Reflection.Assembly]::LoadFrom($stubPath)
    $report.Stub = $stub.GetName().Version.ToString()

    Import-Module -Name $ManifestPath
    $sandbox = Start-EtcdSandbox -Tls
    $connection = $sandbox | Connect-EtcdCluster -PassThru
    # Real protobuf work on the way: the member list, then a key written and read back.
    Set-EtcdKey -Key '/isolation' -Value 'ours' -Confirm:$false
    $report.Outcome = "Connected to cluster $($connection.ClusterId) of $($connection.MemberCount) member(s); read back '$((Get-EtcdKey -Key '/isolation').Value)'"
}
catch {
    $report.Outcome = 'Failed'
    $report.ErrorId = $_.FullyQualifiedErrorId
    $report.Message = $_.Exception.ToString()
}
finally {
    if ($sandbox) { $sandbox | Stop-EtcdSandbox }
}
$report.Protobuf = @([System.AppDomain]::CurrentDomain.GetAssemblies() |
    Where-Object { $_.GetName().Name -eq 'Google.Protobuf' } |
    ForEach-Object {
        [ordered]@{
            Version = $_.GetName().Version.ToString()
            Context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name
        }
    })
$report | ConvertTo-Json -Depth 4 -Compress
'@
        $ours = [System.Reflection.AssemblyName]::GetAssemblyName((Join-Path $ModuleDirectory 'Dependencies' 'Google.Protobuf.dll')).Version.ToString()

        $output = Invoke-ChildPwsh -NoProfile -NonInteractive -File $child -ManifestPath $ManifestPath -StubDirectory (Join-Path $TestDrive 'stub')

        $LASTEXITCODE | Should -Be 0
        $json = @($output | Where-Object { "$_".StartsWith('{') })[-1]
        $json | Should -Not -BeNullOrEmpty -Because "the child pwsh reports as JSON; it wrote: $($output -join [Environment]::NewLine)"
        $report = $json | ConvertFrom-Json
        $report.Stub | Should -Be '99.0.0.0'
        $report.Outcome | Should -BeLike "Connected to cluster * read back 'ours'" -Because "$($report.ErrorId): $($report.Message)"
        $contexts = @($report.Protobuf | ForEach-Object { "$($_.Context)=$($_.Version)" })
        $contexts | Should -Contain 'Default=99.0.0.0'
        $contexts | Should -Contain "EtcdTools=$ours"
    }
}
