using System.Management.Automation;
using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Contracts;

/// <summary>
/// Every output type of the module has a view selected by its full type name and a default
/// display property set, as PowerShell loaded them from the module's ps1xml files; the views
/// render real objects without errors and name only properties the objects have.
/// </summary>
[Collection(SandboxGroup.Name)]
public sealed class ViewTests(SandboxFixture fixture)
{
    /// <summary>Real objects of every output type, from the sandbox; types no safe command here produces are made empty.</summary>
    private const string SampleScript = """
        $prefix = "/views/$([guid]::NewGuid().ToString('N'))/"
        Set-EtcdKey -Key "${prefix}a" -Value ("a" * 80) -Confirm:$false
        $samples = [System.Collections.Generic.List[object]]::new()
        $samples.Add((Get-EtcdConnection))
        $samples.Add($sandbox)
        $samples.Add($sandbox.Members[0])
        Get-EtcdMember | ForEach-Object { $samples.Add($_) }
        Get-EtcdHealth | ForEach-Object { $samples.Add($_) }
        Test-EtcdCluster -Detailed | ForEach-Object { $samples.Add($_) }
        Get-EtcdKey -Key "${prefix}a" | ForEach-Object { $samples.Add($_) }
        Compare-EtcdHash | ForEach-Object { $samples.Add($_) }
        Get-EtcdMetric -Name etcd_server_has_leader, 'etcd_disk_wal_fsync_duration_seconds_*' | ForEach-Object { $samples.Add($_) }
        Measure-EtcdPerformance -Duration 2 -Interval 1 | ForEach-Object { $samples.Add($_) }
        Watch-EtcdPerformance -Interval 1 -Duration 1 | ForEach-Object { $samples.Add($_) }
        Test-EtcdDisk -Path ([System.IO.Path]::GetTempPath()) -SizeBytes 64KB | ForEach-Object { $samples.Add($_) }
        Invoke-EtcdLoadTest -Rate 20 -Clients 2 -Duration 1 -Confirm:$false | ForEach-Object { $samples.Add($_) }
        $writer = [powershell]::Create().AddScript({ param($m, $c, $k) Import-Module $m; Start-Sleep -Milliseconds 500; Set-EtcdKey -Connection $c -Key $k -Value 'changed' -Confirm:$false }).
            AddArgument((Get-Module EtcdTools).Path).AddArgument((Get-EtcdConnection)).AddArgument("${prefix}a")
        $pending = $writer.BeginInvoke()
        Watch-EtcdKey -Key "${prefix}a" -Count 1 -PrevKv -Timeout 10 | ForEach-Object { $samples.Add($_) }
        $null = $writer.EndInvoke($pending); $writer.Dispose()
        $scratch = New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "views-$([guid]::NewGuid().ToString('N'))")
        $snapshotFile = Join-Path $scratch 'snapshot.db'
        Save-EtcdSnapshot -Path $snapshotFile | ForEach-Object { $samples.Add($_) }
        Get-EtcdSnapshotInfo -Path $snapshotFile | ForEach-Object { $samples.Add($_) }
        Test-EtcdSnapshot -Path $snapshotFile -Detailed | ForEach-Object { $samples.Add($_) }
        Restore-EtcdSnapshot -Path $snapshotFile -Name views -DataDirectory (Join-Path $scratch 'data') -Confirm:$false | ForEach-Object { $samples.Add($_) }
        Measure-EtcdKeyspace -Prefix $prefix | ForEach-Object { $samples.Add($_) }
        Measure-EtcdKeyspace -Prefix $prefix -Report LargestKeys -Top 2 | ForEach-Object { $samples.Add($_) }
        Remove-Item -LiteralPath $scratch -Recurse -Force
        $samples
        """;

    private static IReadOnlyList<PSObject> Samples(PowerShellSession session)
    {
        var result = session.Invoke(SampleScript).ThrowOnError();
        return result.Output;
    }

