using System.Diagnostics;
using EtcdTools.Core.Tests.Fixtures;
using EtcdTools.Performance;

namespace EtcdTools.Core.Tests.Performance;

/// <summary>
/// The disk check on real directories: this machine's disk, and tmpfs mounts that are really full or
/// really read-only. Whether this disk passes is not asserted (it is the disk's business, not the
/// code's); that the verdict follows the numbers is. A slow disk made real by delaying fdatasync is
/// tested end to end in tests/Pester/LoadAndDisk.Tests.ps1, in a process of its own under strace.
/// </summary>
public sealed class DiskTestTests : IDisposable
{
    private const long OneMiB = 1024 * 1024;
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("etcdtools-disk-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task ARealDirectoryIsWrittenInWholeBlocksTimedAndLeftEmpty()
    {
        var test = new EtcdDiskTest(new EtcdDiskTestOptions { Directory = _directory.FullName, SizeBytes = OneMiB });

        var result = await test.RunAsync();

        Assert.Equal(455, result.Writes); // 1 MiB / 2300 bytes, rounded down as fio rounds
        Assert.Equal(455 * 2300, result.Bytes);
        Assert.Equal(2300, result.BlockSizeBytes);
        Assert.Equal("fdatasync", result.SyncMethod);
        Assert.Equal(_directory.FullName, result.Path);
        Assert.Equal(Environment.MachineName, result.ComputerName);
        Assert.True(result.SyncP50Ms > 0, $"p50 {result.SyncP50Ms}");
        Assert.True(result.SyncP50Ms <= result.SyncP90Ms && result.SyncP90Ms <= result.SyncP99Ms && result.SyncP99Ms <= result.SyncMaxMs,
            $"p50 {result.SyncP50Ms} p90 {result.SyncP90Ms} p99 {result.SyncP99Ms} max {result.SyncMaxMs}");
        Assert.InRange(result.SyncMeanMs, 0, result.SyncMaxMs);
        Assert.True(result.DurationMs >= result.SyncMeanMs * result.Writes, "the syncs are part of the duration");
        Assert.Equal(result.Writes / (result.DurationMs / 1000), result.WriteIops, 6);
        Assert.Equal(10, result.ThresholdMs);
        Assert.Equal(result.SyncP99Ms < 10, result.Passed);
        Assert.StartsWith(result.Passed ? "PASS" : "FAIL", result.Verdict, StringComparison.Ordinal);
        Assert.Empty(_directory.GetFileSystemInfos());
        Assert.Equal(test.BytesPlanned, test.GetProgress().BytesWritten);

        // findmnt, an independent reader of the mount table, names the same file system and device.
        var (fileSystem, source, target) = FindMount(_directory.FullName);
        Assert.Equal(fileSystem, result.FileSystem);
        Assert.Equal(source, result.Device);
        Assert.Equal(target, result.MountPoint);
    }

    [Fact]
    public async Task TheVerdictFollowsTheThresholdAndAFailSaysWhatToDo()
    {
        var strict = await new EtcdDiskTest(new EtcdDiskTestOptions { Directory = _directory.FullName, SizeBytes = 64 * 1024, Threshold = TimeSpan.FromTicks(1) }).RunAsync();
        Assert.False(strict.Passed);
        Assert.Equal(0.0001, strict.ThresholdMs, 9);
        Assert.StartsWith("FAIL: fdatasync p99 ", strict.Verdict, StringComparison.Ordinal);
        Assert.Contains("SSD or NVMe", strict.Recommendation, StringComparison.Ordinal);

        var lenient = await new EtcdDiskTest(new EtcdDiskTestOptions { Directory = _directory.FullName, SizeBytes = 64 * 1024, Threshold = TimeSpan.FromHours(1) }).RunAsync();
        Assert.True(lenient.Passed);
        Assert.StartsWith("PASS: fdatasync p99 ", lenient.Verdict, StringComparison.Ordinal);
        Assert.Equal("", lenient.Recommendation);
        Assert.Empty(_directory.GetFileSystemInfos());
    }

    [Fact]
    public async Task CancellingStopsTheWritesAndRemovesTheFile()
    {
        // More than this disk writes before the cancellation: 10,000 blocks of 2300 bytes, each synced.
        var test = new EtcdDiskTest(new EtcdDiskTestOptions { Directory = _directory.FullName, SizeBytes = 10_000L * 2300 * 10 });
        using var cancel = new CancellationTokenSource();
        var running = test.RunAsync(cancel.Token);
        while (test.GetProgress().BytesWritten == 0 && !running.IsCompleted) await Task.Delay(5);
        Assert.True(File.Exists(test.FilePath), "the test file exists while the check runs");
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.InRange(test.GetProgress().BytesWritten, 1, test.BytesPlanned - 1);
        Assert.False(File.Exists(test.FilePath));
        Assert.Empty(_directory.GetFileSystemInfos());
    }

    [Fact]
    public async Task AMissingDirectoryOrAFileIsAClearErrorAtOnce()
    {
        var missing = Path.Combine(_directory.FullName, "no-such-dir");
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => new EtcdDiskTest(new EtcdDiskTestOptions { Directory = missing }).RunAsync());
        Assert.Contains($"'{missing}' does not exist", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));

