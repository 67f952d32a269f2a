namespace EtcdTools;

/// <summary>Messages built from other messages (etcd's, the transport's), punctuated once.</summary>
internal static class Sentence
{
    /// <summary>The text as a finished sentence: a full stop added unless it ends with one, a question or an exclamation mark already.</summary>
    public static string End(string text)
    {
        var trimmed = text.TrimEnd();
        return trimmed.Length == 0 || trimmed[^1] is '.' or '?' or '!' ? trimmed : trimmed + ".";
    }
}
