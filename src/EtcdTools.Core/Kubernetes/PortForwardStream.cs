using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using EtcdTools.Protocol;
using k8s;

namespace EtcdTools.Kubernetes;

/// <summary>
/// The byte stream of one port-forward (v4.channel.k8s.io: channel 0 data, channel 1 errors, each
/// starting with the 2-byte port, which <see cref="StreamDemuxer"/> strips).
/// </summary>
/// <remarks>
/// KubernetesClient's MuxedStream overrides only the synchronous Read and Write, and its async
/// fallbacks share one lock, so a pending read (HTTP/2 always has one) blocks every write and TLS
/// and HTTP/2 over it hang. Here one dedicated thread does the blocking reads into a small queue
/// and writes go straight to the demuxer, asynchronously. When the forward ends, the error channel
/// and the pod are consulted, so a deleted pod ends reads with a clear
/// <see cref="EndpointConnectionException"/> instead of a bare end of stream.
/// </remarks>
internal sealed class PortForwardStream : Stream
{
    private const int ReadSize = 64 * 1024;
    private readonly WebSocket _socket;
    private readonly StreamDemuxer _demuxer;
    private readonly Stream _data;
    private readonly Stream _errors;
    private readonly PortForwardRoute _route;
    private readonly Func<CancellationToken, Task<string?>> _explainEnd;
    private readonly Channel<ReadOnlyMemory<byte>> _received = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly StringBuilder _errorText = new();
    private ReadOnlyMemory<byte> _current;
    private int _disposed;

    public PortForwardStream(WebSocket socket, PortForwardRoute route, Func<CancellationToken, Task<string?>> explainEnd)
    {
        _socket = socket;
        _route = route;
        _explainEnd = explainEnd;
        _demuxer = new StreamDemuxer(socket, StreamType.PortForward, ownsSocket: true);
        // The streams must exist before Start(): data arriving for a channel without a buffer is dropped.
        _data = _demuxer.GetStream((byte?)0, (byte?)0);
        _errors = _demuxer.GetStream((byte?)1, null);
        _demuxer.Start();
        new Thread(PumpData) { IsBackground = true, Name = $"port-forward {route}" }.Start();
        new Thread(PumpErrors) { IsBackground = true, Name = $"port-forward errors {route}" }.Start();
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    private void PumpData()
    {
        try
        {
            while (true)
            {
                var buffer = new byte[ReadSize];
                var read = _data.Read(buffer, 0, buffer.Length);
                if (read <= 0) break;
                // Blocks while the reader is behind: back-pressure instead of unbounded buffering.
                _received.Writer.WriteAsync(buffer.AsMemory(0, read)).AsTask().GetAwaiter().GetResult();
            }
            _received.Writer.TryComplete();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or WebSocketException or ChannelClosedException or InvalidOperationException)
        {
            _received.Writer.TryComplete(e);
        }
    }

    private void PumpErrors()
    {
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = _errors.Read(buffer, 0, buffer.Length)) > 0)
            {
                lock (_errorText) _errorText.Append(Encoding.UTF8.GetString(buffer, 0, read));
                // An error on the error channel ends this forward (the kubelet lost the connection to the
                // port, or the pod went away) even if the API server keeps the WebSocket open: fail the
                // reader now rather than leave HTTP/2 waiting on a silent stream.
                _received.Writer.TryComplete(new EndpointConnectionException(EtcdErrorKind.Unavailable, $"The port-forward to {_route} failed: {ErrorText}"));
                try { _socket.Abort(); } catch (ObjectDisposedException) { }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or WebSocketException or InvalidOperationException)
        {
            // The data pump reports the end; the error text so far is what there is.
        }
    }

    private string ErrorText
    {
        get { lock (_errorText) return _errorText.ToString().Trim(); }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_current.IsEmpty)
        {
            try
            {
                if (!await _received.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    await ThrowIfEndedByFaultAsync(null).ConfigureAwait(false);
                    return 0;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await ThrowIfEndedByFaultAsync(e).ConfigureAwait(false);
                if (e is EndpointConnectionException) throw;
                throw new EndpointConnectionException(EtcdErrorKind.Unavailable, $"The port-forward to {_route} failed: {e.Message}", e);
            }
            if (!_received.Reader.TryRead(out _current)) return 0;
        }
        var count = Math.Min(buffer.Length, _current.Length);
        _current[..count].CopyTo(buffer);
        _current = _current[count..];
        return count;
    }

    /// <summary>An end with text on the error channel, or with the pod gone, is a failure to report; else a plain close.</summary>
    private async Task ThrowIfEndedByFaultAsync(Exception? inner)
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        // The error channel's text may trail the close of the data channel by a moment.
        for (var i = 0; i < 10 && ErrorText.Length == 0 && _socket.State == WebSocketState.Open; i++)
            await Task.Delay(20).ConfigureAwait(false);
        var error = ErrorText;
        string? explanation = null;
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try { explanation = await _explainEnd(limit.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        if (error.Length == 0 && explanation is null) return;
        var why = string.Join("; ", new[] { explanation, error.Length == 0 ? null : $"the API server said: {error}" }.OfType<string>());
        throw new EndpointConnectionException(EtcdErrorKind.Unavailable, $"The port-forward to {_route} ended: {why}.", inner);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (buffer.IsEmpty) return;
        var array = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(buffer, out var segment)
            ? segment
            : new ArraySegment<byte>(buffer.ToArray());
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _demuxer.Write((byte)0, array.Array!, array.Offset, array.Count, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            await ThrowIfEndedByFaultAsync(e).ConfigureAwait(false);
            throw new EndpointConnectionException(EtcdErrorKind.Unavailable, $"The port-forward to {_route} is closed: {e.Message}", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush() { }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // Abort ends the demuxer's receive loop at once, which ends both pumps' blocking reads.
            try { _socket.Abort(); } catch (ObjectDisposedException) { }
            _received.Writer.TryComplete();
            _demuxer.Dispose();
            _writeLock.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>Where a port-forward goes: a pod's port.</summary>
internal sealed record PortForwardRoute(string Namespace, string Pod, string MemberName, int Port)
{
    public override string ToString() => $"pod {Namespace}/{Pod} port {Port}";
}
