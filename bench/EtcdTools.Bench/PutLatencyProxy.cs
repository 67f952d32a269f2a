using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EtcdTools.Bench;

/// <summary>
/// A TCP proxy in front of one etcd member (plaintext HTTP/2) that times every gRPC call passing
/// through it: from the client's HEADERS frame opening a stream to the server's frame ending it.
/// It reads only HTTP/2 frame headers (no HPACK): a call counts as a put when its request body
/// is at least <see cref="Recording.MinRequestBytes"/> (a key and a value), which leaves out the
/// small calls both tools make around their load. So check perf (which prints no percentiles) and
/// our engine are timed at the same place, in the same way.
/// </summary>
internal sealed class PutLatencyProxy : IAsyncDisposable
{
    private const int FrameHeaderLength = 9;
    private const int PrefaceLength = 24; // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    private const byte DataFrame = 0x0, HeadersFrame = 0x1, ResetFrame = 0x3;
    private const byte EndStream = 0x1;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly TaskCompletionSource<Uri> _upstream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private volatile Recording? _recording;

    public PutLatencyProxy()
    {
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accepting = AcceptAsync();
    }

    /// <summary>What clients dial: the URL the member advertises.</summary>
    public Uri Url { get; }

    /// <summary>Where the member really listens; connections wait for it.</summary>
    public void Forward(Uri upstream) => _upstream.TrySetResult(upstream);

    /// <summary>Times the puts from now until <see cref="Stop"/>.</summary>
    public void Record(Recording recording) => _recording = recording;

    public void Stop() => _recording = null;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_closing.Token);
                lock (_connections) _connections.Add(RelayAsync(client));
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        {
            var upstream = await _upstream.Task;
            using var server = new TcpClient { NoDelay = true };
            client.NoDelay = true;
            try
            {
                await server.ConnectAsync(upstream.Host, upstream.Port, _closing.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                return;
            }
            var streams = new Dictionary<int, (long Start, long RequestBytes, Recording? Recording)>();
            using var done = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
            var up = PumpAsync(client.GetStream(), server.GetStream(), fromClient: true, streams, done.Token);
            var down = PumpAsync(server.GetStream(), client.GetStream(), fromClient: false, streams, done.Token);
            await Task.WhenAny(up, down);
            await done.CancelAsync();
            try { await Task.WhenAll(up, down); } catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
        }
    }

    /// <summary>Copies bytes one way as they come, reading the frame headers on the way.</summary>
    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool fromClient, Dictionary<int, (long Start, long RequestBytes, Recording? Recording)> streams, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var header = new byte[FrameHeaderLength];
        var skip = fromClient ? PrefaceLength : 0; // bytes of payload (or the preface) still to pass
        var headerFill = 0;
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, cancellationToken);
                if (read == 0) return;
                var now = Stopwatch.GetTimestamp();
                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                var at = 0;
                while (at < read)
                {
                    if (skip > 0)
                    {
                        var passed = Math.Min(skip, read - at);
                        skip -= passed;
                        at += passed;
                        continue;
                    }
                    var take = Math.Min(FrameHeaderLength - headerFill, read - at);
                    buffer.AsSpan(at, take).CopyTo(header.AsSpan(headerFill));
                    headerFill += take;
                    at += take;
                    if (headerFill < FrameHeaderLength) break;
                    headerFill = 0;
                    var length = (header[0] << 16) | (header[1] << 8) | header[2];
                    skip = length;
                    OnFrame(header[3], header[4], (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7fffffff), length, fromClient, now, streams);
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The other side closed: the relay ends.
        }
    }

    private void OnFrame(byte type, byte flags, int stream, int length, bool fromClient, long now, Dictionary<int, (long Start, long RequestBytes, Recording? Recording)> streams)
    {
        if (stream == 0) return;
        lock (streams)
        {
            if (fromClient)
            {
                if (type == HeadersFrame && !streams.ContainsKey(stream)) streams[stream] = (now, 0, _recording);
                else if (type == DataFrame && streams.TryGetValue(stream, out var state)) streams[stream] = state with { RequestBytes = state.RequestBytes + length };
                else if (type == ResetFrame) streams.Remove(stream);
                return;
            }
            if (type == ResetFrame) { streams.Remove(stream); return; }
            if ((type == HeadersFrame || type == DataFrame) && (flags & EndStream) != 0 && streams.Remove(stream, out var ended)
                && ended.Recording is { } recording && ended.RequestBytes >= recording.MinRequestBytes)
                recording.Add(ended.Start, now);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] open;
        lock (_connections) open = [.. _connections];
        await Task.WhenAll(open);
        _closing.Dispose();
    }
}

/// <summary>The puts timed by the proxies during one tool's run.</summary>
internal sealed class Recording(int minRequestBytes)
{
    private readonly List<double> _latenciesMs = [];
    private long _first = long.MaxValue, _last;

    public int MinRequestBytes { get; } = minRequestBytes;

    public void Add(long start, long end)
    {
        lock (_latenciesMs)
        {
            _latenciesMs.Add((end - start) * 1000.0 / Stopwatch.Frequency);
            _first = Math.Min(_first, start);
            _last = Math.Max(_last, end);
        }
    }

    public int Count { get { lock (_latenciesMs) return _latenciesMs.Count; } }

    /// <summary>Puts per second from the first put's start to the last one's end.</summary>
    public double Throughput { get { lock (_latenciesMs) return _latenciesMs.Count == 0 ? 0 : _latenciesMs.Count / ((_last - _first) / (double)Stopwatch.Frequency); } }

    public double[] Sorted()
    {
        lock (_latenciesMs) return [.. _latenciesMs.Order()];
    }
}
