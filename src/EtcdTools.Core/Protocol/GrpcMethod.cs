using Google.Protobuf;

namespace EtcdTools.Protocol;

/// <summary>One RPC: its HTTP/2 path and how to parse what comes back.</summary>
public sealed class GrpcMethod<TRequest, TResponse>
    where TRequest : IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public GrpcMethod(string service, string name, MessageParser<TResponse> responseParser)
    {
        Service = service;
        Name = name;
        ResponseParser = responseParser;
        Path = $"/{service}/{name}";
    }

    /// <summary>Fully qualified service, e.g. "etcdserverpb.KV".</summary>
    public string Service { get; }
    public string Name { get; }
    public string Path { get; }
    public MessageParser<TResponse> ResponseParser { get; }

    /// <summary>"KV.Range": short enough for error messages.</summary>
    public string DisplayName => $"{Service[(Service.LastIndexOf('.') + 1)..]}.{Name}";

    public override string ToString() => Path;
}
