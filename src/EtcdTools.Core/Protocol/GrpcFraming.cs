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

/// <summary>Reads framed messages from a response body, reusing one buffer so long streams stay flat in memory.</summary>
internal sealed class GrpcFrameReader(Stream body)
{
    private readonly byte[] _header = new byte[GrpcFraming.HeaderSize];
    private byte[] _buffer = new byte[64 * 1024];

    /// <summary>The next message, or null at the end of the body.</summary>
    public async ValueTask<T?> ReadMessageAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken) where T : class, IMessage<T>
    {
        var got = await body.ReadAtLeastAsync(_header, GrpcFraming.HeaderSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got == 0) return null;
        if (got < GrpcFraming.HeaderSize)
            throw new GrpcFramingException("the response ended inside a gRPC frame header");
        if (_header[0] != 0)
            throw new GrpcFramingException("the server sent a compressed message although no compression was negotiated");
        var length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(1));
        if (length > GrpcFraming.MaxMessageSize)
            throw new GrpcFramingException($"the server sent a message of {length} bytes, over the {GrpcFraming.MaxMessageSize} byte limit");
        if (_buffer.Length < length) _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
        await body.ReadExactlyAsync(_buffer.AsMemory(0, (int)length), cancellationToken).ConfigureAwait(false);
        return parser.ParseFrom(_buffer, 0, (int)length);
    }
}

internal sealed class GrpcFramingException(string message) : IOException(message);
