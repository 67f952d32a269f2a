using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;

namespace EtcdTools.Protocol;

/// <summary>gRPC's length-prefixed message framing: [compressed flag:1][length:4, big-endian][message].</summary>
internal static class GrpcFraming
{
    public const int HeaderSize = 5;

    /// <summary>gRPC-go's default receive limit is 4 MiB but etcd raises its own send limit; stay generous.</summary>
    public const int MaxMessageSize = 512 * 1024 * 1024;

    public static byte[] Frame(IMessage message)
    {
        var size = message.CalculateSize();
        var buffer = new byte[HeaderSize + size];
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(1), (uint)size);
        message.WriteTo(buffer.AsSpan(HeaderSize));
        return buffer;
    }
}

/// <summary>
/// Reads framed messages from a response body into one pooled buffer, many frames per read, so long
/// streams stay flat in memory and a bulk stream (a snapshot) costs no allocation per message.
/// Dispose returns the buffer to the pool.
/// </summary>
internal sealed class GrpcFrameReader(Stream body, int bufferSize = GrpcFrameReader.DefaultBufferSize) : IDisposable
{
    public const int DefaultBufferSize = 64 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
    private int _start;
    private int _end;

    /// <summary>The next message, or null at the end of the body.</summary>
    public async ValueTask<T?> ReadMessageAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken) where T : class, IMessage<T> =>
        await ReadRawAsync(cancellationToken).ConfigureAwait(false) is { } message ? parser.ParseFrom(message.Span) : null;

    /// <summary>
    /// The next message's bytes, or null at the end of the body. They stay valid until the next
    /// read: the buffer is reused.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadRawAsync(CancellationToken cancellationToken)
    {
        while (_end - _start < GrpcFraming.HeaderSize)
        {
            if (await FillAsync(GrpcFraming.HeaderSize, cancellationToken).ConfigureAwait(false)) continue;
            if (_end == _start) return null;
            throw new GrpcFramingException("the response ended inside a gRPC frame header");
        }
        if (_buffer[_start] != 0)
            throw new GrpcFramingException("the server sent a compressed message although no compression was negotiated");
        var length = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start + 1));
        if (length > GrpcFraming.MaxMessageSize)
            throw new GrpcFramingException($"the server sent a message of {length} bytes, over the {GrpcFraming.MaxMessageSize} byte limit");
        var frame = GrpcFraming.HeaderSize + (int)length;
        while (_end - _start < frame)
        {
            if (!await FillAsync(frame, cancellationToken).ConfigureAwait(false))
                throw new GrpcFramingException($"the response ended inside a message of {length} bytes");
        }
        var message = _buffer.AsMemory(_start + GrpcFraming.HeaderSize, (int)length);
        _start += frame;
        return message;
    }

    /// <summary>Reads the rest of the body, which must be empty: after a unary call's one message, without touching the buffer that holds it.</summary>
    public async ValueTask ExpectEndAsync(CancellationToken cancellationToken)
    {
        var scratch = new byte[1];
        if (_end > _start || await body.ReadAsync(scratch, cancellationToken).ConfigureAwait(false) > 0)
            throw new GrpcFramingException("the server sent more than one message for a unary call");
    }

    /// <summary>Reads what the body has into the free end of the buffer, first making room for a frame of <paramref name="frame"/> bytes; false at its end.</summary>
    private async ValueTask<bool> FillAsync(int frame, CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_buffer.Length - _start < frame || _buffer.Length - _end < _buffer.Length / 4)
        {
            // Move the partial frame to the front; grow first when the frame would not fit at all.
            var pending = _end - _start;
            var target = _buffer.Length < frame ? ArrayPool<byte>.Shared.Rent(frame) : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, pending);
            if (!ReferenceEquals(target, _buffer))
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = target;
            }
            _start = 0;
            _end = pending;
        }
        var read = await body.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        _end += read;
        return read > 0;
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}

internal sealed class GrpcFramingException(string message) : IOException(message);
