using System.Text;
using Google.Protobuf;

namespace EtcdTools.Keys;

/// <summary>
/// How keys and values are shown as text. etcd stores bytes: a value that is UTF-8 text (tabs and
/// line breaks allowed) is shown as is; anything else (Kubernetes' protobuf objects, encrypted
/// secrets, binary blobs) as "base64:" and its base64, so a terminal never receives raw control
/// bytes and the bytes can still be recovered from the text.
/// </summary>
public static class KeyValueText
{
    /// <summary>ValueEncoding of a value shown as its UTF-8 text.</summary>
    public const string Utf8 = "utf8";

    /// <summary>ValueEncoding of a value shown as <see cref="Base64Marker"/> + base64.</summary>
    public const string Base64 = "base64";

    /// <summary>ValueEncoding of a value withheld because it is a secret.</summary>
    public const string Redacted = "redacted";

    /// <summary>ValueEncoding when the value was not read (-KeysOnly, delete events).</summary>
    public const string None = "none";

    public const string Base64Marker = "base64:";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The value as text and the name of the encoding used for it.</summary>
    public static (string Text, string Encoding) Describe(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty) return (string.Empty, Utf8);
        if (TryDecodePrintable(value, out var text)) return (text, Utf8);
        return (Base64Marker + Convert.ToBase64String(value), Base64);
    }

    /// <summary>A key as text: keys are UTF-8 in practice; invalid bytes become U+FFFD.</summary>
    public static string DecodeKey(ByteString key) => key.ToStringUtf8();

    /// <summary>"&lt;redacted: N bytes&gt;", shown instead of a secret's value.</summary>
    public static string RedactedText(long length) => $"<redacted: {length} bytes>";

    private static bool TryDecodePrintable(ReadOnlySpan<byte> value, out string text)
    {
        text = string.Empty;
        try
        {
            text = StrictUtf8.GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        foreach (var c in text)
        {
            // Control characters (NUL in Kubernetes' "k8s\0" protobuf header, escape sequences) are not text to print.
            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r')) return false;
        }
        return true;
    }
}
