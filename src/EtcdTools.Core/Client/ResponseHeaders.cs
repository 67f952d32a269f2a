using System.Collections.Concurrent;
using EtcdTools.Protocol.Etcdserverpb;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace EtcdTools.Client;

/// <summary>
/// The ResponseHeader every etcd response carries (field "header"), read through the message's
/// descriptor, so one check of the cluster ID covers every RPC.
/// </summary>
internal static class ResponseHeaders
{
    private static readonly ConcurrentDictionary<MessageDescriptor, FieldDescriptor?> HeaderFields = new();

    public static ResponseHeader? Of(IMessage message)
    {
        var field = HeaderFields.GetOrAdd(message.Descriptor,
            d => d.FindFieldByName("header") is { FieldType: FieldType.Message } f && f.MessageType == ResponseHeader.Descriptor ? f : null);
        return field?.Accessor.GetValue(message) as ResponseHeader;
    }
}
