using System.Diagnostics;

namespace EtcdTools.Core.Tests.Fixtures;

/// <summary>
/// A real tmpfs of a few MiB mounted on a fresh directory (as root, or through `sudo -n` as CI's
/// user may): a disk that really fills up, or a mount that is really read-only (root ignores file
/// permissions, not a read-only mount). Unmounted and removed on dispose.
/// </summary>
public sealed class TinyFileSystem : IDisposable
{
    private TinyFileSystem(string directory) => Directory = directory;

    public string Directory { get; }

    public static TinyFileSystem Mount(long sizeBytes, bool readOnly = false)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("etcdtools-tmpfs-").FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={sizeBytes}{(readOnly ? ",ro" : "")}", "tmpfs", directory);
        return new TinyFileSystem(directory);
    }

    public void Dispose()
    {
        Run("umount", Directory);
        System.IO.Directory.Delete(Directory);
    }

    private static void Run(string command, params string[] arguments)
    {
        var root = Environment.UserName == "root";
        var start = new ProcessStartInfo(root ? command : "sudo") { RedirectStandardError = true, RedirectStandardOutput = true };
        if (!root)
        {
            start.ArgumentList.Add("-n");
            start.ArgumentList.Add(command);
        }
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed (exit {process.ExitCode}): {error.Trim()}. These tests mount a tmpfs: run them as root or with passwordless sudo.");
    }
}
