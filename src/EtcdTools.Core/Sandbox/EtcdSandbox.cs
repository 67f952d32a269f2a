using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using EtcdTools.Client;

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

    private const int StartAttempts = 3;
    private static readonly TimeSpan HealthRequestTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HealthPollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ExitWaitLimit = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ExecWaitLimit = TimeSpan.FromSeconds(5);

    // NOSPACE is excluded: a full backend still serves reads and is a state tests provoke on purpose;
    // without the exclusion a member of a NOSPACE cluster could never be restarted "ready".
    private const string HealthPath = "/health?exclude=NOSPACE";

    // setsid gives etcd its own session (killable by PID alone) and, not being a group leader here, execs
    // rather than forks; sh then execs etcd with its output appended to the log ($0). So the PID .NET
    // reports is etcd's own, and etcd's output needs no pump in this process.
    private const string LaunchScript = "exec \"$@\" </dev/null >>\"$0\" 2>&1";

    // Plain HTTP to the metrics listeners; never through a proxy from the environment.
    private static readonly HttpClient HealthClient = new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectTimeout = HealthRequestTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly EtcdSandboxOptions _options;
    private readonly object _gate = new();
    private readonly string[] _memberNames;
    private IssuedCertificate[] _serverCertificates = [];
    private IssuedCertificate? _clientCertificate;
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

    /// <summary>Every member's client URL, in member order.</summary>
    public IReadOnlyList<string> ClientEndpoints => _clientEndpoints;

    public bool Tls => _options.Tls;

    /// <summary>The sandbox's CA (null without TLS): issue more certificates from it, e.g. expired ones.</summary>
    public CertificateAuthority? CertificateAuthority { get; private set; }

    /// <summary>PEM of the CA every member and client trusts; null without TLS.</summary>
    public string? CaCertificatePath => CertificateAuthority?.CertificatePath;

    /// <summary>PEM client certificate (CN <see cref="ClientCommonName"/>) and its key; null without TLS.</summary>
    public string? ClientCertificatePath => _clientCertificate?.CertificatePath;
    public string? ClientKeyPath => _clientCertificate?.KeyPath;

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

        var sandbox = new EtcdSandbox(options, name, CreateSandboxDirectory(options.BaseDirectory, name), etcdPath);
        LiveSandboxes.Add(sandbox); // before the first process starts, so none can outlive this process
        try
        {
            if (options.Tls)
                sandbox.CreateCertificates();
            await sandbox.LaunchAsync(cancellationToken).ConfigureAwait(false);
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
        var expected = _members.Where(m => !m.StopRequested && !m.IsSuspended).ToArray();
        return WaitHealthyAsync(expected, timeout ?? _options.ReadyTimeout, cancellationToken);
    }

    /// <summary>Waits until one member reports healthy. A member whose peers are all down never does.</summary>
    public Task WaitMemberReadyAsync(int index, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return WaitHealthyAsync([GetMember(index)], timeout ?? _options.ReadyTimeout, cancellationToken);
    }

    /// <summary>
    /// One probe of a member's plain-HTTP /health (1 s limit): true when it answers <c>"health":"true"</c>.
    /// A NOSPACE alarm is not counted (<c>?exclude=NOSPACE</c>): such a member still serves reads.
    /// </summary>
    public async Task<bool> IsMemberHealthyAsync(int index, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var (healthy, _) = await ProbeHealthAsync(GetMember(index), cancellationToken).ConfigureAwait(false);
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

        if (!await WaitForExitAsync(process, StopGracePeriod, cancellationToken).ConfigureAwait(false))
        {
            lock (_gate)
            {
                if (!process.HasExited)
                    ProcessSignals.Send(member.ProcessId, ProcessSignals.SigKill);
            }
            await EnsureExitedAsync(member, process).ConfigureAwait(false);
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
        if (!process.WaitForExit(ExitWaitLimit))
            throw new EtcdSandboxException($"Member {member.Name} (PID {member.ProcessId}) did not exit within {ExitWaitLimit.TotalSeconds} s of SIGKILL.");
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
        // SIGSTOP takes effect asynchronously; wait for the 'T' state so callers can rely on it.
        var watch = Stopwatch.StartNew();
        while (ProcessSignals.ReadProcState(member.ProcessId) is not ('T' or null) && watch.Elapsed < TimeSpan.FromSeconds(2))
            Thread.Sleep(1);
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
        await WaitHealthyAsync([member], _options.ReadyTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills every member (SIGKILL), waits until they are reaped and deletes the directory.</summary>
    public void Dispose()
    {
        if (!BeginDispose(out var processes))
            return;
        foreach (var process in processes)
            process.WaitForExit(ExitWaitLimit);
        FinishDispose();
    }

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        if (!BeginDispose(out var processes))
            return;
        await Task.WhenAll(processes.Select(p => WaitForExitAsync(p, ExitWaitLimit, CancellationToken.None))).ConfigureAwait(false);
        FinishDispose();
    }

    public override string ToString() =>
        $"{Name}: {_members.Length} member(s){(Tls ? " with TLS" : "")}, {string.Join(", ", _clientEndpoints)}";

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            CreateMembers();
            try
            {
                lock (_gate)
                {
                    foreach (var member in _members)
                        StartProcess(member, "new");
                }
                await WaitHealthyAsync(_members, _options.ReadyTimeout, cancellationToken).ConfigureAwait(false);
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

    private void CreateCertificates()
    {
        CertificateAuthority = CertificateAuthority.Create($"{Name} CA", Path.Combine(Directory, "pki"));
        _serverCertificates = _memberNames.Select((n, i) => AdvertisedHost(i) is { } host
            ? System.Net.IPAddress.TryParse(host, out var ip)
                ? CertificateAuthority.IssueServerCertificate(n, ipAddresses: [ip])
                : CertificateAuthority.IssueServerCertificate(n, dnsNames: [host])
            : CertificateAuthority.IssueServerCertificate(n)).ToArray();
        _clientCertificate = CertificateAuthority.IssueClientCertificate(ClientCommonName, fileName: "client");
    }

    private string? AdvertisedHost(int index) =>
        _options.AdvertisedClientUrls is { } urls ? new Uri(urls[index]).IdnHost : null;

    /// <summary>Starts one member's etcd; the caller holds <see cref="_gate"/>.</summary>
    private void StartProcess(EtcdSandboxMember member, string initialClusterState)
    {
        // Checked under the gate that disposal's kill-all also takes: a process started now would be missed by it.
        ThrowIfDisposed();
        var startInfo = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            WorkingDirectory = member.Directory,
        };
        foreach (var argument in new[] { "sh", "-c", LaunchScript, member.LogPath, EtcdPath })
            startInfo.ArgumentList.Add(argument);
        foreach (var argument in BuildEtcdArguments(member, initialClusterState))
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
        WaitUntilEtcdIsExeced(member, process);
    }

    /// <summary>Makes sure the PID is etcd's own (setsid and sh exec'd), so signals reach etcd and nothing else.</summary>
    private void WaitUntilEtcdIsExeced(EtcdSandboxMember member, Process process)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
                throw new EtcdSandboxException(
                    $"etcd member {member.Name} exited at once with code {process.ExitCode}.", member.Name, member.ReadLogTail());
            var argumentZero = ProcessSignals.ReadArgumentZero(process.Id);
            if (argumentZero == EtcdPath)
                return;
            if (watch.Elapsed > ExecWaitLimit)
            {
                ProcessSignals.Send(process.Id, ProcessSignals.SigKill);
                process.WaitForExit(ExitWaitLimit);
                throw new EtcdSandboxException(
                    $"PID {process.Id} runs '{argumentZero}', not {EtcdPath}: setsid forked instead of exec'ing, so member {member.Name} could not be controlled by PID.");
            }
            Thread.Sleep(2);
        }
    }

    private List<string> BuildEtcdArguments(EtcdSandboxMember member, string initialClusterState)
    {
        var arguments = new List<string>
        {
            $"--name={member.Name}",
            $"--data-dir={member.DataDirectory}",
            $"--listen-client-urls={member.ClientUrl}",
            $"--advertise-client-urls={_options.AdvertisedClientUrls?[member.Index] ?? member.ClientUrl}",
            $"--listen-peer-urls={member.PeerUrl}",
            $"--initial-advertise-peer-urls={member.PeerUrl}",
            $"--initial-cluster={string.Join(',', _members.Select(m => $"{m.Name}={m.PeerUrl}"))}",
            $"--initial-cluster-token={Name}",
            $"--initial-cluster-state={initialClusterState}",
            $"--listen-metrics-urls={member.MetricsUrl}",
        };
        if (Tls)
        {
            var server = _serverCertificates[member.Index];
            arguments.AddRange(
            [
                $"--cert-file={server.CertificatePath}",
                $"--key-file={server.KeyPath}",
                "--client-cert-auth=true",
                $"--trusted-ca-file={server.CaCertificatePath}",
                $"--peer-cert-file={server.CertificatePath}",
                $"--peer-key-file={server.KeyPath}",
                "--peer-client-cert-auth=true",
                $"--peer-trusted-ca-file={server.CaCertificatePath}",
            ]);
        }
        if (_options.QuotaBackendBytes is { } quota)
            arguments.Add($"--quota-backend-bytes={quota}");
        if (_options.HeartbeatInterval is { } heartbeat)
            arguments.Add($"--heartbeat-interval={(long)heartbeat.TotalMilliseconds}");
        if (_options.ElectionTimeout is { } election)
            arguments.Add($"--election-timeout={(long)election.TotalMilliseconds}");
        arguments.AddRange(_options.ExtraArguments);
        return arguments;
    }

    private static async Task WaitHealthyAsync(IReadOnlyList<EtcdSandboxMember> members, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var pending = members.ToList();
        var lastDetail = new Dictionary<EtcdSandboxMember, string>();
        while (pending.Count > 0)
        {
            foreach (var member in pending)
            {
                if (member.Process is { HasExited: true } exited && !member.StopRequested)
                    throw new EtcdSandboxException(
                        $"etcd member {member.Name} exited with code {exited.ExitCode} before it was healthy.", member.Name, member.ReadLogTail());
            }

            var probes = await Task.WhenAll(pending.Select(m => ProbeHealthAsync(m, cancellationToken))).ConfigureAwait(false);
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                if (probes[i].Healthy)
                    pending.RemoveAt(i);
                else
                    lastDetail[pending[i]] = probes[i].Detail;
            }
            if (pending.Count == 0)
                return;

            if (watch.Elapsed >= timeout)
            {
                var first = pending[0];
                var names = string.Join(", ", pending.Select(m => m.Name));
                throw new EtcdSandboxException(
                    $"etcd member(s) {names} not healthy within {timeout.TotalSeconds:0.#} s; {first.Name}'s last /health: {lastDetail[first]}.",
                    first.Name, first.ReadLogTail());
            }
            await Task.Delay(HealthPollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<(bool Healthy, string Detail)> ProbeHealthAsync(EtcdSandboxMember member, CancellationToken cancellationToken)
    {
        using var requestLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        requestLimit.CancelAfter(HealthRequestTimeout);
        try
        {
            using var response = await HealthClient.GetAsync(member.MetricsUrl + HealthPath, requestLimit.Token).ConfigureAwait(false);
            var body = (await response.Content.ReadAsStringAsync(requestLimit.Token).ConfigureAwait(false)).Trim();
            using var json = JsonDocument.Parse(body);
            var healthy = json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("health", out var health)
                && health.ValueKind switch
                {
                    JsonValueKind.String => health.GetString() == "true",
                    JsonValueKind.True => true,
                    _ => false,
                };
            return (healthy && response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode} {body}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, $"no answer within {HealthRequestTimeout.TotalSeconds} s");
        }
        catch (HttpRequestException e)
        {
            return (false, e.Message);
        }
        catch (JsonException)
        {
            return (false, "an answer that is not JSON");
        }
    }

    private static async Task<bool> WaitForExitAsync(Process process, TimeSpan limit, CancellationToken cancellationToken)
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

    private static async Task EnsureExitedAsync(EtcdSandboxMember member, Process process)
    {
        if (!await WaitForExitAsync(process, ExitWaitLimit, CancellationToken.None).ConfigureAwait(false))
            throw new EtcdSandboxException($"Member {member.Name} (PID {member.ProcessId}) did not exit within {ExitWaitLimit.TotalSeconds} s of SIGKILL.");
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
        await Task.WhenAll(SignalKillAll().Select(p => WaitForExitAsync(p, ExitWaitLimit, CancellationToken.None))).ConfigureAwait(false);

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
        CertificateAuthority?.Dispose();
        DeleteDirectory();
        LiveSandboxes.Remove(this);
    }

    private void DeleteDirectory()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (System.IO.Directory.Exists(Directory))
                    System.IO.Directory.Delete(Directory, recursive: true);
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

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static string CreateSandboxDirectory(string? baseDirectory, string name)
    {
        var parent = Path.GetFullPath(baseDirectory ?? Path.GetTempPath());
        System.IO.Directory.CreateDirectory(parent);
        var path = Path.Combine(parent, name);
        for (var suffix = 2; System.IO.Directory.Exists(path) || File.Exists(path); suffix++)
            path = Path.Combine(parent, $"{name}-{suffix}");
        // Owner-only: it holds private keys.
        System.IO.Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Every sandbox not yet disposed, killed when the process exits so no etcd outlives its host.</summary>
    private static class LiveSandboxes
    {
        private static readonly ConcurrentDictionary<EtcdSandbox, byte> Sandboxes = new();

        static LiveSandboxes() => AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAll();

        public static void Add(EtcdSandbox sandbox) => Sandboxes.TryAdd(sandbox, 0);

        public static void Remove(EtcdSandbox sandbox) => Sandboxes.TryRemove(sandbox, out _);

        public static IReadOnlyList<EtcdSandbox> All => Sandboxes.Keys.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

        private static void DisposeAll()
        {
            foreach (var sandbox in Sandboxes.Keys)
            {
                try { sandbox.Dispose(); }
                catch (Exception) { } // keep killing the others
            }
        }
    }
}
