using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EtcdTools.Performance;

/// <summary>
/// The system calls of etcd's WAL that .NET does not offer: fdatasync(2), which etcd calls after
/// each WAL write on Linux (FileStream.Flush(true) is fsync(2), which also writes back metadata
/// such as timestamps that fdatasync may skip), and fallocate(2), with which both etcd's WAL and
/// fio lay out a file before writing it.
/// </summary>
internal static class FileSync
{
    public const int NoSpace = 28;          // ENOSPC
    public const int QuotaExceeded = 122;   // EDQUOT
    public const int ReadOnlyFileSystem = 30; // EROFS
    public const int AccessDenied = 13;     // EACCES
    public const int NotPermitted = 1;      // EPERM
    private const int Interrupted = 4;      // EINTR
    private const int NotSupported = 95;    // EOPNOTSUPP
    private const int NoSystemCall = 38;    // ENOSYS

    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int SystemFdatasync(int fd);

    [DllImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static extern int SystemFallocate(int fd, int mode, long offset, long length);

    /// <summary>What <see cref="Sync"/> calls here: what the operator compares with fio's and etcd's numbers.</summary>
    public static string Method =>
        OperatingSystem.IsLinux() ? "fdatasync" : OperatingSystem.IsWindows() ? "FlushFileBuffers" : "fsync";

    /// <summary>Writes the file's data to the disk: fdatasync on Linux, else what Flush(true) calls.</summary>
    public static void Sync(SafeFileHandle handle, FileStream? fallback)
    {
        if (!OperatingSystem.IsLinux())
        {
            fallback!.Flush(flushToDisk: true);
            return;
        }
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            while (SystemFdatasync(fd) != 0)
            {
                var error = Marshal.GetLastPInvokeError();
                if (error != Interrupted) throw new IOException($"fdatasync failed: {Marshal.GetPInvokeErrorMessage(error)}.", error);
            }
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Allocates <paramref name="length"/> bytes and sets the file's size, as fio's default
    /// (fallocate=native) does; false where the file system cannot (fio then writes without).
    /// Throws <see cref="IOException"/> with the errno as HResult for real failures such as ENOSPC.
    /// </summary>
    public static bool Preallocate(SafeFileHandle handle, long length)
    {
        if (!OperatingSystem.IsLinux()) return false;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            while (SystemFallocate(fd, 0, 0, length) != 0)
            {
                var error = Marshal.GetLastPInvokeError();
                if (error is NotSupported or NoSystemCall) return false;
                if (error != Interrupted) throw new IOException(Marshal.GetPInvokeErrorMessage(error), error);
            }
            return true;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }
}
