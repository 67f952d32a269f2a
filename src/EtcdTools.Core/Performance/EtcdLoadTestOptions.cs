using System.Globalization;

namespace EtcdTools.Performance;

/// <summary>
/// The workload of a load test: etcdctl <c>check perf</c>'s presets (-Load s, m, l, xl) or one's own.
/// Like check perf (etcd 3.4's etcdctl/ctlv3/command/check.go), every request is a put of a new
/// 256-byte key with a 1024-byte value, issued at a fixed rate by a pool of clients, for 60 seconds.
/// </summary>
public sealed record EtcdLoadTestOptions
{
    /// <summary>check perf's key and value sizes (etcd 3.4: ksize, vsize := 256, 1024).</summary>
    public const int DefaultKeySize = 256;
    public const int DefaultValueSize = 1024;

    /// <summary>Below this many bytes, keys could not stay unique (each carries a decimal sequence number).</summary>
    public const int MinKeySize = 8;

    /// <summary>etcd refuses requests above 1.5 MiB by default (--max-request-bytes).</summary>
    public const int MaxRequestBytes = 1536 * 1024;

    /// <summary>The prefix under which each run writes: a run ID follows, so runs never share keys.</summary>
    public const string DefaultPrefixRoot = "/etcdtools-loadtest/";

    public static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(60);

    /// <summary>check perf's presets: writes per second and clients, 60 s each.</summary>
    public static IReadOnlyDictionary<string, (int Rate, int Clients)> Presets { get; } = new Dictionary<string, (int, int)>(StringComparer.Ordinal)
    {
        ["s"] = (150, 50),
        ["m"] = (1000, 200),
        ["l"] = (8000, 500),
        ["xl"] = (15000, 1000),
    };

    /// <summary>"s", "m", "l", "xl" for a preset; "custom" otherwise.</summary>
    public string Load { get; init; } = "s";

    /// <summary>Puts per second, across all clients.</summary>
    public int Rate { get; init; } = 150;

    /// <summary>Clients, each with its own connection, as check perf's clients.</summary>
    public int Clients { get; init; } = 50;

    public TimeSpan Duration { get; init; } = DefaultDuration;

    /// <summary>Bytes of each key after the prefix.</summary>
    public int KeySize { get; init; } = DefaultKeySize;

    public int ValueSize { get; init; } = DefaultValueSize;

    /// <summary>The prefix to write under; null for <see cref="DefaultPrefixRoot"/> plus a run ID.</summary>
    public string? Prefix { get; init; }

    /// <summary>Members (hex ID or name) to send the load to; null or empty for every voting member.</summary>
    public IReadOnlyList<string>? MemberIds { get; init; }

    /// <summary>After deleting the keys, compact the history up to the revision at the end (cluster-wide).</summary>
    public bool Compact { get; init; }

    /// <summary>With <see cref="Compact"/>: compact even when other clients wrote during the test.</summary>
    public bool CompactEvenIfOthersWrote { get; init; }

    /// <summary>Refuse to start when the test would take a member's database to this percentage of its quota (the critical level of the health checks).</summary>
    public double MaxQuotaPercent { get; init; } = Health.EtcdHealthThresholds.Default.DbQuotaFailPercent;

    /// <summary>One of check perf's presets by name: s, m, l, xl (or small, medium, large, xLarge, as etcdctl takes them).</summary>
    public static EtcdLoadTestOptions ForLoad(string load)
    {
        var name = (load ?? "").Trim().ToLowerInvariant() switch
        {
            "s" or "small" => "s",
            "m" or "medium" => "m",
            "l" or "large" => "l",
            "xl" or "xlarge" => "xl",
            _ => throw new ArgumentException($"'{load}' is not a load of etcdctl check perf: use s, m, l or xl.", nameof(load)),
        };
        var (rate, clients) = Presets[name];
        return new EtcdLoadTestOptions { Load = name, Rate = rate, Clients = clients };
    }

    /// <summary>Puts the test issues when nothing slows it down.</summary>
    public long PlannedRequests => (long)Math.Floor(Rate * Duration.TotalSeconds);

    /// <summary>Throws <see cref="ArgumentException"/> naming what is out of range.</summary>
    public void Validate()
    {
        if (Rate < 1) throw new ArgumentException($"The rate must be at least 1 put per second, not {Rate}.");
        if (Clients < 1) throw new ArgumentException($"At least one client is needed, not {Clients}.");
        if (Duration < TimeSpan.FromSeconds(1)) throw new ArgumentException($"The duration must be at least 1 second, not {EtcdTools.Duration.Format(Duration)}.");
        if (KeySize < MinKeySize) throw new ArgumentException($"Keys must be at least {MinKeySize} bytes (each carries a unique sequence number), not {KeySize}.");
        if (ValueSize < 0) throw new ArgumentException($"The value size cannot be negative ({ValueSize}).");
        if ((long)KeySize + ValueSize + (Prefix?.Length ?? DefaultPrefixRoot.Length + 33) > MaxRequestBytes)
            throw new ArgumentException($"A put of {KeySize}-byte keys and {ValueSize}-byte values is larger than the 1.5 MiB etcd accepts by default (--max-request-bytes).");
        if (Prefix is { Length: 0 }) throw new ArgumentException("The prefix cannot be empty: that is the whole keyspace, which the test deletes afterwards.");
        if (MaxQuotaPercent is <= 0 or > 100) throw new ArgumentException($"The quota limit is a percentage: above 0 and at most 100, not {MaxQuotaPercent}.");
        var unique = KeySize >= 18 ? long.MaxValue : (long)Math.Pow(10, KeySize);
        if (PlannedRequests > unique)
            throw new ArgumentException($"{PlannedRequests.ToString("N0", CultureInfo.InvariantCulture)} puts need longer keys than {KeySize} bytes to stay unique: raise -KeySize.");
    }
}
