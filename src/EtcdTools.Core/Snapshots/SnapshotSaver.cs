using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using EtcdTools.Client;
using EtcdTools.Protocol;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Snapshots;

/// <summary>
/// Save-EtcdSnapshot's work: choose a member (a healthy follower unless one is named), stream its
/// snapshot into a temporary file beside the target, flush it to disk, check etcd's SHA-256, rename
/// it into place and flush the directory. Whatever goes wrong (the member dies, Ctrl+C, the disk
/// fills), the temporary file is removed and the target is left as it was.
/// </summary>
public static partial class SnapshotSaver
{
    /// <summary>The least time to wait for the next piece of the stream: a large backend can pause longer than a unary call's timeout.</summary>
    public static readonly TimeSpan MinimumIdleTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Snapshots hold every secret of the cluster: readable by the owner only, as etcdctl creates them.</summary>
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const int NoSpaceLeft = 28; // ENOSPC
    private const int DiskFull = 112; // ERROR_DISK_FULL

    /// <summary>
    /// The member to stream from: the one named by <paramref name="memberIdOrName"/> (hex ID or name),
    /// else the healthy follower with the highest applied index, sparing the leader; the leader only
    /// when no follower is healthy.
    /// </summary>
    public static async Task<SnapshotSource> ChooseMemberAsync(EtcdCluster cluster, string? memberIdOrName = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var (header, members) = await cluster.SelectMembersAsync(memberIdOrName is null ? null : [memberIdOrName], cancellationToken).ConfigureAwait(false);
        if (memberIdOrName is not null)
        {
            var named = members[0];
            var url = cluster.PreferredClientUrl(named) ?? throw new EtcdException(EtcdErrorKind.FailedPrecondition, GrpcStatusCode.FailedPrecondition,
                $"Member {MemberId.Format(named.ID)} has been added but has not started: it has no data to snapshot.");
            return new SnapshotSource(named.Name, named.ID, url, header.ClusterId, "named by -MemberId");
        }

        var answers = new List<(Member Member, Uri Url, StatusResponse Status)>();
        var failures = new List<string>();
        await foreach (var result in cluster.ForEachMemberAsync(members.Where(m => !m.IsLearner), (client, _, ct) => client.StatusAsync(cancellationToken: ct),
            cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (result.Error is not null || result.Value is null || result.Endpoint is null) failures.Add($"{NameOf(result.Member)}: {result.Error?.Message}");
            else if (result.Value.Leader == 0 || result.Value.Errors.Count > 0)
                failures.Add($"{NameOf(result.Member)}: {(result.Value.Leader == 0 ? "no leader" : string.Join("; ", result.Value.Errors))}");
            else answers.Add((result.Member, result.Endpoint, result.Value));
        }
        var order = members.Select(m => m.ID).ToList();
        var followers = answers.Where(a => a.Status.Leader != a.Member.ID).OrderByDescending(a => a.Status.RaftAppliedIndex).ThenBy(a => order.IndexOf(a.Member.ID)).ToList();
        if (followers.Count > 0)
            return new SnapshotSource(followers[0].Member.Name, followers[0].Member.ID, followers[0].Url, header.ClusterId,
                "a healthy follower (the leader is spared)");
        if (answers.Count > 0)
            return new SnapshotSource(answers[0].Member.Name, answers[0].Member.ID, answers[0].Url, header.ClusterId,
                members.Count(m => !m.IsLearner) == 1 ? "the only member" : "the leader: no follower was healthy");
        throw new EtcdException(EtcdErrorKind.Unavailable, GrpcStatusCode.Unavailable,
            $"No member is healthy enough to take a snapshot from: {string.Join("; ", failures)}. Name one with -MemberId to try it anyway.");
    }

    /// <summary>
    /// Streams <paramref name="source"/>'s snapshot to <paramref name="path"/> (see the class). An
    /// existing file is replaced only with <paramref name="overwrite"/>; the directory must exist.
    /// </summary>
    public static async Task<EtcdSnapshot> SaveAsync(EtcdCluster cluster, SnapshotSource source, string path, bool overwrite,
        IProgress<SnapshotProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(source);
        var target = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(target)!;
        CheckTarget(target, directory, overwrite);

        var clock = Stopwatch.StartNew();
        var temporary = System.IO.Path.Combine(directory, $"{System.IO.Path.GetFileName(target)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.part");
        var client = cluster.GetClient(source.EndpointUri);
        var idle = client.Settings.CommandTimeout > MinimumIdleTimeout ? client.Settings.CommandTimeout : MinimumIdleTimeout;
        FileStream? file = null;
        long written = 0;
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
            file = new FileStream(temporary, options);
            var handle = file.SafeFileHandle;
            var result = await client.SnapshotAsync(
                (blob, offset, _) =>
                {
                    // Straight from the receive buffer to the file at its offset: no copy, no allocation.
                    RandomAccess.Write(handle, blob.Span, offset);
                    written = offset + blob.Length;
                    return ValueTask.CompletedTask;
                },
                progress, idle,
                _ =>
                {
                    file.Flush(flushToDisk: true);
                    return ValueTask.CompletedTask;
                },
                cancellationToken).ConfigureAwait(false);
            await file.DisposeAsync().ConfigureAwait(false);
            file = null;

            var revision = SnapshotInspector.ReadRevision(temporary);
            File.Move(temporary, target, overwrite);
            FlushDirectory(directory);
            clock.Stop();
            return new EtcdSnapshot
            {
                Path = target,
                SizeBytes = result.Bytes,
                Revision = revision,
                Sha256 = result.Sha256,
                Member = source.Name,
                MemberId = source.MemberId,
                Endpoint = source.Endpoint,
                ClusterId = source.ClusterId,
                DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
                BytesPerSecond = Math.Round(result.Bytes / clock.Elapsed.TotalSeconds),
            };
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            throw new IOException($"The disk holding '{directory}' is full: {written} bytes of the snapshot were written before it ran out of space. "
                + "The partial file was removed; free space or choose another -Path.", e);
        }
        finally
        {
            if (file is not null) await file.DisposeAsync().ConfigureAwait(false);
            // On success the temporary file has become the target; otherwise nothing partial may stay.
            TryDelete(temporary);
        }
    }

