#
# Module manifest for EtcdTools: the source of out/EtcdTools/EtcdTools.psd1.
# The build copies this file and replaces ModuleVersion with <Version> from Directory.Build.props,
# so change the version there, not here. Keep this file plain data (no expressions): the build and
# the contract tests read it without PowerShell.
#
@{
    RootModule           = 'EtcdTools.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '12c1f71b-cc28-4c15-8ace-524697f44bb2'
    Author               = 'EtcdTools contributors'
    CompanyName          = 'EtcdTools contributors'
    Copyright            = 'Copyright (c) EtcdTools contributors'
    Description          = 'Health checks, performance measurements and safe maintenance (defragmentation, snapshots, alarms, members) for etcd clusters, including the etcd of Kubernetes and OpenShift control planes.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.6'

    FormatsToProcess     = @('EtcdTools.Format.ps1xml')
    TypesToProcess       = @('EtcdTools.Types.ps1xml')

    # Explicit lists, never wildcards: command discovery reads them without loading the module.
    # One name per line, sorted; the contract tests require this list to equal the cmdlet classes.
    CmdletsToExport      = @(
        'Add-EtcdMember'
        'Clear-EtcdAlarm'
        'Compare-EtcdHash'
        'Connect-EtcdCluster'
        'Disconnect-EtcdCluster'
        'Export-EtcdReport'
        'Get-EtcdAlarm'
        'Get-EtcdConnection'
        'Get-EtcdHealth'
        'Get-EtcdKey'
        'Get-EtcdMember'
        'Get-EtcdMetric'
        'Get-EtcdPod'
        'Get-EtcdPodLog'
        'Get-EtcdSandbox'
        'Get-EtcdSnapshotInfo'
        'Invoke-EtcdCompaction'
        'Invoke-EtcdDefrag'
        'Invoke-EtcdLoadTest'
        'Measure-EtcdKeyspace'
        'Measure-EtcdPerformance'
        'Move-EtcdLeader'
        'Remove-EtcdKey'
        'Remove-EtcdMember'
        'Repair-EtcdQuota'
        'Restore-EtcdSnapshot'
        'Resume-EtcdSandboxMember'
        'Save-EtcdSnapshot'
        'Set-EtcdKey'
        'Start-EtcdPortForward'
        'Start-EtcdSandbox'
        'Start-EtcdSandboxMember'
        'Stop-EtcdPortForward'
        'Stop-EtcdSandbox'
        'Stop-EtcdSandboxMember'
        'Suspend-EtcdSandboxMember'
        'Test-EtcdCluster'
        'Test-EtcdDisk'
        'Test-EtcdSnapshot'
        'Update-EtcdMember'
        'Watch-EtcdKey'
        'Watch-EtcdPerformance'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()

    PrivateData          = @{
        PSData = @{
            Tags         = @('etcd', 'kubernetes', 'openshift', 'health', 'performance', 'maintenance', 'snapshot', 'defrag', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
            LicenseUri   = 'https://github.com/etcdtools/EtcdTools/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/etcdtools/EtcdTools'
            ReleaseNotes = 'First release: connection handling, cluster health and performance checks, and guarded maintenance of etcd v3 clusters.'
        }
    }
}
