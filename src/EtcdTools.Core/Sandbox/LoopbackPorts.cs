using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace EtcdTools.Sandbox;

/// <summary>
/// Picks free TCP ports on 127.0.0.1. Prefers ports below the kernel's ephemeral range: a port from
/// bind(0) lies inside it, where an outgoing connection (e.g. one member dialling a peer that is not
/// listening yet) may take it as a source port before etcd binds it.
/// </summary>
internal static class LoopbackPorts
{
    private const int LowestPort = 10000;
    private const int ProbeAttempts = 200;
    private static readonly TimeSpan HandedOutMemory = TimeSpan.FromMinutes(2);

    // Ports handed out lately by this process, so two sandboxes starting together do not pick the same.
    private static readonly ConcurrentDictionary<int, DateTime> RecentlyHandedOut = new();

    /// <summary><paramref name="count"/> distinct ports, each free at the time of the call.</summary>
    public static int[] Allocate(int count)
    {
        ForgetOldPorts();
        var listeners = new List<TcpListener>(count);
        try
        {
            var (ephemeralLow, _) = ReadEphemeralRange();
            var belowEphemeral = ephemeralLow - LowestPort >= 1000;
            for (var attempt = 0; listeners.Count < count && attempt < ProbeAttempts + count; attempt++)
            {
                var port = belowEphemeral ? Random.Shared.Next(LowestPort, ephemeralLow) : 0;
                if (port != 0 && RecentlyHandedOut.ContainsKey(port))
                    continue;
                var listener = TryBind(port);
                if (listener is null)
                    continue;
                var bound = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (!RecentlyHandedOut.TryAdd(bound, DateTime.UtcNow))
                {
                    listener.Stop();
                    continue;
                }
                listeners.Add(listener);
            }
            if (listeners.Count < count)
                throw new EtcdSandboxException($"Could not find {count} free TCP ports on 127.0.0.1.");
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
                listener.Stop();
        }
    }

    private static TcpListener? TryBind(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return listener;
        }
        catch (SocketException)
        {
            listener.Stop();
            return null;
        }
    }

    private static (int Low, int High) ReadEphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range")
                .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && int.TryParse(parts[0], out var low) && int.TryParse(parts[1], out var high))
                return (low, high);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return (LowestPort, 65535); // unknown: fall back to bind(0)
    }

    private static void ForgetOldPorts()
    {
        var cutoff = DateTime.UtcNow - HandedOutMemory;
        foreach (var (port, when) in RecentlyHandedOut)
            if (when < cutoff)
                RecentlyHandedOut.TryRemove(port, out _);
    }
}