    private static void CheckTarget(string target, string directory, bool overwrite)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"The directory '{directory}' does not exist: create it first, or choose another -Path.");
        if (Directory.Exists(target))
            throw new IOException($"'{target}' is a directory: give the snapshot's file name.");
        if (File.Exists(target) && !overwrite)
            throw new IOException($"'{target}' exists already: pass -Force to replace it, or choose another -Path.");
    }

    private static bool IsDiskFull(IOException e) => (e.HResult & 0xFFFF) is NoSpaceLeft or DiskFull;

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { /* best effort: the error that got us here is the one to report */ }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// fsync of the directory, so the rename itself survives a crash (as etcd does for its own
    /// files). POSIX only: Windows has no directory handles to flush.
    /// </summary>
    private static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        var descriptor = Posix.Open(directory, 0 /* O_RDONLY */);
        if (descriptor < 0) throw new IOException($"Could not open '{directory}' to flush it to disk: errno {Marshal.GetLastPInvokeError()}.");
        try
        {
            if (Posix.Fsync(descriptor) != 0)
                throw new IOException($"Could not flush '{directory}' to disk: errno {Marshal.GetLastPInvokeError()}.");
        }
        finally
        {
            _ = Posix.Close(descriptor);
        }
    }

    private static string NameOf(Member member) => member.Name.Length > 0 ? member.Name : MemberId.Format(member.ID);

    private static partial class Posix
    {
        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static partial int Fsync(int descriptor);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int descriptor);
    }
}
