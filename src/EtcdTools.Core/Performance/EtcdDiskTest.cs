using System.Diagnostics;
using System.Globalization;
using EtcdTools.Health;
using Microsoft.Win32.SafeHandles;

namespace EtcdTools.Performance;

/// <summary>What the disk check writes and the latency it must stay under.</summary>
public sealed record EtcdDiskTestOptions
{
    /// <summary>22 MiB, as etcd's documentation runs fio (--size=22m).</summary>
    public const long DefaultSizeBytes = 22L * 1024 * 1024;

    /// <summary>2300 bytes, about the size of one WAL entry of a Kubernetes cluster (fio --bs=2300).</summary>
    public const int DefaultBlockSize = 2300;

    /// <summary>etcd's documentation: the 99th percentile of fdatasync should be under 10 ms.</summary>
    public static readonly TimeSpan DefaultThreshold = TimeSpan.FromMilliseconds(10);

    public required string Directory { get; init; }
    public long SizeBytes { get; init; } = DefaultSizeBytes;
    public int BlockSize { get; init; } = DefaultBlockSize;
    public TimeSpan Threshold { get; init; } = DefaultThreshold;
}

/// <summary>How far a disk check is.</summary>
public readonly record struct EtcdDiskTestProgress(long BytesWritten, long BytesTotal, TimeSpan Elapsed);

/// <summary>
/// The disk check etcd's documentation recommends, what
/// <c>fio --rw=write --ioengine=sync --fdatasync=1 --size=22m --bs=2300</c> does: a fresh file,
/// laid out with fallocate as fio (and etcd's WAL) lays it out, written sequentially in small
/// blocks with fdatasync after each, timing every fdatasync. The file is removed afterwards,
/// whether the check ends, fails or is cancelled. The writes run on a thread of their own: the
/// check waits on the disk, not the CPU.
/// </summary>
public sealed class EtcdDiskTest
{
    private readonly long _writesPlanned;
    private long _writesDone;
    private long _startedAt;

