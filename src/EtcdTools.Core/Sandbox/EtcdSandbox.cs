using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Security.Cryptography;
using EtcdTools.Client;
using EtcdTools.Snapshots;

namespace EtcdTools.Sandbox;

/// <summary>
/// A throwaway etcd cluster of real etcd processes on 127.0.0.1, for tests and experiments: 1, 3 or 5
/// members, optionally with TLS and client-certificate auth, plus faults on demand (stop, kill, suspend,
/// resume, restart). Disposing kills every member and deletes the sandbox's directory; so does the
/// process's exit for sandboxes still alive then. Linux only (setsid and POSIX signals).
/// </summary>
public sealed class EtcdSandbox : IAsyncDisposable, IDisposable
{
    /// <summary>How long <see cref="StopMemberAsync"/> lets a member shut down after SIGTERM before SIGKILL.</summary>
    public static readonly TimeSpan StopGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>Common name of the sandbox's client certificate (etcd's user name for it once auth is enabled).</summary>
    public const string ClientCommonName = "sandbox-client";

    // Start-ups lost to a port taken between our probe and etcd's bind are retried on new ports.
    private const int StartAttempts = 3;

    private readonly EtcdSandboxOptions _options;
    private readonly object _gate = new();
    private readonly string[] _memberNames;
    private SandboxCertificates? _certificates;
    private EtcdSandboxMember[] _members = [];
    private IReadOnlyList<string> _clientEndpoints = [];
    private int _disposed;

    private EtcdSandbox(EtcdSandboxOptions options, string name, string directory, string etcdPath)
    {
        _options = options;
        Name = name;
        Directory = directory;
        EtcdPath = etcdPath;
        _memberNames = Enumerable.Range(0, options.Members).Select(i => $"{name}-{i}").ToArray();
    }

    /// <summary>The cluster's name: its <c>--initial-cluster-token</c> and the prefix of member names.</summary>
    public string Name { get; }

    /// <summary>The sandbox's own directory: one sub-directory per member (data, etcd.log) and pki/ with TLS.</summary>
    public string Directory { get; }

    /// <summary>The etcd binary the members run.</summary>
    public string EtcdPath { get; }

    public IReadOnlyList<EtcdSandboxMember> Members { get; private set; } = [];

    /// <summary>Every member's client URL, in member order (a method: the sandbox's properties stay flat for Export-Csv).</summary>
    public IReadOnlyList<string> GetClientEndpoints() => _clientEndpoints;

    /// <summary>For a sandbox restored from a snapshot: what it serves compared with what the snapshot holds; null otherwise.</summary>
    public EtcdRestoreVerification? RestoreVerification { get; private set; }

    /// <summary>The cluster's ID in hex, read once the members are up (binds to -ClusterId of the module's cmdlets).</summary>
    public string ClusterId { get; private set; } = "";

    public bool Tls => _options.Tls;

    /// <summary>The sandbox's CA (null without TLS): issue more certificates from it, e.g. expired ones.</summary>
    public CertificateAuthority? GetCertificateAuthority() => _certificates?.Authority;

    /// <summary>PEM of the CA every member and client trusts; null without TLS.</summary>
    public string? CaCertificatePath => _certificates?.Authority.CertificatePath;

    /// <summary>PEM client certificate (CN <see cref="ClientCommonName"/>) and its key; null without TLS.</summary>
    public string? ClientCertificatePath => _certificates?.Client.CertificatePath;
    public string? ClientKeyPath => _certificates?.Client.KeyPath;

    /// <summary>
    /// Comma-separated client URLs. With <see cref="CertificatePath"/> and <see cref="KeyPath"/> (and
    /// <see cref="CaCertificatePath"/>) it carries the names of the module's connection parameters,
    /// so a sandbox piped into any cmdlet binds as its connection.
    /// </summary>
    public string Endpoint => string.Join(",", _clientEndpoints);
    public string? CertificatePath => ClientCertificatePath;
    public string? KeyPath => ClientKeyPath;
    public int MemberCount => _memberNames.Length;

    /// <summary>Every sandbox of this process not yet disposed, by name.</summary>
    public static IReadOnlyList<EtcdSandbox> Running => LiveSandboxes.All;

    /// <summary>What a client needs to reach the whole cluster: every endpoint and, with TLS, the CA and client certificate.</summary>
    public EtcdConnectionSettings ConnectionSettings => new()
    {
        Endpoints = _clientEndpoints,
        CaCertificatePath = CaCertificatePath,
        CertificatePath = ClientCertificatePath,
        KeyPath = ClientKeyPath,
    };

    /// <summary>As <see cref="ConnectionSettings"/> with only one member's endpoint.</summary>
    public EtcdConnectionSettings GetConnectionSettings(int memberIndex) =>
        ConnectionSettings with { Endpoints = [GetMember(memberIndex).ClientUrl] };

    /// <summary>
    /// Starts the members and waits until every one reports healthy. On failure nothing is left behind
    /// (processes killed, directory deleted) and the exception carries the failing member's log tail.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    /// <exception cref="EtcdBinaryNotFoundException">No etcd binary.</exception>
    /// <exception cref="EtcdSandboxException">A member exited or did not become healthy within <see cref="EtcdSandboxOptions.ReadyTimeout"/>.</exception>
    public static async Task<EtcdSandbox> StartAsync(EtcdSandboxOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EtcdSandboxOptions();
        options.Validate();
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("An etcd sandbox needs Linux: it starts members with setsid and controls them with POSIX signals.");
        var etcdPath = EtcdBinary.Locate(options.EtcdPath);
        var name = options.Name ?? "etcd-sandbox-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        // A snapshot that fails a check, or no restore tool, is refused before anything starts.
        var snapshot = options.FromSnapshot is { } file ? SnapshotInspector.Read(Path.GetFullPath(file), checkSha256: true, cancellationToken) : null;
        var restoreTool = snapshot is null ? null : SnapshotRestorer.LocateTool(options.RestoreToolPath);

        var sandbox = new EtcdSandbox(options, name, SandboxDirectory.Create(options.BaseDirectory, name), etcdPath);
        LiveSandboxes.Add(sandbox); // before the first process starts, so none can outlive this process
        try
        {
            if (options.Tls)
                sandbox._certificates = SandboxCertificates.Create(name, sandbox.Directory, sandbox._memberNames, options.AdvertisedClientUrls);
            await sandbox.LaunchAsync(snapshot, restoreTool, cancellationToken).ConfigureAwait(false);
            // Healthy members answer at once; the ready timeout only allows for a loaded machine.
            using (var cluster = new EtcdCluster(sandbox.ConnectionSettings with { DialTimeout = options.ReadyTimeout, CommandTimeout = options.ReadyTimeout }))
            {
                var members = await cluster.GetMembersAsync(cancellationToken).ConfigureAwait(false);
                sandbox.ClusterId = MemberId.Format(members.Header.ClusterId);
                if (snapshot is not null)
                    sandbox.RestoreVerification = await EtcdRestoreVerification.VerifyAsync(cluster, snapshot, cancellationToken).ConfigureAwait(false);
            }
            return sandbox;
        }
        catch
        {
            await sandbox.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Waits until every member that should be up (neither stopped nor suspended on request) reports healthy.
    /// Throws <see cref="EtcdSandboxException"/> if one has exited on its own or the time runs out.
    /// </summary>
    public Task WaitReadyAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        // A joining member not started yet (CreateJoiningMember) has no process to wait for.
        var expected = _members.Where(m => m.Process is not null && !m.StopRequested && !m.IsSuspended).ToArray();
        return MemberHealthProbe.WaitHealthyAsync(expected, timeout ?? _options.ReadyTimeout, cancellationToken);
    }

    /// <summary>Waits until one member reports healthy. A member whose peers are all down never does.</summary>
    public Task WaitMemberReadyAsync(int index, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return MemberHealthProbe.WaitHealthyAsync([GetMember(index)], timeout ?? _options.ReadyTimeout, cancellationToken);
    }

    /// <summary>
    /// One probe of a member's plain-HTTP /health (1 s limit): true when it answers <c>"health":"true"</c>.
    /// A NOSPACE alarm is not counted (<c>?exclude=NOSPACE</c>): such a member still serves reads.
    /// </summary>
    public async Task<bool> IsMemberHealthyAsync(int index, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var (healthy, _) = await MemberHealthProbe.ProbeAsync(GetMember(index), cancellationToken).ConfigureAwait(false);
        return healthy;
    }

    /// <summary>
    /// Stops a member gracefully: SIGTERM (and SIGCONT if it was suspended, or the TERM would wait),
    /// then SIGKILL after <see cref="StopGracePeriod"/>; returns once the process has exited and is reaped.
    /// Does nothing to a member already stopped.
    /// </summary>
    public async Task StopMemberAsync(int index, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var member = GetMember(index);
        if (SignalStop(member, ProcessSignals.SigTerm) is not { } process)
            return;

        if (!await MemberProcesses.WaitForExitAsync(process, StopGracePeriod, cancellationToken).ConfigureAwait(false))
        {
            lock (_gate)
            {
                if (!process.HasExited)
                    ProcessSignals.Send(member.ProcessId, ProcessSignals.SigKill);
            }
            await MemberProcesses.EnsureExitedAsync(member, process).ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Kills a member with SIGKILL (a crash: no shutdown at all) and waits until it is reaped.</summary>
    public void KillMember(int index)
    {
        ThrowIfDisposed();
        var member = GetMember(index);
        if (SignalStop(member, ProcessSignals.SigKill) is not { } process)
            return;
        MemberProcesses.EnsureExited(member, process);
    }

    /// <summary>
    /// Freezes a member with SIGSTOP: its ports still accept connections but nothing answers, like a
    /// hung machine. Returns once the kernel reports it stopped.
    /// </summary>
    public void SuspendMember(int index)
    {
        ThrowIfDisposed();
        var member = GetMember(index);
        lock (_gate)
        {
            if (!member.IsAlive)
                throw new InvalidOperationException($"Member {member.Name} is stopped; restart it before suspending it.");
            if (member.IsSuspended)
                return;
            ProcessSignals.Send(member.ProcessId, ProcessSignals.SigStop);
            member.IsSuspended = true;
        }
        MemberProcesses.WaitUntilSuspended(member.ProcessId);
    }

    /// <summary>Thaws a member suspended by <see cref="SuspendMember"/> (SIGCONT). Does nothing to a running member.</summary>
    public void ResumeMember(int index)
    {
        ThrowIfDisposed();
        var member = GetMember(index);
        lock (_gate)
        {
            if (!member.IsAlive)
                throw new InvalidOperationException($"Member {member.Name} is stopped; restart it instead of resuming it.");
            if (!member.IsSuspended)
                return;
            ProcessSignals.Send(member.ProcessId, ProcessSignals.SigContinue);
            member.IsSuspended = false;
        }
    }

    /// <summary>
    /// Starts a stopped member again on its data directory and URLs (<c>--initial-cluster-state existing</c>)
    /// and waits until it reports healthy, which needs a quorum of the cluster to be up.
    /// </summary>
    public async Task RestartMemberAsync(int index, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var member = GetMember(index);
        lock (_gate)
        {
            if (member.IsAlive)
                throw new InvalidOperationException($"Member {member.Name} is {member.State.ToString().ToLowerInvariant()}; stop or kill it before restarting it.");
            StartProcess(member, "existing");
        }
        await MemberHealthProbe.WaitHealthyAsync([member], _options.ReadyTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Prepares one more member that is not part of the cluster yet: fresh loopback ports, an empty
    /// directory and, with TLS, a server certificate from the sandbox's CA. Add it to the cluster
    /// with its <see cref="EtcdSandboxMember.PeerUrl"/> (MemberAdd, Add-EtcdMember), then start it
    /// with <see cref="StartJoiningMemberAsync"/>. It joins <see cref="Members"/> (so it can be
    /// stopped, killed or suspended like the others, and goes when the sandbox goes) but not the
    /// client endpoints of <see cref="ConnectionSettings"/>, since it may be removed again.
    /// </summary>
    /// <param name="name">Its --name; null or empty (PowerShell passes $null as ""): the sandbox's name and its index.</param>
    public EtcdSandboxMember CreateJoiningMember(string? name = null)
    {
        ThrowIfDisposed();
        var ports = LoopbackPorts.Allocate(3);
        var scheme = Tls ? "https" : "http";
        lock (_gate)
        {
            var index = _members.Length;
            var memberName = string.IsNullOrWhiteSpace(name) ? $"{Name}-{index}" : name;
            if (_members.Any(m => m.Name == memberName))
                throw new ArgumentException($"The sandbox has a member named '{memberName}' already.", nameof(name));
            var member = new EtcdSandboxMember(index, memberName,
                clientUrl: $"{scheme}://127.0.0.1:{ports[0]}",
                peerUrl: $"{scheme}://127.0.0.1:{ports[1]}",
                metricsUrl: $"http://127.0.0.1:{ports[2]}",
                directory: Path.Combine(Directory, memberName));
            System.IO.Directory.CreateDirectory(member.Directory);
            _certificates?.AddServerCertificate(memberName);
            _members = [.. _members, member];
            Members = new ReadOnlyCollection<EtcdSandboxMember>(_members);
            return member;
        }
    }

    /// <summary>
    /// Starts a member made by <see cref="CreateJoiningMember"/> after it was added to the cluster:
    /// <c>--initial-cluster-state existing</c> and <paramref name="initialCluster"/> as MemberAdd
    /// gave it (EtcdMemberAddition.InitialCluster). Waits until it reports healthy; a learner does
    /// once it has caught up with the leader.
    /// </summary>
    public async Task StartJoiningMemberAsync(int index, string initialCluster, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentException.ThrowIfNullOrWhiteSpace(initialCluster);
        var member = GetMember(index);
        lock (_gate)
        {
            if (member.IsAlive)
                throw new InvalidOperationException($"Member {member.Name} is running already.");
            StartProcess(member, "existing", initialCluster);
        }
        await MemberHealthProbe.WaitHealthyAsync([member], _options.ReadyTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills every member (SIGKILL), waits until they are reaped and deletes the directory.</summary>
    public void Dispose()
    {
        if (!BeginDispose(out var processes))
            return;
        foreach (var process in processes)
            process.WaitForExit(MemberProcesses.ExitWaitLimit);
        FinishDispose();
    }

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        if (!BeginDispose(out var processes))
            return;
        await Task.WhenAll(processes.Select(p => MemberProcesses.WaitForExitAsync(p, MemberProcesses.ExitWaitLimit, CancellationToken.None))).ConfigureAwait(false);
        FinishDispose();
    }

    public override string ToString() =>
        $"{Name}: {_members.Length} member(s){(Tls ? " with TLS" : "")}, {string.Join(", ", _clientEndpoints)}";

    private async Task LaunchAsync(EtcdSnapshotInfo? snapshot, SnapshotRestoreTool? restoreTool, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            CreateMembers();
            if (snapshot is not null) await RestoreAsync(snapshot, restoreTool!, cancellationToken).ConfigureAwait(false);
            try
            {
                lock (_gate)
                {
                    foreach (var member in _members)
                        StartProcess(member, "new");
                }
                await MemberHealthProbe.WaitHealthyAsync(_members, _options.ReadyTimeout, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (EtcdSandboxException) when (attempt < StartAttempts && _members.Any(m => m.ReadLogTail(50).Contains("address already in use", StringComparison.Ordinal)))
            {
                // Another process took a port between our probe and etcd's bind: start over on new ports.
                await KillAllAsync().ConfigureAwait(false);
                foreach (var member in _members)
                    System.IO.Directory.Delete(member.Directory, recursive: true);
            }
        }
    }

    /// <summary>Every member's data directory made from the snapshot by the official tool, for the members' URLs and this sandbox's name as token.</summary>
    private async Task RestoreAsync(EtcdSnapshotInfo snapshot, SnapshotRestoreTool tool, CancellationToken cancellationToken)
    {
        var members = _members.Select(m => new SnapshotRestoreMember(m.Name, [m.PeerUrl], m.DataDirectory)).ToList();
        var initialCluster = SnapshotRestorer.InitialCluster(members);
        foreach (var member in members)
            await SnapshotRestorer.RestoreAsync(tool, snapshot.Path, snapshot, member, initialCluster, Name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>New members on fresh loopback ports (client, peer, metrics each), each with an empty directory.</summary>
    private void CreateMembers()
    {
        var ports = LoopbackPorts.Allocate(3 * _memberNames.Length);
        var scheme = Tls ? "https" : "http";
        var members = new EtcdSandboxMember[_memberNames.Length];
        for (var i = 0; i < members.Length; i++)
        {
            members[i] = new EtcdSandboxMember(
                i,
                _memberNames[i],
                clientUrl: $"{scheme}://127.0.0.1:{ports[3 * i]}",
                peerUrl: $"{scheme}://127.0.0.1:{ports[3 * i + 1]}",
                metricsUrl: $"http://127.0.0.1:{ports[3 * i + 2]}",
                directory: Path.Combine(Directory, _memberNames[i]));
            System.IO.Directory.CreateDirectory(members[i].Directory);
        }
        _members = members;
        Members = new ReadOnlyCollection<EtcdSandboxMember>(members);
        _clientEndpoints = new ReadOnlyCollection<string>(members.Select(m => m.ClientUrl).ToArray());
    }

    /// <summary>Starts one member's etcd; the caller holds <see cref="_gate"/>.</summary>
    private void StartProcess(EtcdSandboxMember member, string initialClusterState, string? initialCluster = null)
    {
        // Checked under the gate that disposal's kill-all also takes: a process started now would be missed by it.
        ThrowIfDisposed();
        var arguments = EtcdMemberArguments.Build(member, _members, Name, initialClusterState, _certificates?.ServerCertificate(member.Index), _options, initialCluster);
        MemberProcesses.Start(member, EtcdPath, arguments, initialClusterState);
    }

    /// <summary>SIGKILLs every live member; returns their processes to wait on.</summary>
    private List<Process> SignalKillAll()
    {
        var processes = new List<Process>();
        lock (_gate)
        {
            foreach (var member in _members)
            {
                member.StopRequested = true;
                member.IsSuspended = false;
                if (member.Process is not { HasExited: false } alive)
                    continue;
                // SIGKILL also ends a SIGSTOPped process: no SIGCONT needed.
                ProcessSignals.Send(member.ProcessId, ProcessSignals.SigKill);
                processes.Add(alive);
            }
        }
        return processes;
    }

    private async Task KillAllAsync() =>
        await Task.WhenAll(SignalKillAll().Select(p => MemberProcesses.WaitForExitAsync(p, MemberProcesses.ExitWaitLimit, CancellationToken.None))).ConfigureAwait(false);

    private bool BeginDispose(out List<Process> processes)
    {
        processes = [];
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return false;
        processes = SignalKillAll();
        return true;
    }

    private void FinishDispose()
    {
        foreach (var member in _members)
            member.Release();
        _certificates?.Dispose();
        SandboxDirectory.Delete(Directory);
        LiveSandboxes.Remove(this);
    }

    /// <summary>
    /// Marks the member as stopped on purpose and sends <paramref name="signal"/>; returns its process
    /// to wait on, or null when it is already gone. A suspended member gets SIGCONT too, or it could
    /// not act on SIGTERM (SIGKILL needs no help).
    /// </summary>
    private Process? SignalStop(EtcdSandboxMember member, int signal)
    {
        lock (_gate)
        {
            member.StopRequested = true;
            if (member.Process is not { HasExited: false } alive)
                return null;
            ProcessSignals.Send(member.ProcessId, signal);
            if (member.IsSuspended && signal != ProcessSignals.SigKill)
                ProcessSignals.Send(member.ProcessId, ProcessSignals.SigContinue);
            member.IsSuspended = false;
            return alive;
        }
    }

    private EtcdSandboxMember GetMember(int index)
    {
        var members = _members;
        if ((uint)index >= (uint)members.Length)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The sandbox has {members.Length} member(s): index 0 to {members.Length - 1}.");
        return members[index];
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
