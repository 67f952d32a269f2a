using System.Diagnostics;

namespace EtcdTools.Sandbox;

/// <summary>What a sandbox member's process is doing.</summary>
public enum EtcdSandboxMemberState
{
    /// <summary>The process is alive and not stopped by a signal.</summary>
    Running,

    /// <summary>The process is frozen by SIGSTOP: its ports accept connections but nothing answers.</summary>
    Suspended,

    /// <summary>The process has exited: stopped, killed, or crashed (see <see cref="EtcdSandboxMember.ExitCode"/>).</summary>
    Stopped,
}

/// <summary>One etcd process of an <see cref="EtcdSandbox"/>. Its URLs and directories stay the same across restarts.</summary>
public sealed class EtcdSandboxMember
{
    private Process? _process;
    private int? _releasedExitCode;

    internal EtcdSandboxMember(int index, string name, string clientUrl, string peerUrl, string metricsUrl, string directory)
    {
        Index = index;
        Name = name;
        ClientUrl = clientUrl;
        PeerUrl = peerUrl;
        MetricsUrl = metricsUrl;
        Directory = directory;
        DataDirectory = Path.Combine(directory, "data");
        LogPath = Path.Combine(directory, "etcd.log");
    }

    /// <summary>Position in <see cref="EtcdSandbox.Members"/>, from 0.</summary>
    public int Index { get; }

    /// <summary>The member's <c>--name</c>.</summary>
    public string Name { get; }

    /// <summary>The client URL (https:// with TLS): <c>--listen-client-urls</c> and <c>--advertise-client-urls</c>.</summary>
    public string ClientUrl { get; }

    /// <summary>The peer URL (https:// with TLS): <c>--listen-peer-urls</c> and <c>--initial-advertise-peer-urls</c>.</summary>
    public string PeerUrl { get; }

    /// <summary>Plain-HTTP <c>--listen-metrics-urls</c>, TLS or not: /metrics and /health without a client certificate.</summary>
    public string MetricsUrl { get; }

    /// <summary>The member's own directory, holding <see cref="DataDirectory"/> and <see cref="LogPath"/>.</summary>
    public string Directory { get; }

    /// <summary>The member's <c>--data-dir</c>.</summary>
    public string DataDirectory { get; }

    /// <summary>etcd's stdout and stderr, appended across restarts.</summary>
    public string LogPath { get; }

    /// <summary>PID of the latest etcd process (it remains set after that process exits; see <see cref="State"/>).</summary>
    public int ProcessId { get; private set; }

    /// <summary>Exit code of the latest process once it has exited, else null.</summary>
    public int? ExitCode => _process is null ? _releasedExitCode : _process.HasExited ? _process.ExitCode : null;

    public EtcdSandboxMemberState State =>
        _process is null || _process.HasExited ? EtcdSandboxMemberState.Stopped
        : IsSuspended ? EtcdSandboxMemberState.Suspended
        : EtcdSandboxMemberState.Running;

    /// <summary>Set by Stop/Kill so a readiness wait tells an intended stop from a crash.</summary>
    internal bool StopRequested { get; set; }

    internal bool IsSuspended { get; set; }

    internal Process? Process => _process;

    internal void Attach(Process process)
    {
        _process?.Dispose();
        _process = process;
        _releasedExitCode = null;
        ProcessId = process.Id;
        StopRequested = false;
        IsSuspended = false;
    }

    /// <summary>Lets go of the exited process's handle once the sandbox is disposed, keeping its exit code.</summary>
    internal void Release()
    {
        if (_process is not { HasExited: true } exited)
            return;
        _releasedExitCode = exited.ExitCode;
        exited.Dispose();
        _process = null;
    }

    /// <summary>True when the latest process is alive (running or suspended).</summary>
    internal bool IsAlive => _process is { HasExited: false };

    /// <summary>The last lines of the member's log, for error messages.</summary>
    public string ReadLogTail(int lines = 20)
    {
        const int maxBytes = 64 * 1024;
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length > maxBytes)
                stream.Seek(-maxBytes, SeekOrigin.End);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (FileNotFoundException) { return "(no log yet)"; }
        catch (DirectoryNotFoundException) { return "(no log yet)"; }
        catch (IOException e) { return $"(log unreadable: {e.Message})"; }
    }

    public override string ToString() => $"{Name} {ClientUrl} {State}";
}
