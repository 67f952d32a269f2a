using System.Net.WebSockets;

namespace EtcdTools.FakeKubernetes;

/// <summary>The channel framing of Kubernetes' streaming WebSockets: each binary message is [channel byte][payload].</summary>
internal sealed class ChannelSocket(WebSocket socket) : IDisposable
{
    private readonly SemaphoreSlim _send = new(1, 1);

    public async Task SendAsync(byte channel, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var message = new byte[payload.Length + 1];
        message[0] = channel;
        payload.CopyTo(message.AsMemory(1));
        await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _send.Release();
        }
    }

    public async Task TrySendAsync(byte channel, ReadOnlyMemory<byte> payload)
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await SendAsync(channel, payload, limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Hands each received message's payload to <paramref name="handler"/>; a message split into frames keeps its one channel byte.</summary>
    public async Task ReceiveLoopAsync(Func<byte, ReadOnlyMemory<byte>, Task> handler, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        byte? channel = null;
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close) return;
                var offset = 0;
                if (channel is null)
                {
                    if (result.Count == 0) continue;
                    channel = buffer[0];
                    offset = 1;
                }
                if (result.Count > offset) await handler(channel.Value, buffer.AsMemory(offset, result.Count - offset)).ConfigureAwait(false);
                if (result.EndOfMessage) channel = null;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    public void Dispose() => _send.Dispose();

    public async Task CloseAsync()
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
