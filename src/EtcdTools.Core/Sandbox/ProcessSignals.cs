using System.Runtime.InteropServices;

namespace EtcdTools.Sandbox;

/// <summary>
/// POSIX signals sent by PID. .NET can only SIGKILL a process; the sandbox also needs SIGTERM
/// (graceful stop), SIGSTOP and SIGCONT (a member that hangs without exiting).
/// </summary>
internal static class ProcessSignals
{
    // Linux's numbers (SIGSTOP and SIGCONT differ on the BSDs): a sandbox refuses to start elsewhere.
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigStop = 19;
    public const int SigContinue = 18;

    private const int NoSuchProcess = 3; // ESRCH

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SystemKill(int pid, int signal);

    /// <summary>Sends <paramref name="signal"/>; false when the process no longer exists.</summary>
    public static bool Send(int pid, int signal)
    {
        if (pid <= 0)
            throw new ArgumentOutOfRangeException(nameof(pid), pid, "Only a single positive PID is signalled, never a process group.");
        if (SystemKill(pid, signal) == 0)
            return true;
        var error = Marshal.GetLastPInvokeError();
        if (error == NoSuchProcess)
            return false;
        throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {error}: {Marshal.GetPInvokeErrorMessage(error)}.");
    }

    /// <summary>The one-letter state in /proc/PID/stat ('R', 'S', 'T' for stopped, 'Z', ...), or null without /proc.</summary>
    public static char? ReadProcState(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name in parentheses may contain spaces: the state follows the last ')'.
            var end = stat.LastIndexOf(')');
            return end >= 0 && end + 2 < stat.Length ? stat[end + 2] : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// argv[0] of a process (/proc/PID/cmdline), or null when it cannot be read (gone, or a zombie).
    /// Tells etcd from the setsid and sh that exec it in the same PID.
    /// </summary>
    public static string? ReadArgumentZero(int pid)
    {
        try
        {
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
            var end = commandLine.IndexOf('\0');
            return end > 0 ? commandLine[..end] : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
