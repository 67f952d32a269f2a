using System.Diagnostics;
using System.Security.Cryptography;

namespace EtcdTools.Snapshots;

/// <summary>One member to restore: its name, peer URLs and the data directory to create.</summary>
public sealed record SnapshotRestoreMember(string Name, IReadOnlyList<string> PeerUrls, string DataDirectory)
{
    /// <summary>"name=url,name=url": this member's part of --initial-cluster.</summary>
    public string InitialClusterEntry => string.Join(",", PeerUrls.Select(url => $"{Name}={url}"));
}

/// <summary>The official restore tool found: etcdutl, or etcdctl before 3.6 (snapshot restore with ETCDCTL_API=3).</summary>
public sealed class SnapshotRestoreTool
{
    internal SnapshotRestoreTool(string path, string name, string version)
    {
        Path = path;
        Name = name;
        Version = version;
    }

    public string Path { get; }

    /// <summary>etcdutl or etcdctl.</summary>
    public string Name { get; }

    public string Version { get; }

    public override string ToString() => $"{Name} {Version} ({Path})";
}

/// <summary>
/// Restore-EtcdSnapshot's work, driven through etcd's own tool rather than re-implemented:
/// `etcdutl snapshot restore` (or etcdctl 3.4/3.5's `snapshot restore`) with the flags each member
/// needs, after the snapshot passed every check of Test-EtcdSnapshot, into a data directory that
/// does not exist or is empty (never over data).
/// </summary>
public static class SnapshotRestorer
{
    public const string DefaultClusterToken = "etcd-cluster";

    private static readonly TimeSpan ToolLimit = TimeSpan.FromMinutes(30);

    /// <summary>Looked for on PATH in this order: etcdutl is the tool of etcd 3.5 and later.</summary>
    private static readonly string[] ToolNames = ["etcdutl", "etcdctl"];

    /// <summary>
    /// The restore tool: <paramref name="path"/> when given (etcdutl or etcdctl), else etcdutl on PATH,
    /// else etcdctl on PATH when it still has snapshot restore (before 3.6).
    /// </summary>
    /// <exception cref="FileNotFoundException">No usable tool, with where to get one.</exception>
    public static SnapshotRestoreTool LocateTool(string? path = null)
    {
        const string hint = "Install etcdutl (etcd 3.5 and later: in the release tarball from https://github.com/etcd-io/etcd/releases) or etcdctl 3.4/3.5 "
            + "('apt-get install etcd-client' on Debian/Ubuntu), or pass its path with -EtcdutlPath.";
        var candidates = path is not null ? [System.IO.Path.GetFullPath(path)] : ToolNames.Select(FindOnPath).OfType<string>().ToList();
        if (path is not null && !File.Exists(candidates[0]))
            throw new FileNotFoundException($"The restore tool '{candidates[0]}' does not exist. {hint}", candidates[0]);
        var refused = new List<string>();
        foreach (var candidate in candidates)
        {
            var (name, version) = ReadVersion(candidate);
            if (name == "etcdutl" || (name == "etcdctl" && System.Version.TryParse(version, out var v) && v < new Version(3, 6)))
                return new SnapshotRestoreTool(candidate, name, version);
            refused.Add(name is null ? $"'{candidate}' is neither etcdutl nor etcdctl" : $"{name} {version} at '{candidate}' has no snapshot restore (etcdctl 3.6 moved it to etcdutl)");
        }
        throw new FileNotFoundException(refused.Count == 0 ? $"Neither etcdutl nor etcdctl was found on PATH. {hint}" : $"{string.Join("; ", refused)}. {hint}", path ?? "etcdutl");
    }

    /// <summary>--initial-cluster for <paramref name="members"/>.</summary>
    public static string InitialCluster(IEnumerable<SnapshotRestoreMember> members) => string.Join(",", members.Select(m => m.InitialClusterEntry));

    /// <summary>Why <paramref name="dataDirectory"/> cannot take a restore, or null: it must not exist, or be empty.</summary>
    public static string? CheckDataDirectory(string dataDirectory)
    {
        if (File.Exists(dataDirectory)) return $"'{dataDirectory}' is a file, not a data directory";
        if (Directory.Exists(dataDirectory) && Directory.EnumerateFileSystemEntries(dataDirectory).Any())
            return $"the data directory '{dataDirectory}' is not empty: a restore never writes over data. Move it aside (it may be a member's only copy) or choose another directory";
        return null;
    }