    [Fact]
    public void EveryOutputTypeHasATableOrListViewAndADefaultDisplaySet()
    {
        using var session = fixture.NewSession();
        foreach (var type in ModuleCommands.Cmdlets.SelectMany(ModuleCommands.ModuleOutputTypes).Distinct())
        {
            var views = session.Invoke("Get-FormatData -TypeName $args[0] -PowerShellVersion $PSVersionTable.PSVersion | ForEach-Object FormatViewDefinition", type.FullName).ThrowOnError();
            Assert.True(views.Output.Count > 0, $"{type.FullName} has no view in EtcdTools.Format.ps1xml");
            var properties = session.Invoke("(Get-TypeData -TypeName $args[0]).DefaultDisplayPropertySet.ReferencedProperties", type.FullName).ThrowOnError();
            Assert.True(properties.Output.Count > 0, $"{type.FullName} has no DefaultDisplayPropertySet in EtcdTools.Types.ps1xml");
            var declared = type.GetProperties().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var property in properties.Output.Select(o => (string)o.BaseObject))
                Assert.True(declared.Contains(property), $"{type.FullName}'s DefaultDisplayPropertySet names {property}, which it does not have");
        }
    }

    [Fact]
    public void ViewsNameOnlyPropertiesTheObjectsHave()
    {
        using var session = fixture.NewSession();
        foreach (var type in ModuleCommands.Cmdlets.SelectMany(ModuleCommands.ModuleOutputTypes).Distinct())
        {
            // PowerShell's own reading of the views: every entry that displays a property by name.
            var named = session.Invoke("""
                Get-FormatData -TypeName $args[0] -PowerShellVersion $PSVersionTable.PSVersion | ForEach-Object FormatViewDefinition | ForEach-Object {
                    $control = $_.Control
                    $entries = if ($control -is [System.Management.Automation.TableControl]) { $control.Rows.Columns.DisplayEntry }
                        elseif ($control -is [System.Management.Automation.ListControl]) { $control.Entries.Items.DisplayEntry }
                        elseif ($control -is [System.Management.Automation.WideControl]) { $control.Entries.DisplayEntry }
                    $entries | Where-Object ValueType -EQ 'Property' | ForEach-Object Value
                }
                """, type.FullName).ThrowOnError();
            var declared = type.GetProperties().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var property in named.Output.Select(o => (string)o.BaseObject))
                Assert.True(declared.Contains(property), $"A view of {type.FullName} shows {property}, which it does not have");
        }
    }

    [Fact]
    public void ViewsRenderRealObjectsWithoutErrors()
    {
        using var session = fixture.NewSession();
        var samples = Samples(session);
        var sampled = samples.Select(s => s.BaseObject.GetType().FullName).ToHashSet(StringComparer.Ordinal);
        foreach (var type in ModuleCommands.Cmdlets.SelectMany(ModuleCommands.ModuleOutputTypes).Distinct().Where(t => !sampled.Contains(t.FullName)))
        {
            // Types no safe command produces here (an alarm, a leader change): an empty object still renders.
            // Real local port-forwards need the fake API server: Kubernetes/KubernetesCmdletTests renders them.
            if (type.FullName == "EtcdTools.Kubernetes.EtcdLocalPortForward") continue;
            if (type.GetConstructor(Type.EmptyTypes) is not null) samples = [.. samples, PSObject.AsPSObject(Activator.CreateInstance(type)!)];
            else Assert.Fail($"No sample of {type.FullName}: add a command that produces one to {nameof(SampleScript)}");
        }
        foreach (var group in samples.GroupBy(s => s.BaseObject.GetType()))
        {
            session.SetVariable("objects", group.ToArray());
            foreach (var format in new[] { "Format-Table", "Format-List", "Format-Custom" })
            {
                // -ShowError/-DisplayError make PowerShell print what a view's script blocks throw.
                var shown = session.Invoke($"$objects | {format} {(format == "Format-Custom" ? "" : "-ShowError ")}-DisplayError | Out-String -Width 250").ThrowOnError();
                Assert.DoesNotContain("#ERR", shown.Text, StringComparison.Ordinal);
                Assert.DoesNotContain("Exception", shown.Text, StringComparison.Ordinal);
                Assert.False(string.IsNullOrWhiteSpace(shown.Text), $"{format} of {group.Key} shows nothing");
            }
            var table = session.Invoke("$objects | Out-String -Width 250").ThrowOnError().Text;
            Assert.False(string.IsNullOrWhiteSpace(table), $"The default view of {group.Key} shows nothing");
        }
    }

    /// <summary>Non-scalar properties kept on purpose: bytes that pipe into Set-EtcdKey, a sandbox's members for drills and its restore verification.</summary>
    private static readonly HashSet<string> NonScalarProperties =
        ["EtcdKeyValue.RawValue", "EtcdWatchEvent.RawValue", "EtcdWatchEvent.PreviousRawValue", "EtcdSandbox.Members",
        "EtcdSandbox.RestoreVerification"];

    [Fact]
    public void ExportCsvWritesTheFlatPropertiesOfEveryObject()
    {
        using var session = fixture.NewSession();
        var samples = Samples(session);
        foreach (var group in samples.GroupBy(s => s.BaseObject.GetType()))
        {
            session.SetVariable("objects", group.ToArray());
            var rows = session.Invoke("$objects | ConvertTo-Csv -NoTypeInformation | ConvertFrom-Csv").ThrowOnError().Output;
            Assert.Equal(group.Count(), rows.Count);
            // No column holds a .NET type name instead of a value (a nested object Export-Csv cannot flatten).
            foreach (var row in rows)
            {
                foreach (var property in row.Properties.Where(p => !NonScalarProperties.Contains($"{group.Key.Name}.{p.Name}")))
                    Assert.False(System.Text.RegularExpressions.Regex.IsMatch(property.Value as string ?? "", @"^(System|EtcdTools|Google)\.[A-Za-z.`0-9]+(\[.*\])?$"),
                        $"{group.Key.Name}.{property.Name} exports as '{property.Value}': not a value Export-Csv can write");
            }
        }
    }
}
