using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace EtcdTools.Kubernetes;

/// <summary>
/// A local TCP port on 127.0.0.1 forwarded to one member's port in its pod: each accepted
/// connection becomes its own port-forward over the API server. For tools that need a plain
/// endpoint, such as etcdctl.
/// </summary>
public sealed class EtcdLocalPortForward : IDisposable
{
    private static readonly ConcurrentDictionary<EtcdLocalPortForward, byte> Active = new();
    private readonly TcpListener _listener;
    private readonly PortForwardConnector _connector;
    private readonly PortForwardRoute _route;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<TcpClient, byte> _clients = new();
    private int _connections;
    private int _disposed;

    private EtcdLocalPortForward(TcpListener listener, PortForwardConnector connector, PortForwardRoute route, string scheme)
    {
        _listener = listener;
        _connector = connector;
        _route = route;
        LocalPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        Endpoint = $"{scheme}://127.0.0.1:{LocalPort}";
        Started = DateTimeOffset.UtcNow;
    }

    public string MemberName => _route.MemberName;
    public string Namespace => _route.Namespace;
    public string Pod => _route.Pod;
    public int PodPort => _route.Port;
    public int LocalPort { get; }

    /// <summary>The URL to give etcdctl (--endpoints): the member's scheme on 127.0.0.1 and the local port.</summary>
    public string Endpoint { get; }
    public DateTimeOffset Started { get; }

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public bool IsRunning => Volatile.Read(ref _disposed) == 0;

    /// <summary>The forwards of this process not yet stopped.</summary>
    public static IReadOnlyList<EtcdLocalPortForward> Running => Active.Keys.OrderBy(f => f.LocalPort).ToList();

    internal static EtcdLocalPortForward Start(PortForwardConnector connector, PortForwardRoute route, string scheme, int localPort)
    {
        if (localPort is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(localPort), localPort, "A local port is 0 (any free port) to 65535.");
        var listener = new TcpListener(IPAddress.Loopback, localPort);
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new KubernetesException(KubernetesErrorKind.Failed, $"The local port {localPort} for member {route.MemberName} cannot be used: {e.Message}", innerException: e);
        }
        var forward = new EtcdLocalPortForward(listener, connector, route, scheme);
        Active.TryAdd(forward, 0);
        _ = forward.AcceptLoopAsync();
        return forward;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            Interlocked.Increment(ref _connections);
            _clients.TryAdd(client, 0);
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        try
        {
            client.NoDelay = true;
            await using var local = client.GetStream();
            await using var remote = await _connector.OpenAsync(_route, _stop.Token).ConfigureAwait(false);
            using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var up = CopyAsync(local, remote, done.Token);
            var down = CopyAsync(remote, local, done.Token);
            await Task.WhenAny(up, down).ConfigureAwait(false);
            await done.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The local client sees its connection closed, as with kubectl port-forward; the next connection tries again.
        }
        finally
        {
            _clients.TryRemove(client, out _);
            client.Dispose();
        }
    }

    private static async Task CopyAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                await to.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Stops listening and closes every forwarded connection.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Active.TryRemove(this, out _);
        _stop.Cancel();
        _listener.Stop();
        _listener.Dispose();
        foreach (var client in _clients.Keys) client.Dispose();
        _stop.Dispose();
    }

    public override string ToString() => $"{Endpoint} -> {_route}";
}