        var file = Path.Combine(_directory.FullName, "a-file");
        await File.WriteAllTextAsync(file, "x");
        var notDirectory = await Assert.ThrowsAsync<IOException>(() => new EtcdDiskTest(new EtcdDiskTestOptions { Directory = file }).RunAsync());
        Assert.Contains("is a file", notDirectory.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void SizesBelowOneBlockAndNonPositiveValuesAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new EtcdDiskTest(new EtcdDiskTestOptions { Directory = _directory.FullName, SizeBytes = 100 }));
        Assert.Throws<ArgumentException>(() => new EtcdDiskTest(new EtcdDiskTestOptions { Directory = _directory.FullName, BlockSize = 0 }));
        Assert.Throws<ArgumentException>(() => new EtcdDiskTest(new EtcdDiskTestOptions { Directory = _directory.FullName, Threshold = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => new EtcdDiskTest(new EtcdDiskTestOptions { Directory = " " }));
    }

    [Fact]
    public async Task AReadOnlyMountIsAClearErrorAtOnce()
    {
        using var readOnly = TinyFileSystem.Mount(OneMiB, readOnly: true);
        var error = await Assert.ThrowsAsync<IOException>(() => new EtcdDiskTest(new EtcdDiskTestOptions { Directory = readOnly.Directory }).RunAsync());
        Assert.Contains("read-only file system", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(readOnly.Directory));
    }

    [Fact]
    public async Task AFullDiskIsAClearErrorAndLeavesNothingBehind()
    {
        using var tiny = TinyFileSystem.Mount(OneMiB);
        var error = await Assert.ThrowsAsync<IOException>(() => new EtcdDiskTest(new EtcdDiskTestOptions { Directory = tiny.Directory }).RunAsync());
        Assert.True(EtcdDiskTest.IsDiskFull(error), error.ToString());
        Assert.Contains("is full: the check needs 22.0 MiB free", error.Message, StringComparison.Ordinal);
        Assert.Contains("tmpfs on " + tiny.Directory, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(tiny.Directory));
    }

    [Fact]
    public async Task MemoryIsNamedForWhatItIs()
    {
        using var tiny = TinyFileSystem.Mount(4 * OneMiB);
        var result = await new EtcdDiskTest(new EtcdDiskTestOptions { Directory = tiny.Directory, SizeBytes = OneMiB }).RunAsync();
        Assert.Equal("tmpfs", result.FileSystem);
        Assert.Equal(tiny.Directory, result.MountPoint);
        Assert.Null(result.Rotational);
        Assert.Contains("memory rather than a disk", result.Recommendation, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(tiny.Directory));
    }

    [Fact]
    public void MountInfoLinesAreParsedWithTheirEscapes()
    {
        var entry = MountTable.Parse(@"87 29 0:45 / /mnt/with\040space rw,relatime shared:44 - nfs4 server:/export\040dir rw,vers=4.2")!;
        Assert.Equal("/mnt/with space", entry.MountPoint);
        Assert.Equal("nfs4", entry.FileSystem);
        Assert.Equal("server:/export dir", entry.Device);
        Assert.Equal("0:45", entry.DeviceNumber);
        Assert.True(entry.IsNetwork);
        Assert.False(entry.IsMemory);
        Assert.Null(MountTable.Parse("not a mountinfo line"));
    }

    private static (string FileSystem, string Source, string Target) FindMount(string path)
    {
        var start = new ProcessStartInfo("findmnt") { RedirectStandardOutput = true };
        foreach (var argument in new[] { "-n", "-o", "FSTYPE,SOURCE,TARGET", "--target", path }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var fields = process.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        process.WaitForExit();
        return (fields[0], fields[1], fields[2]);
    }
}
