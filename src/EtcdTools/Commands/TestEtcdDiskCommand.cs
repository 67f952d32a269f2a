using System.Globalization;
using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Performance;

namespace EtcdTools.Commands;

/// <summary>
/// The disk check etcd's documentation recommends, without fio: sequential 2300-byte writes to a
/// fresh file in the directory, fdatasync after each, 22 MiB in all; reports the fdatasync latency
/// percentiles and whether p99 is under 10 ms. It writes a result object by default, since the
/// numbers are the point; -Quiet gives only the Boolean, as Test-Connection -Quiet does. It talks
/// to no etcd: run it on each member's host, on the disk of etcd's --data-dir.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "EtcdDisk")]
[OutputType(typeof(EtcdDiskTestResult), typeof(bool))]
public sealed class TestEtcdDiskCommand : EtcdToolsCmdlet
{
    /// <summary>Waiting for a check cut short by Ctrl+C to remove its file: at most one slow fdatasync.</summary>
    private static readonly TimeSpan RemovalWait = TimeSpan.FromSeconds(10);

    private Task? _running;

    /// <summary>Directories to test (each is one check); relative to the current location, not expanded as wildcards.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Bytes to write: 22 MiB by default, as etcd's documentation runs fio.</summary>
    [Parameter]
    [ValidateRange(1L, 1L << 40)]
    public long SizeBytes { get; set; } = EtcdDiskTestOptions.DefaultSizeBytes;

    /// <summary>Bytes per write: 2300 by default, about one WAL entry of a Kubernetes cluster.</summary>
    [Parameter]
    [ValidateRange(1, 16 * 1024 * 1024)]
    public int BlockSize { get; set; } = EtcdDiskTestOptions.DefaultBlockSize;

    /// <summary>The fdatasync p99 the disk must stay under: 10 ms by default.</summary>
    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan Threshold { get; set; } = EtcdDiskTestOptions.DefaultThreshold;

    /// <summary>Write only $true or $false (passed or not).</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void BeginProcessing()
    {
        if (SizeBytes < BlockSize)
            ThrowTerminatingError(EtcdErrorRecords.Create(new ArgumentException($"-SizeBytes ({SizeBytes}) must be at least one block (-BlockSize {BlockSize})."),
                "InvalidArgument", ErrorCategory.InvalidArgument, SizeBytes));
    }

    protected override void ProcessRecord()
    {
        foreach (var path in Path)
        {
            var directory = ResolvePath(path);
            var test = new EtcdDiskTest(new EtcdDiskTestOptions { Directory = directory, SizeBytes = SizeBytes, BlockSize = BlockSize, Threshold = Threshold });
            var quiet = Quiet.IsPresent;
            Run(async (output, ct) =>
            {
                var running = test.RunAsync(ct);
                _running = running;
                var progress = new ProgressRecord(1, "Test-EtcdDisk", $"Writing {FormatBytes(test.BytesPlanned)} to {directory}, fdatasync after each {BlockSize}-byte write");
                while (!running.IsCompleted)
                {
                    await Task.WhenAny(running, Task.Delay(250, ct)).ConfigureAwait(false);
                    var now = test.GetProgress();
                    progress.PercentComplete = (int)(100 * now.BytesWritten / Math.Max(1, now.BytesTotal));
                    var seconds = now.Elapsed.TotalSeconds;
                    if (now.BytesWritten > 0 && seconds > 0)
                    {
                        var writes = now.BytesWritten / BlockSize / seconds;
                        progress.StatusDescription = string.Create(CultureInfo.InvariantCulture,
                            $"{FormatBytes(now.BytesWritten)} of {FormatBytes(now.BytesTotal)} written to {directory}, {writes:0} writes/s");
                        progress.SecondsRemaining = (int)((now.BytesTotal - now.BytesWritten) / BlockSize / Math.Max(1, writes));
                    }
                    await output.WriteProgressAsync(progress);
                }
                EtcdDiskTestResult result;
                try
                {
                    result = await running.ConfigureAwait(false);
                }
                catch (IOException e) when (EtcdDiskTest.IsDiskFull(e))
                {
                    await output.WriteErrorAsync(EtcdErrorRecords.Create(e, "EtcdDiskFull", ErrorCategory.LimitsExceeded, path));
                    return;
                }
                progress.RecordType = ProgressRecordType.Completed;
                await output.WriteProgressAsync(progress);
                await output.WriteVerboseAsync($"{result.Verdict} {result.Recommendation}".TrimEnd());
                await output.WriteObjectAsync(quiet ? result.Passed : result);
            }, path);
        }
    }

    private static string FormatBytes(long bytes) => (bytes / 1024.0 / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";

    protected override void Dispose(bool disposing)
    {
        // After Ctrl+C the pipeline moves on within a second; the file is removed when the write
        // or sync in flight returns, which this waits for (briefly) so it is gone when the prompt is back.
        if (disposing && _running is { IsCompleted: false } running)
        {
            try { running.Wait(RemovalWait); }
            catch (AggregateException) { /* cancelled or failed: reported already, or nobody is listening */ }
        }
        base.Dispose(disposing);
    }
}