    /// <summary>
    /// Restores <paramref name="snapshotPath"/> (already checked: <paramref name="info"/>) as
    /// <paramref name="member"/> of the cluster <paramref name="initialCluster"/>. An existing empty
    /// data directory keeps its owner and mode: the tool restores beside it and the result is moved in.
    /// </summary>
    public static async Task<EtcdSnapshotRestore> RestoreAsync(SnapshotRestoreTool tool, string snapshotPath, EtcdSnapshotInfo info, SnapshotRestoreMember member,
        string initialCluster, string clusterToken, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(member);
        var dataDirectory = System.IO.Path.GetFullPath(member.DataDirectory);
        if (CheckDataDirectory(dataDirectory) is { } problem) throw new IOException(problem + ".");
        var clock = Stopwatch.StartNew();
        var existing = Directory.Exists(dataDirectory);
        var restoreInto = existing ? $"{dataDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar)}.restore-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}" : dataDirectory;
        var arguments = new List<string>
        {
            "snapshot", "restore", snapshotPath,
            "--name=" + member.Name,
            "--initial-cluster=" + initialCluster,
            "--initial-cluster-token=" + clusterToken,
            "--initial-advertise-peer-urls=" + string.Join(",", member.PeerUrls),
            "--data-dir=" + restoreInto,
        };
        // A member's db file has no SHA-256 to check (etcdutl refuses without this flag); its pages were checked instead.
        if (!info.HasSha256) arguments.Add("--skip-hash-check");
        try
        {
            await RunAsync(tool, arguments, cancellationToken).ConfigureAwait(false);
            if (existing)
            {
                foreach (var entry in Directory.EnumerateFileSystemEntries(restoreInto))
                    Directory.Move(entry, System.IO.Path.Combine(dataDirectory, System.IO.Path.GetFileName(entry)));
                Directory.Delete(restoreInto);
            }
        }
        catch
        {
            // Nothing half-restored stays behind: the tool's directory, or what was moved into the empty one.
            if (existing)
            {
                TryDelete(restoreInto);
                foreach (var entry in Directory.EnumerateFileSystemEntries(dataDirectory)) TryDelete(entry);
            }
            else
            {
                TryDelete(dataDirectory);
            }
            throw;
        }
        return new EtcdSnapshotRestore
        {
            Name = member.Name,
            DataDirectory = dataDirectory,
            PeerUrls = string.Join(",", member.PeerUrls),
            InitialCluster = initialCluster,
            InitialClusterToken = clusterToken,
            SnapshotPath = snapshotPath,
            Revision = info.Revision,
            KeyCount = info.KeyCount,
            HashKV = info.HashKV,
            Tool = tool.ToString(),
            DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
        };
    }

    private static async Task RunAsync(SnapshotRestoreTool tool, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = Start(tool.Path, arguments);
        if (tool.Name == "etcdctl") start.Environment["ETCDCTL_API"] = "3";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ToolLimit);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{tool} snapshot restore ran longer than {ToolLimit.TotalMinutes} minutes and was stopped.");
        }
        if (process.ExitCode != 0)
        {
            var text = string.Join(" ", new[] { (await error.ConfigureAwait(false)).Trim(), (await output.ConfigureAwait(false)).Trim() }.Where(t => t.Length > 0));
            throw new EtcdSnapshotRestoreException($"{tool.Name} snapshot restore failed (exit code {process.ExitCode}): {LastLines(text)}");
        }
    }

    private static (string? Name, string Version) ReadVersion(string path)
    {
        try
        {
            using var process = Process.Start(Start(path, ["version"]));
            if (process is null) return (null, "");
            var text = process.StandardOutput.ReadToEnd();
            process.WaitForExit(10_000);
            // "etcdutl version: 3.5.9" or "etcdctl version: 3.4.23" on the first line.
            var first = text.Split('\n')[0];
            var colon = first.IndexOf(" version:", StringComparison.Ordinal);
            return colon <= 0 ? (null, "") : (first[..colon].Trim(), first[(colon + 9)..].Trim());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, "");
        }
    }

    /// <summary>The tool's process: no ETCDCTL_* of the user's (etcdctl 3.4 refuses a variable and a flag for the same option).</summary>
    private static ProcessStartInfo Start(string path, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ETCDCTL_", StringComparison.Ordinal) || k.StartsWith("ETCDUTL_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        return start;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => System.IO.Path.Combine(directory, name)).FirstOrDefault(File.Exists);

    private static string LastLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" | ", lines.TakeLast(5));
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        catch (IOException) { /* the restore's own error is the one to report */ }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>The restore tool refused or failed; the message carries its own words.</summary>
public sealed class EtcdSnapshotRestoreException(string message) : Exception(message);
