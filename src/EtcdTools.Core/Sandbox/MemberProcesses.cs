using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace EtcdTools.Sandbox;

/// <summary>
/// Starting a member's etcd process and waiting on it. Each etcd runs in a session of its own and is
/// controlled by its PID alone (<see cref="ProcessSignals"/>), never by process group.
/// </summary>
internal static class MemberProcesses
{
    /// <summary>How long a killed process may take to exit and be reaped.</summary>
    public static readonly TimeSpan ExitWaitLimit = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan ExecWaitLimit = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SuspendWaitLimit = TimeSpan.FromSeconds(2);

    // setsid gives etcd its own session (killable by PID alone) and, not being a group leader here, execs
    // rather than forks; sh then execs etcd with its output appended to the log ($0). So the PID .NET
    // reports is etcd's own, and etcd's output needs no pump in this process.
    private const string LaunchScript = "exec \"$@\" </dev/null >>\"$0\" 2>&1";

    /// <summary>
    /// Starts etcd for <paramref name="member"/> with <paramref name="etcdArguments"/>, attaches the process
    /// to it and returns once the PID runs etcd itself.
    /// </summary>
    public static void Start(EtcdSandboxMember member, string etcdPath, IEnumerable<string> etcdArguments, string initialClusterState)
    {
        var startInfo = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            WorkingDirectory = member.Directory,
        };
        foreach (var argument in new[] { "sh", "-c", LaunchScript, member.LogPath, etcdPath })
            startInfo.ArgumentList.Add(argument);
        foreach (var argument in etcdArguments)
            startInfo.ArgumentList.Add(argument);

        // etcd reads every ETCD_* variable as a flag, and would clash with ours; ETCDCTL_* has no business there either.
        foreach (var key in startInfo.Environment.Keys.ToArray())
            if (key.StartsWith("ETCD_", StringComparison.Ordinal) || key.StartsWith("ETCDCTL_", StringComparison.Ordinal))
                startInfo.Environment.Remove(key);
        // etcd 3.4 refuses to run on arm64 unless told that this unsupported platform is intended.
        if (RuntimeInformation.ProcessArchitecture == Architecture.Arm64)
            startInfo.Environment["ETCD_UNSUPPORTED_ARCH"] = "arm64";

        File.AppendAllText(member.LogPath, $"=== etcd sandbox: starting {member.Name} (--initial-cluster-state={initialClusterState}) at {DateTimeOffset.Now:O}\n");
        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new EtcdSandboxException($"Could not start member {member.Name}.");
        }
        catch (Win32Exception e)
        {
            throw new EtcdSandboxException(
                $"Could not run 'setsid' (util-linux), which starts each etcd member in its own session: {e.Message}", e);
        }
        member.Attach(process);
        WaitUntilEtcdIsExeced(member, process, etcdPath);
    }

    /// <summary>True once the process has exited within <paramref name="limit"/>; false if it still runs (or the wait was cancelled).</summary>
    public static async Task<bool> WaitForExitAsync(Process process, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var waitLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        waitLimit.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(waitLimit.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return process.HasExited;
        }
    }

    /// <summary>Waits up to <see cref="ExitWaitLimit"/> for a SIGKILLed member to be reaped; throws if it is not.</summary>
    public static async Task EnsureExitedAsync(EtcdSandboxMember member, Process process)
    {
        if (!await WaitForExitAsync(process, ExitWaitLimit, CancellationToken.None).ConfigureAwait(false))
            throw NotExited(member);
    }

    /// <inheritdoc cref="EnsureExitedAsync"/>
    public static void EnsureExited(EtcdSandboxMember member, Process process)
    {
        if (!process.WaitForExit(ExitWaitLimit))
            throw NotExited(member);
    }

    /// <summary>
    /// SIGSTOP takes effect asynchronously: waits (briefly) for the kernel's 'T' state so callers can rely on
    /// a suspended member not answering.
    /// </summary>
    public static void WaitUntilSuspended(int pid)
    {
        var watch = Stopwatch.StartNew();
        while (ProcessSignals.ReadProcState(pid) is not ('T' or null) && watch.Elapsed < SuspendWaitLimit)
            Thread.Sleep(1);
    }

    /// <summary>Makes sure the PID is etcd's own (setsid and sh exec'd), so signals reach etcd and nothing else.</summary>
    private static void WaitUntilEtcdIsExeced(EtcdSandboxMember member, Process process, string etcdPath)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
                throw new EtcdSandboxException(
                    $"etcd member {member.Name} exited at once with code {process.ExitCode}.", member.Name, member.ReadLogTail());
            var argumentZero = ProcessSignals.ReadArgumentZero(process.Id);
            if (argumentZero == etcdPath)
                return;
            if (watch.Elapsed > ExecWaitLimit)
            {
                ProcessSignals.Send(process.Id, ProcessSignals.SigKill);
                process.WaitForExit(ExitWaitLimit);
                throw new EtcdSandboxException(
                    $"PID {process.Id} runs '{argumentZero}', not {etcdPath}: setsid forked instead of exec'ing, so member {member.Name} could not be controlled by PID.");
            }
            Thread.Sleep(2);
        }
    }

    private static EtcdSandboxException NotExited(EtcdSandboxMember member) =>
        new($"Member {member.Name} (PID {member.ProcessId}) did not exit within {ExitWaitLimit.TotalSeconds} s of SIGKILL.");
}
