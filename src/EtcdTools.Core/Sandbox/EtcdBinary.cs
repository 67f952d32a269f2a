namespace EtcdTools.Sandbox;

/// <summary>Finds the etcd server binary a sandbox runs.</summary>
public static class EtcdBinary
{
    public const string ExecutableName = "etcd";

    /// <summary>How to get an etcd binary; part of every <see cref="EtcdBinaryNotFoundException"/> message.</summary>
    public const string InstallHint =
        "Install etcd: on Debian/Ubuntu 'apt-get install etcd-server'; elsewhere unpack a release tarball from " +
        "https://github.com/etcd-io/etcd/releases and put 'etcd' on PATH, or pass its path with -EtcdPath.";

    /// <summary>
    /// The full path of the etcd binary: <paramref name="etcdPath"/> when given (a file, or a directory
    /// holding <c>etcd</c>), else the first executable <c>etcd</c> on PATH.
    /// </summary>
    /// <exception cref="EtcdBinaryNotFoundException">No such binary, with a hint where to get one.</exception>
    public static string Locate(string? etcdPath = null) =>
        Locate(etcdPath, Environment.GetEnvironmentVariable("PATH"));

    /// <summary>As <see cref="Locate(string?)"/> with an explicit PATH value, so tests need not change the process's.</summary>
    internal static string Locate(string? etcdPath, string? searchPath)
    {
        if (!string.IsNullOrWhiteSpace(etcdPath))
        {
            var full = Path.GetFullPath(etcdPath);
            if (Directory.Exists(full))
                full = Path.Combine(full, ExecutableName);
            if (IsExecutableFile(full))
                return full;
            throw new EtcdBinaryNotFoundException(
                File.Exists(full)
                    ? $"The etcd binary '{full}' is not executable. {InstallHint}"
                    : $"The etcd binary '{full}' does not exist. {InstallHint}",
                full);
        }

        foreach (var directory in (searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, ExecutableName);
            if (IsExecutableFile(candidate))
                return Path.GetFullPath(candidate);
        }
        throw new EtcdBinaryNotFoundException($"No '{ExecutableName}' binary was found on PATH. {InstallHint}", ExecutableName);
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
            return false;
        if (OperatingSystem.IsWindows())
            return true;
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}

/// <summary>No etcd binary where one was looked for; the message says where to get one.</summary>
public sealed class EtcdBinaryNotFoundException : FileNotFoundException
{
    public EtcdBinaryNotFoundException(string message, string? fileName) : base(message, fileName) { }
}
