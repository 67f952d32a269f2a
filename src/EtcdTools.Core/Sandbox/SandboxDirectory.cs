namespace EtcdTools.Sandbox;

/// <summary>The directory a sandbox owns on disk: created owner-only, deleted on disposal.</summary>
internal static class SandboxDirectory
{
    /// <summary>A new directory named <paramref name="name"/> (or name-2, name-3, ... if taken) under the base or temp directory.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static string Create(string? baseDirectory, string name)
    {
        var parent = Path.GetFullPath(baseDirectory ?? Path.GetTempPath());
        Directory.CreateDirectory(parent);
        var path = Path.Combine(parent, name);
        for (var suffix = 2; Directory.Exists(path) || File.Exists(path); suffix++)
            path = Path.Combine(parent, $"{name}-{suffix}");
        // Owner-only: it holds private keys.
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Deletes the directory, retrying briefly while files are still being let go; never throws.</summary>
    public static void Delete(string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                    Directory.Delete(path, recursive: true);
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException && attempt < 5)
            {
                Thread.Sleep(50 * attempt);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return; // Best effort: disposal must not throw; the directory is under temp.
            }
        }
    }
}