    public EtcdDiskTest(EtcdDiskTestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Directory)) throw new ArgumentException("Give the directory to test: the one etcd keeps its data in (--data-dir), or one on the same disk.", nameof(options));
        if (options.BlockSize <= 0) throw new ArgumentException($"The block size must be positive, not {options.BlockSize}.", nameof(options));
        if (options.SizeBytes < options.BlockSize)
            throw new ArgumentException($"The size ({options.SizeBytes} bytes) must be at least one block ({options.BlockSize} bytes).", nameof(options));
        if (options.Threshold <= TimeSpan.Zero) throw new ArgumentException("The threshold must be positive.", nameof(options));
        Options = options;
        _writesPlanned = options.SizeBytes / options.BlockSize;
    }

    public EtcdDiskTestOptions Options { get; }

    /// <summary>The bytes the check writes: the size rounded down to whole blocks, as fio does.</summary>
    public long BytesPlanned => _writesPlanned * Options.BlockSize;

    /// <summary>The test file while the check runs (tests watch it go); null before.</summary>
    public string? FilePath { get; private set; }

    /// <summary>Safe to call from any thread while the check runs.</summary>
    public EtcdDiskTestProgress GetProgress()
    {
        var started = Volatile.Read(ref _startedAt);
        return new EtcdDiskTestProgress(Volatile.Read(ref _writesDone) * Options.BlockSize, BytesPlanned,
            started == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(started));
    }

    /// <summary>True for the failure of a disk (or quota) that is full, as this check reports it or as the system did.</summary>
    public static bool IsDiskFull(Exception exception) =>
        exception is IOException { HResult: FileSync.NoSpace or FileSync.QuotaExceeded } || exception.InnerException is IOException { HResult: FileSync.NoSpace or FileSync.QuotaExceeded };

    public async Task<EtcdDiskTestResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var directory = System.IO.Path.GetFullPath(Options.Directory);
        if (!Directory.Exists(directory))
            throw File.Exists(directory)
                ? new IOException($"'{directory}' is a file: give the directory to test, such as etcd's --data-dir or one on the same disk.")
                : new DirectoryNotFoundException($"The directory '{directory}' does not exist: give the directory etcd keeps its data in (--data-dir), or one on the same disk.");
        var mount = MountTable.Find(directory);
        // The blocking writes and syncs get a thread of their own rather than a thread-pool thread.
        return await Task.Factory.StartNew(() => Measure(directory, mount, cancellationToken), cancellationToken,
            TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }

    private EtcdDiskTestResult Measure(string directory, MountEntry? mount, CancellationToken cancellationToken)
    {
        var file = System.IO.Path.Combine(directory, $".etcdtools-disk-test-{Guid.NewGuid():N}");
        var handle = Create(file, directory);
        FilePath = file;
        try
        {
            double[] latencies;
            double elapsedMs;
            using (handle)
            {
                using var fallback = OperatingSystem.IsLinux() ? null : new FileStream(handle, FileAccess.Write, 0);
                Preallocate(handle, directory, mount);
                var block = new byte[Options.BlockSize];
                Random.Shared.NextBytes(block);
                latencies = new double[_writesPlanned];
                var toMs = 1000.0 / Stopwatch.Frequency;
                var started = Stopwatch.GetTimestamp();
                Volatile.Write(ref _startedAt, started);
                for (long i = 0; i < _writesPlanned; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    RandomAccess.Write(handle, block, i * Options.BlockSize);
                    var before = Stopwatch.GetTimestamp();
                    FileSync.Sync(handle, fallback);
                    latencies[i] = (Stopwatch.GetTimestamp() - before) * toMs;
                    Volatile.Write(ref _writesDone, i + 1);
                }
                elapsedMs = (Stopwatch.GetTimestamp() - started) * toMs;
            }
            return Judge(directory, mount, LatencyStatistics.Of(latencies), elapsedMs);
        }
        catch (IOException e) when (IsDiskFull(e) && e.InnerException is null)
        {
            throw DiskFull(directory, mount, e);
        }
        finally
        {
            handle.Dispose();
            TryDelete(file);
        }
    }

    private SafeFileHandle Create(string file, string directory)
    {
        try
        {
            return File.OpenHandle(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"Cannot create a file in '{directory}': permission denied. Run the check as a user who may write there (etcd's own user, or root), or test another directory on the same disk.", e);
        }
        catch (IOException e) when (e.HResult == FileSync.ReadOnlyFileSystem)
        {
            throw new IOException($"'{directory}' is on a read-only file system: nothing can be written there, and neither could etcd. Test the directory etcd writes to.", e);
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            throw DiskFull(directory, MountTable.Find(directory), e);
        }
    }

    private void Preallocate(SafeFileHandle handle, string directory, MountEntry? mount)
    {
        try
        {
            FileSync.Preallocate(handle, BytesPlanned);
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            throw DiskFull(directory, mount, e);
        }
    }

    private IOException DiskFull(string directory, MountEntry? mount, IOException inner)
    {
        var free = FreeBytes(mount);
        var where = mount is null ? $"'{directory}'" : $"'{directory}' ({mount.Device} on {mount.MountPoint})";
        return new IOException(
            $"The disk of {where} is full: the check needs {ByteSize.Format(BytesPlanned)} free{(free is { } f ? $" and {ByteSize.Format(f)} are" : "")}. Nothing was left behind. " +
            "Free space first: etcd on a full disk fails its writes too.", inner);
    }

    private static long? FreeBytes(MountEntry? mount)
    {
        if (mount is null) return null;
        try { return new DriveInfo(mount.MountPoint).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return null; }
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* the directory went away or turned read-only: nothing to remove */ }
    }

    private EtcdDiskTestResult Judge(string directory, MountEntry? mount, LatencyStatistics sync, double elapsedMs)
    {
        var threshold = Options.Threshold.TotalMilliseconds;
        var passed = sync.P99Ms < threshold;
        var rotational = mount is null ? null : MountTable.IsRotational(mount);
        var p99 = Ms(sync.P99Ms);
        var verdict = passed
            ? $"PASS: {FileSync.Method} p99 {p99} is under {Ms(threshold)}: this disk keeps up with etcd's WAL."
            : $"FAIL: {FileSync.Method} p99 {p99} is over {Ms(threshold)}: etcd on this disk commits slowly; expect 'slow fdatasync' warnings, slow requests and leader elections under load.";
        return new EtcdDiskTestResult
        {
            ComputerName = Environment.MachineName,
            Path = directory,
            FileSystem = mount?.FileSystem ?? "",
            Device = mount?.Device ?? "",
            MountPoint = mount?.MountPoint ?? "",
            Rotational = rotational,
            SyncMethod = FileSync.Method,
            BlockSizeBytes = Options.BlockSize,
            Bytes = BytesPlanned,
            Writes = _writesPlanned,
            DurationMs = elapsedMs,
            WriteIops = elapsedMs > 0 ? _writesPlanned / (elapsedMs / 1000) : 0,
            SyncP50Ms = sync.P50Ms,
            SyncP90Ms = sync.P90Ms,
            SyncP99Ms = sync.P99Ms,
            SyncMaxMs = sync.MaxMs,
            SyncMeanMs = sync.MeanMs,
            ThresholdMs = threshold,
            Passed = passed,
            Verdict = verdict,
            Recommendation = Recommend(passed, mount, rotational),
        };
    }

    private static string Recommend(bool passed, MountEntry? mount, bool? rotational)
    {
        var notes = new List<string>();
        if (mount is { IsMemory: true })
            notes.Add($"{mount.MountPoint} is {mount.FileSystem}, memory rather than a disk: its syncs cost nothing and its data is gone on reboot, so this result says nothing about a disk etcd could use. Test the disk etcd's --data-dir is on.");
        if (mount is { IsNetwork: true })
            notes.Add($"{mount.MountPoint} is {mount.FileSystem}, a network file system: every sync crosses the network, and etcd's documentation advises against it. Use a local disk.");
        if (!passed)
        {
            if (rotational == true)
                notes.Add($"The kernel reports {mount!.Device} as rotational (a spinning disk, or a virtual disk that does not say otherwise).");
            notes.Add("Give etcd a dedicated local SSD or NVMe disk (at least for its WAL, --wal-dir); avoid network and shared block storage, " +
                "and disks shared with busy neighbours (container images, logs, other databases). On cloud VMs use a disk class with provisioned IOPS. " +
                "Run the check again when the disk is otherwise idle to tell a slow disk from a busy one.");
        }
        return string.Join(" ", notes);
    }

    private static string Ms(double value) => value.ToString(value < 10 ? "0.###" : "0.#", CultureInfo.InvariantCulture) + " ms";
}
