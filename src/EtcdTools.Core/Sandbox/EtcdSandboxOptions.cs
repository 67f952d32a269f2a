using System.Text.RegularExpressions;

namespace EtcdTools.Sandbox;

/// <summary>How to start an <see cref="EtcdSandbox"/>: a throwaway etcd cluster of real processes on loopback.</summary>
public sealed partial class EtcdSandboxOptions
{
    public static readonly TimeSpan DefaultReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly int _members = 1;
    private readonly string? _name;
    private readonly long? _quotaBackendBytes;
    private readonly TimeSpan _readyTimeout = DefaultReadyTimeout;
    private readonly TimeSpan? _heartbeatInterval;
    private readonly TimeSpan? _electionTimeout;

    /// <summary>Number of members: 1, 3 or 5 (odd sizes only, as a real cluster would be).</summary>
    public int Members
    {
        get => _members;
        init => _members = ValidateMembers(value, nameof(Members));
    }

    /// <summary>
    /// Serve TLS on the client and peer ports and require client certificates on both
    /// (<c>--client-cert-auth</c>, <c>--peer-client-cert-auth</c>). The sandbox makes its own CA.
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>Passed as <c>--quota-backend-bytes</c>; a small value provokes the NOSPACE alarm quickly.</summary>
    public long? QuotaBackendBytes
    {
        get => _quotaBackendBytes;
        init => _quotaBackendBytes = value is null or > 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(QuotaBackendBytes), value, "QuotaBackendBytes must be positive.");
    }

    /// <summary>The etcd binary (or a directory holding it); null finds <c>etcd</c> on PATH.</summary>
    public string? EtcdPath { get; init; }

    /// <summary>
    /// The directory under which the sandbox creates its own new directory (deleted on dispose).
    /// Null uses the system temporary directory.
    /// </summary>
    public string? BaseDirectory { get; init; }

    /// <summary>How long to wait for the members to report healthy, at start and at restart.</summary>
    public TimeSpan ReadyTimeout
    {
        get => _readyTimeout;
        init => _readyTimeout = value > TimeSpan.Zero
            ? value
            : throw new ArgumentOutOfRangeException(nameof(ReadyTimeout), value, "ReadyTimeout must be positive.");
    }

    /// <summary>
    /// The cluster's name: its <c>--initial-cluster-token</c>, the prefix of member names and of the
    /// directory. Letters, digits, '.', '_' and '-'. Null generates a unique one.
    /// </summary>
    public string? Name
    {
        get => _name;
        init => _name = value is null || NamePattern().IsMatch(value)
            ? value
            : throw new ArgumentException(
                $"The sandbox name '{value}' is not valid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
                nameof(Name));
    }

    /// <summary>
    /// Per member, the client URL it advertises (<c>--advertise-client-urls</c>) instead of the one it
    /// listens on; its host is added to the member's server certificate. Models members known by
    /// addresses a client cannot dial, as under Kubernetes, where they are reached through the API
    /// server. Keep the hosts on loopback (127.0.0.0/8) or unresolvable: a client that dials them
    /// directly must reach nothing outside this machine. Null: each member advertises its listen URL.
    /// </summary>
    public IReadOnlyList<string>? AdvertisedClientUrls { get; init; }

    /// <summary>
    /// A snapshot (or a member's db file) every member is restored from before it starts, with the
    /// official restore tool (see <see cref="Snapshots.SnapshotRestorer"/>): the sandbox then proves
    /// the backup restorable and compares what it serves with what the file says
    /// (<see cref="EtcdSandbox.RestoreVerification"/>).
    /// </summary>
    public string? FromSnapshot { get; init; }

    /// <summary>With <see cref="FromSnapshot"/>: etcdutl or etcdctl to restore with; null looks on PATH.</summary>
    public string? RestoreToolPath { get; init; }

    /// <summary>More etcd flags appended to every member's command line (e.g. "--auto-compaction-retention=1").</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary><c>--heartbeat-interval</c>; null keeps etcd's default (100 ms).</summary>
    public TimeSpan? HeartbeatInterval
    {
        get => _heartbeatInterval;
        init => _heartbeatInterval = ValidatePositiveMilliseconds(value, nameof(HeartbeatInterval));
    }

    /// <summary><c>--election-timeout</c>; null keeps etcd's default (1000 ms). etcd wants at least 5 heartbeats.</summary>
    public TimeSpan? ElectionTimeout
    {
        get => _electionTimeout;
        init => _electionTimeout = ValidatePositiveMilliseconds(value, nameof(ElectionTimeout));
    }

    /// <summary>Checks what the setters cannot check alone. Throws <see cref="ArgumentException"/>.</summary>
    public void Validate()
    {
        ValidateMembers(Members, nameof(Members));
        if (ExtraArguments is null || ExtraArguments.Any(a => a is null))
            throw new ArgumentException("ExtraArguments must not be null or contain null.", nameof(ExtraArguments));
        if (AdvertisedClientUrls is { } advertised)
        {
            if (advertised.Count != Members)
                throw new ArgumentException($"AdvertisedClientUrls has {advertised.Count} URL(s) for {Members} member(s): give one per member.", nameof(AdvertisedClientUrls));
            foreach (var url in advertised)
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Scheme != (Tls ? "https" : "http"))
                    throw new ArgumentException($"The advertised client URL '{url}' is not an {(Tls ? "https" : "http")}:// URL.", nameof(AdvertisedClientUrls));
        }
        if (HeartbeatInterval is { } heartbeat && ElectionTimeout is { } election && election < heartbeat * 5)
            throw new ArgumentException(
                $"ElectionTimeout ({election.TotalMilliseconds} ms) must be at least 5 times HeartbeatInterval ({heartbeat.TotalMilliseconds} ms); etcd refuses to start otherwise.",
                nameof(ElectionTimeout));
    }

    private static int ValidateMembers(int value, string paramName) => value is 1 or 3 or 5
        ? value
        : throw new ArgumentOutOfRangeException(paramName, value, $"A sandbox has 1, 3 or 5 members, not {value}.");

    private static TimeSpan? ValidatePositiveMilliseconds(TimeSpan? value, string name) =>
        value is null || value.Value.TotalMilliseconds >= 1
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1 ms.");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();
}
