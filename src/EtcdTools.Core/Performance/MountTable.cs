using System.Globalization;
using System.Text;

namespace EtcdTools.Performance;

/// <summary>The mount a directory lives on: its mount point, file system type and device.</summary>
internal sealed record MountEntry(string MountPoint, string FileSystem, string Device, string DeviceNumber)
{
    /// <summary>File systems whose writes cross a network: etcd's documentation advises against them.</summary>
    private static readonly HashSet<string> NetworkFileSystems = new(StringComparer.Ordinal)
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "9p", "afs", "lustre", "gpfs", "beegfs", "ocfs2", "gfs2",
        "fuse.glusterfs", "fuse.sshfs", "fuse.s3fs", "fuse.cephfs", "fuse.gcsfuse", "fuse.rclone", "fuse.juicefs",
    };

    public bool IsNetwork => NetworkFileSystems.Contains(FileSystem);

    /// <summary>Memory, not a disk: fdatasync returns at once and the data is gone on reboot.</summary>
    public bool IsMemory => FileSystem is "tmpfs" or "ramfs";
}

/// <summary>Reads /proc/self/mountinfo and /sys/dev/block (Linux); elsewhere nothing is known.</summary>
internal static class MountTable
{
    /// <summary>The mount holding <paramref name="directory"/>, or null where it cannot be told cheaply.</summary>
    public static MountEntry? Find(string directory)
    {
        if (!OperatingSystem.IsLinux()) return null;
        string[] lines;
        string path;
        try
        {
            lines = File.ReadAllLines("/proc/self/mountinfo");
            path = ResolveLinks(Path.GetFullPath(directory));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        MountEntry? best = null;
        foreach (var line in lines)
        {
            if (Parse(line) is not { } entry || !Contains(entry.MountPoint, path)) continue;
            // The longest mount point wins; of equal ones the later line, the mount on top.
            if (best is null || entry.MountPoint.Length >= best.MountPoint.Length) best = entry;
        }
        return best;
    }

    /// <summary>What the kernel says of the block device (queue/rotational); null when it is not a block device or unknown.</summary>
    public static bool? IsRotational(MountEntry mount)
    {
        if (!OperatingSystem.IsLinux() || mount.DeviceNumber.StartsWith("0:", StringComparison.Ordinal)) return null;
        // A partition has no queue of its own: its disk's is one directory up.
        foreach (var candidate in new[] { $"/sys/dev/block/{mount.DeviceNumber}/queue/rotational", $"/sys/dev/block/{mount.DeviceNumber}/../queue/rotational" })
        {
            try
            {
                if (File.Exists(candidate)) return File.ReadAllText(candidate).Trim() == "1";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>One mountinfo line: "36 35 98:0 /root /mnt/point rw,noatime master:1 - ext4 /dev/sda1 rw".</summary>
    internal static MountEntry? Parse(string line)
    {
        var separator = line.IndexOf(" - ", StringComparison.Ordinal);
        if (separator < 0) return null;
        var before = line[..separator].Split(' ');
        var after = line[(separator + 3)..].Split(' ');
        if (before.Length < 5 || after.Length < 2) return null;
        return new MountEntry(Unescape(before[4]), Unescape(after[0]), Unescape(after[1]), before[2]);
    }

    private static bool Contains(string mountPoint, string path) =>
        mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);

    /// <summary>mountinfo writes space, tab, newline and backslash as octal escapes (\040).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal)) return field;
        var text = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && int.TryParse(field.AsSpan(i + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                text.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }
        return text.ToString();
    }

    /// <summary>The path with every symbolic link along it followed, so /var/lib/etcd -> /data/etcd finds /data's mount.</summary>
    private static string ResolveLinks(string fullPath)
    {
        var current = Path.GetPathRoot(fullPath) ?? "/";
        foreach (var part in fullPath[current.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            var info = new DirectoryInfo(next);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target) next = target.FullName;
            current = next;
        }
        return current;
    }
}
