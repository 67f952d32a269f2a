using System.Diagnostics;
using System.Management.Automation;
using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Pipelines;

/// <summary>
/// Test-EtcdDisk and Invoke-EtcdLoadTest in hosted PowerShell against the shared TLS sandbox and
/// real directories: output types, views, CSV, -Quiet, -WhatIf, the confirmation a High impact
/// asks for, refusals as errors with their ids, and Ctrl+C leaving nothing behind.
/// </summary>
[Collection(SandboxGroup.Name)]
public sealed class LoadAndDiskCmdletTests(SandboxFixture fixture) : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("etcdtools-hosted-disk-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void TestEtcdDiskWritesAResultThatRendersExportsAndBindsFromGetItem()
    {
        using var session = fixture.NewSession(connect: false);
        session.SetVariable("dir", _directory.FullName);
        var result = Assert.Single(session.Invoke("Get-Item $dir | Test-EtcdDisk -SizeBytes 256KB").ThrowOnError().Output);
        Assert.Equal("EtcdTools.Performance.EtcdDiskTestResult", result.BaseObject.GetType().FullName);
        Assert.Equal(_directory.FullName, result.Get<string>("Path"));
        Assert.Equal(113L, result.Get<long>("Writes"));
        Assert.Equal("fdatasync", result.Get<string>("SyncMethod"));
        session.SetVariable("result", result);

        var table = session.Invoke("$result | Out-String -Width 200").ThrowOnError().Text;
        Assert.Contains("p99 ms", table, StringComparison.Ordinal);
        Assert.Contains(result.Get<bool>("Passed") ? "PASS" : "FAIL", table, StringComparison.Ordinal);
        var list = session.Invoke("$result | Format-List | Out-String -Width 200").ThrowOnError().Text;
        Assert.Contains("113 writes of 2300 bytes, fdatasync after each", list, StringComparison.Ordinal);
        Assert.Contains("(threshold 10 ms)", list, StringComparison.Ordinal);

        var row = Assert.Single(session.Invoke("$result | ConvertTo-Csv -NoTypeInformation | ConvertFrom-Csv").ThrowOnError().Output);
        Assert.Equal("113", row.Get<string>("Writes"));
        Assert.Equal(result.Get<bool>("Passed").ToString(), row.Get<string>("Passed"));
        Assert.Empty(_directory.GetFileSystemInfos());
    }

    [Fact]
    public void TestEtcdDiskQuietGivesABooleanAndRelativePathsAreTheSessionsLocation()
    {
        using var session = fixture.NewSession(connect: false);
        session.SetVariable("dir", _directory.FullName);
        var quiet = session.Invoke("Set-Location $dir; Test-EtcdDisk . -SizeBytes 64KB -Threshold 1h -Quiet").ThrowOnError();
        Assert.True(Assert.IsType<bool>(quiet.SingleValue()));
        var strict = session.Invoke("Test-EtcdDisk . -SizeBytes 64KB -Threshold 0.000001 -Quiet").ThrowOnError();
        Assert.False(Assert.IsType<bool>(strict.SingleValue()));
        var full = session.Invoke("(Test-EtcdDisk . -SizeBytes 64KB).Path").ThrowOnError();
        Assert.Equal(_directory.FullName, full.SingleValue());
    }

    [Fact]
    public void TestEtcdDiskGivesEachBadPathItsOwnErrorAndGoesOn()
    {
        using var session = fixture.NewSession(connect: false);
        session.SetVariable("dir", _directory.FullName);
        var clock = Stopwatch.StartNew();
        var run = session.Invoke("Test-EtcdDisk -Path (Join-Path $dir missing), $dir -SizeBytes 64KB");
        var error = Assert.Single(run.Errors);
        Assert.Equal("PathNotFound,EtcdTools.Commands.TestEtcdDiskCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Contains("does not exist", error.Exception.Message, StringComparison.Ordinal);
        Assert.Single(run.Output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));

        var tooSmall = session.Invoke("Test-EtcdDisk -Path $dir -SizeBytes 100");
        Assert.Equal("InvalidArgument,EtcdTools.Commands.TestEtcdDiskCommand", Assert.Single(tooSmall.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void CtrlCStopsTheDiskCheckAndItsFileIsGoneWhenThePipelineEnds()
    {
        using var session = fixture.NewSession(connect: false);
        using var shell = session.Create("Test-EtcdDisk -Path $args[0] -SizeBytes 2GB", _directory.FullName);
        var pending = shell.BeginInvoke();
        var clock = Stopwatch.StartNew();
        while (!shell.Streams.Progress.Any(p => p.PercentComplete > 0 || p.StatusDescription.Contains("written", StringComparison.Ordinal)) && clock.Elapsed < TimeSpan.FromSeconds(20))
            Thread.Sleep(20);
        Assert.NotEmpty(_directory.GetFileSystemInfos());

        shell.Stop();

        Assert.True(pending.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(15)));
        Assert.Equal(PSInvocationState.Stopped, shell.InvocationStateInfo.State);
        Assert.Empty(_directory.GetFileSystemInfos());
    }

    [Fact]
    public void InvokeEtcdLoadTestWritesAResultThatRendersAndExportsAndLeavesNoKeys()
    {
        using var session = fixture.NewSession();
        var run = session.Invoke("Invoke-EtcdLoadTest -Rate 30 -Clients 3 -Duration 2s -Confirm:$false -Verbose").ThrowOnError();
        var result = Assert.Single(run.Output);
        Assert.Equal("EtcdTools.Performance.EtcdLoadTestResult", result.BaseObject.GetType().FullName);
        Assert.Equal("custom", result.Get<string>("Load"));
        Assert.Equal(30, result.Get<int>("TargetRate"));
        Assert.Equal(0L, result.Get<long>("Errors"));
        Assert.True(result.Get<long>("Succeeded") > 0);
        Assert.Contains(run.Verbose, v => v.Contains("Performing the operation \"Run a load test, custom load: 30 puts/s from 3 clients for 2s", StringComparison.Ordinal));
        Assert.Contains(run.Verbose, v => v.StartsWith("The keys are deleted;", StringComparison.Ordinal));
        Assert.Contains(run.Progress, p => p.Activity == "Invoke-EtcdLoadTest" && p.RecordType == ProgressRecordType.Completed);
        session.SetVariable("result", result);
        Assert.Equal(0L, session.Invoke("Get-EtcdKey -Prefix $result.Prefix -CountOnly").ThrowOnError().SingleValue());

        var list = session.Invoke("$result | Out-String -Width 200").ThrowOnError().Text;
        Assert.Contains("Throughput", list, StringComparison.Ordinal);
        Assert.Contains("custom: 30 puts/s from 3 clients for 2 s, 256-byte keys, 1024-byte values", list, StringComparison.Ordinal);
        Assert.Contains("not compacted", list, StringComparison.Ordinal);
        var table = session.Invoke("$result | Format-Table | Out-String -Width 200").ThrowOnError().Text;
        Assert.Contains("Writes/s", table, StringComparison.Ordinal);
        var row = Assert.Single(session.Invoke("$result | ConvertTo-Csv -NoTypeInformation | ConvertFrom-Csv").ThrowOnError().Output);
        Assert.Equal(result.Get<long>("Requests").ToString(System.Globalization.CultureInfo.InvariantCulture), row.Get<string>("Requests"));
        Assert.Equal(result.Get<string>("Verdict"), row.Get<string>("Verdict"));
    }

    [Fact]
    public void InvokeEtcdLoadTestAsksBeforeLoadingAndWhatIfWritesNothing()
    {
        using var session = fixture.NewSession();
        Assert.Equal("High", session.Invoke("(Get-Command Invoke-EtcdLoadTest).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false).ConfirmImpact.ToString()").ThrowOnError().SingleValue());
        // A marker written before and after: with nothing written in between, its second revision follows its first.
        var marker = $"/hosted-marker/{Guid.NewGuid():N}";
        session.Invoke("Set-EtcdKey -Key $args[0] -Value before -Confirm:$false", marker).ThrowOnError();

        // $ConfirmPreference is High: the cmdlet must ask, and a host that cannot ask gets an error, not a load.
        var unconfirmed = session.Invoke("Invoke-EtcdLoadTest -Rate 10 -Clients 1 -Duration 1s");
        Assert.True(unconfirmed.HadErrors);
        Assert.Empty(unconfirmed.Output);
        var whatIf = session.Invoke("Invoke-EtcdLoadTest -Load m -WhatIf").ThrowOnError();
        Assert.Empty(whatIf.Output);

        session.Invoke("Set-EtcdKey -Key $args[0] -Value after -Confirm:$false", marker).ThrowOnError();
        var revisions = Assert.Single(session.Invoke("Get-EtcdKey -Key $args[0]", marker).ThrowOnError().Output);
        Assert.Equal(revisions.Get<long>("CreateRevision") + 1, revisions.Get<long>("ModRevision"));
        session.Invoke("Remove-EtcdKey -Key $args[0] -Confirm:$false", marker).ThrowOnError();
        Assert.Equal(0L, session.Invoke("Get-EtcdKey -Prefix /etcdtools-loadtest/ -CountOnly").ThrowOnError().SingleValue());
    }

    [Fact]
    public void AnOccupiedPrefixIsRefusedWithItsErrorId()
    {
        using var session = fixture.NewSession();
        var prefix = $"/hosted-occupied/{Guid.NewGuid():N}/";
        session.Invoke("Set-EtcdKey -Key ($args[0] + 'keep') -Value v -Confirm:$false", prefix).ThrowOnError();

        var refused = session.Invoke("Invoke-EtcdLoadTest -Prefix $args[0] -Duration 1s -Confirm:$false", prefix);

        var error = Assert.Single(refused.Errors);
        Assert.Equal("EtcdLoadTestRefused,EtcdTools.Commands.InvokeEtcdLoadTestCommand", error.FullyQualifiedErrorId);
        Assert.Contains($"The prefix '{prefix}' holds 1 key(s) already", error.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(refused.Output);
        Assert.Equal(1L, session.Invoke("Get-EtcdKey -Prefix $args[0] -CountOnly", prefix).ThrowOnError().SingleValue());
        session.Invoke("Remove-EtcdKey -Key $args[0] -Prefix -Confirm:$false", prefix).ThrowOnError();

        var badSize = session.Invoke("Invoke-EtcdLoadTest -KeySize 4 -Confirm:$false");
        Assert.StartsWith("ParameterArgumentValidationError", Assert.Single(badSize.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    [Fact]
    public void CtrlCStopsTheLoadAndTheKeysAreGoneWhenThePipelineEnds()
    {
        using var session = fixture.NewSession();
        var prefix = $"/hosted-stop/{Guid.NewGuid():N}/";
        using var shell = session.Create("Invoke-EtcdLoadTest -Prefix $args[0] -Rate 40 -Clients 4 -Duration 10m -Confirm:$false", prefix);
        var pending = shell.BeginInvoke();
        using var watcher = fixture.NewSession();
        var clock = Stopwatch.StartNew();
        while ((long)watcher.Invoke("Get-EtcdKey -Prefix $args[0] -CountOnly", prefix).ThrowOnError().SingleValue()! < 20 && clock.Elapsed < TimeSpan.FromSeconds(30))
            Thread.Sleep(100);

        var stopping = Stopwatch.StartNew();
        shell.Stop();

        Assert.True(pending.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(35)));
        Assert.Equal(PSInvocationState.Stopped, shell.InvocationStateInfo.State);
        Assert.Equal(0L, watcher.Invoke("Get-EtcdKey -Prefix $args[0] -CountOnly", prefix).ThrowOnError().SingleValue());
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(35), $"Stop took {stopping.Elapsed}");
    }
}
