using System.Diagnostics;
using System.Management.Automation;
using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Snapshots;

/// <summary>
/// Save-EtcdSnapshot, Get-EtcdSnapshotInfo, Test-EtcdSnapshot, Restore-EtcdSnapshot, Start-EtcdSandbox
/// -FromSnapshot and Measure-EtcdKeyspace as a user runs them, on the shared TLS sandbox: pipelines,
/// -WhatIf, the errors a script catches, Ctrl+C, and CSV.
/// </summary>
[Collection(SandboxGroup.Name)]
public sealed class SnapshotCmdletTests(SandboxFixture fixture) : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("etcdtools-hosted-snapshots-");

    private string InDirectory(string name) => Path.Combine(_directory.FullName, name);

    [Fact]
    public void ASavedSnapshotPipesIntoInfoAndTestAndExportsAsCsv()
    {
        using var session = fixture.NewSession();
        var result = session.Invoke("""
            $snapshot = Save-EtcdSnapshot -Path $args[0] -Verbose
            $info = $snapshot | Get-EtcdSnapshotInfo
            [pscustomobject]@{
                Snapshot = $snapshot; Info = $info; Valid = ($snapshot | Test-EtcdSnapshot)
                Csv = @($info | ConvertTo-Csv -NoTypeInformation)
                Table = ($snapshot | Out-String -Width 200)
                Members = @((Get-EtcdMember).Name); Leader = (Get-EtcdMember | Where-Object IsLeader).Name
            }
            """, InDirectory("piped.db")).ThrowOnError();

        var summary = Assert.Single(result.Output);
        var snapshot = PSObject.AsPSObject(summary.Properties["Snapshot"].Value);
        var info = PSObject.AsPSObject(summary.Properties["Info"].Value);
        Assert.Equal(InDirectory("piped.db"), snapshot.Get("Path"));
        Assert.Equal(new FileInfo(InDirectory("piped.db")).Length, snapshot.Get("SizeBytes"));
        Assert.NotEqual(summary.Get("Leader"), snapshot.Get("Member"));
        Assert.Equal(snapshot.Get("Revision"), info.Get("Revision"));
        Assert.Equal(snapshot.Get("Sha256"), info.Get("Sha256"));
        Assert.True((bool)info.Get("Sha256Verified")!);
        Assert.True((bool)summary.Get("Valid")!);
        Assert.Contains(result.Verbose, v => v.StartsWith("Saved ", StringComparison.Ordinal) && v.Contains("SHA-256", StringComparison.Ordinal));
        Assert.Contains(result.Progress, p => p.Activity == "Save-EtcdSnapshot" && p.RecordType == ProgressRecordType.Completed);
        var csv = ((object[])summary.Get("Csv")!).Select(line => line.ToString()!).ToList();
        Assert.Contains("\"KeyCount\"", csv[0], StringComparison.Ordinal);
        Assert.Contains("\"HashKV\"", csv[0], StringComparison.Ordinal);
        Assert.Contains("piped.db", (string)summary.Get("Table")!, StringComparison.Ordinal);
        Assert.Equal(["piped.db"], _directory.GetFiles().Select(f => f.Name));
    }

    [Fact]
    public void AnExistingFileNeedsForceAndWhatIfWritesNothing()
    {
        using var session = fixture.NewSession();
        File.WriteAllText(InDirectory("existing.db"), "older backup");

        var refused = session.Invoke("Save-EtcdSnapshot -Path $args[0]", InDirectory("existing.db"));
        var whatIf = session.Invoke("Save-EtcdSnapshot -Path $args[0] -Force -WhatIf; Save-EtcdSnapshot -Path $args[1] -WhatIf", InDirectory("existing.db"), InDirectory("new.db"));

        Assert.Equal("EtcdSnapshotFileExists,EtcdTools.Commands.SaveEtcdSnapshotCommand", Assert.Single(refused.Errors).FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, refused.Errors[0].CategoryInfo.Category);
        whatIf.ThrowOnError();
        Assert.Empty(whatIf.Output);
        Assert.Equal("older backup", File.ReadAllText(InDirectory("existing.db")));
        Assert.Equal(["existing.db"], _directory.GetFiles().Select(f => f.Name));
    }

    [Fact]
    public void CtrlCWhileAMemberHangsLeavesNoFileAndNoTemporaryFile()
    {
        using var session = fixture.NewSession();
        var member = (string)session.Invoke("$sandbox.Members[2].Name").ThrowOnError().SingleValue()!;
        session.Invoke("$sandbox | Suspend-EtcdSandboxMember -Index 2 -Confirm:$false").ThrowOnError();
        try
        {
            using var shell = session.Create("Save-EtcdSnapshot -Path $args[0] -MemberId $args[1] -CommandTimeout 60", InDirectory("stopped.db"), member);
            var pending = shell.BeginInvoke();
            var started = Stopwatch.StartNew();
            // The temporary file is there once the request to the hung member is out.
            while (_directory.GetFiles("*.part").Length == 0 && started.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(10);
            Assert.Single(_directory.GetFiles("stopped.db.*.part"));
            Thread.Sleep(200);
            Assert.Equal(PSInvocationState.Running, shell.InvocationStateInfo.State);

            var stopping = Stopwatch.StartNew();
            shell.Stop();
            Assert.True(pending.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(1)), "Save-EtcdSnapshot did not stop within a second of Ctrl+C");
            Assert.Equal(PSInvocationState.Stopped, shell.InvocationStateInfo.State);
            // The cancelled work removes its file as it winds down.
            while (_directory.GetFileSystemInfos().Length > 0 && stopping.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(10);
            Assert.Empty(_directory.GetFileSystemInfos());
        }
        finally
        {
            session.Invoke("$sandbox | Resume-EtcdSandboxMember -Index 2 -Confirm:$false").ThrowOnError();
        }
    }

    [Fact]
    public void ABitFlippedCopyIsFalseWithItsReasonAndAnInvalidDataErrorForInfo()
    {
        using var session = fixture.NewSession();
        session.Invoke("Save-EtcdSnapshot -Path $args[0]", InDirectory("good.db")).ThrowOnError();
        var bytes = File.ReadAllBytes(InDirectory("good.db"));
        bytes[bytes.Length / 2] ^= 0x20;
        File.WriteAllBytes(InDirectory("flipped.db"), bytes);

        var result = session.Invoke("""
            [pscustomobject]@{
                Good = Test-EtcdSnapshot -Path $args[0]
                Flipped = Test-EtcdSnapshot -Path $args[1] -Verbose
                Failed = @(Test-EtcdSnapshot -Path $args[1] -Detailed | Where-Object Status -EQ Fail)
            }
            Get-EtcdSnapshotInfo -Path $args[1]
            """, InDirectory("good.db"), InDirectory("flipped.db"));

        var summary = Assert.Single(result.Output);
        Assert.True((bool)summary.Get("Good")!);
        Assert.False((bool)summary.Get("Flipped")!);
        var failed = ((object[])summary.Get("Failed")!).Cast<PSObject>().ToList();
        Assert.Contains(failed, f => (string)f.Get("Check")! == "Sha256" && ((string)f.Get("Message")!).Contains("changed after etcd wrote it", StringComparison.Ordinal));
        Assert.Contains(result.Verbose, v => v.Contains("Fail Sha256", StringComparison.Ordinal));
        var error = Assert.Single(result.Errors);
        Assert.Equal("EtcdSnapshotCorrupt,EtcdTools.Commands.GetEtcdSnapshotInfoCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Equal(InDirectory("flipped.db"), error.TargetObject);
    }

    [Fact]
    public void MissingFilesAreErrorsNotFalse()
    {
        using var session = fixture.NewSession();
        var result = session.Invoke("Test-EtcdSnapshot -Path $args[0]; Get-EtcdSnapshotInfo -LiteralPath $args[0]", InDirectory("missing.db"));

        Assert.Empty(result.Output);
        Assert.Equal(["PathNotFound,EtcdTools.Commands.TestEtcdSnapshotCommand", "PathNotFound,EtcdTools.Commands.GetEtcdSnapshotInfoCommand"],
            result.Errors.Select(e => e.FullyQualifiedErrorId));
    }

    [Fact]
    public void RestoreRefusesANonEmptyDirectoryThenASandboxFromTheSnapshotServesItsKeysAndHashKV()
    {
        using var session = fixture.NewSession();
        var prefix = $"/hosted-restore/{Guid.NewGuid():N}/";
        session.WriteKeys(prefix, 25);
        Directory.CreateDirectory(InDirectory("in-use"));
        File.WriteAllText(Path.Combine(InDirectory("in-use"), "member-data"), "keep");

        var result = session.Invoke("""
            $snapshot = Save-EtcdSnapshot -Path $args[0]
            # Nothing can be restored: the whole command ends.
            try { Restore-EtcdSnapshot -Path $snapshot.Path -Name etcd-0 -DataDirectory $args[1] -Confirm:$false; $refused = 'not refused' }
            catch { $refused = $_.FullyQualifiedErrorId }
            $planned = Restore-EtcdSnapshot -Path $snapshot.Path -Name etcd-0 -DataDirectory $args[2] -WhatIf
            $restored = Restore-EtcdSnapshot -Path $snapshot.Path -Member @{ Name = 'a'; PeerUrl = 'http://127.0.0.1:12380'; DataDirectory = $args[3] }, @{ Name = 'b'; PeerUrls = 'http://127.0.0.1:12390'; DataDirectory = $args[4] } -Confirm:$false
            $sandbox2 = Start-EtcdSandbox -Members 1 -FromSnapshot $snapshot.Path -Verbose
            try {
                [pscustomobject]@{
                    Refused = $refused; Planned = @($planned).Count; Restored = $restored
                    Info = Get-EtcdSnapshotInfo -Path $snapshot.Path; Verification = $sandbox2.RestoreVerification
                    Keys = Get-EtcdKey -Prefix $args[5] -CountOnly -Endpoint $sandbox2.Endpoint
                }
            }
            finally { $sandbox2 | Stop-EtcdSandbox -Confirm:$false }
            """, InDirectory("restore.db"), InDirectory("in-use"), InDirectory("planned"), InDirectory("a"), InDirectory("b"), prefix).ThrowOnError();

        var summary = Assert.Single(result.Output);
        Assert.Equal("EtcdDataDirectoryNotEmpty,EtcdTools.Commands.RestoreEtcdSnapshotCommand", summary.Get("Refused"));
        Assert.Equal(["member-data"], Directory.GetFiles(InDirectory("in-use")).Select(Path.GetFileName));
        Assert.Equal(0, summary.Get("Planned"));
        Assert.False(Directory.Exists(InDirectory("planned")));
        var restored = ((object[])summary.Get("Restored")!).Cast<PSObject>().ToList();
        Assert.Equal(["a", "b"], restored.Select(r => (string)r.Get("Name")!));
        Assert.All(restored, r => Assert.Equal("a=http://127.0.0.1:12380,b=http://127.0.0.1:12390", r.Get("InitialCluster")));
        Assert.True(File.Exists(Path.Combine(InDirectory("b"), "member", "snap", "db")));
        var info = PSObject.AsPSObject(summary.Properties["Info"].Value);
        var verification = PSObject.AsPSObject(summary.Properties["Verification"].Value);
        Assert.True((bool)verification.Get("Matches")!, (string)verification.Get("Message")!);
        Assert.Equal(info.Get("KeyCount"), verification.Get("KeyCount"));
        Assert.Equal(info.Get("HashKV"), verification.Get("HashKV"));
        Assert.Equal(25L, summary.Get("Keys"));
        Assert.Contains(result.Verbose, v => v.StartsWith("The restored cluster serves the snapshot's", StringComparison.Ordinal));
        session.Invoke("Remove-EtcdKey -Key $args[0] -Prefix -Confirm:$false", prefix).ThrowOnError();
    }

    [Fact]
    public void KeyspacePrefixesAndTopKeysReadAsTablesAndExportAsCsv()
    {
        using var session = fixture.NewSession();
        var prefix = $"/hosted-keyspace/{Guid.NewGuid():N}/";
        session.Invoke("""
            $prefix = $args[0]
            1..4 | ForEach-Object { Set-EtcdKey -Key "${prefix}small/$_" -Value ('s' * $_) -Confirm:$false }
            Set-EtcdKey -Key "${prefix}big/one" -Value ('b' * 5000) -Confirm:$false
            """, prefix).ThrowOnError();

        var result = session.Invoke("""
            $rows = Measure-EtcdKeyspace -Prefix $args[0] -Depth 3
            $largest = Measure-EtcdKeyspace -Prefix $args[0] -Report LargestKeys -Top 2
            [pscustomobject]@{
                Rows = $rows; Largest = $largest
                Table = ($rows | Out-String -Width 200); Csv = @($largest | ConvertTo-Csv -NoTypeInformation)
            }
            """, prefix).ThrowOnError();

        var summary = Assert.Single(result.Output);
        var rows = ((object[])summary.Get("Rows")!).Cast<PSObject>().ToList();
        Assert.Equal([prefix + "big/", prefix + "small/"], rows.Select(r => (string)r.Get("Prefix")!));
        Assert.Equal([1L, 4L], rows.Select(r => (long)r.Get("Keys")!));
        Assert.Equal(10L, rows[1].Get("ValueBytes"));
        var largest = ((object[])summary.Get("Largest")!).Cast<PSObject>().ToList();
        Assert.Equal([prefix + "big/one", prefix + "small/4"], largest.Select(k => (string)k.Get("Key")!));
        Assert.Contains("big/", (string)summary.Get("Table")!, StringComparison.Ordinal);
        Assert.Equal(3, ((object[])summary.Get("Csv")!).Length);
        session.Invoke("Remove-EtcdKey -Key $args[0] -Prefix -Confirm:$false", prefix).ThrowOnError();
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
