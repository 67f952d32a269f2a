using System.Globalization;

namespace EtcdTools.Keys;

/// <summary>Lease IDs as etcdctl prints and parses them: hex without padding ("694d7d9f7d3f8a0b").</summary>
public static class LeaseId
{
    public static string Format(long id) => id.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Parses hex, with or without "0x"; "0" means no lease.</summary>
    public static bool TryParse(string? text, out long id)
    {
        id = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) s = s[2..];
        return s.Length is > 0 and <= 16
            && long.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out id)
            && id >= 0;
    }

    public static long Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException($"'{text}' is not an etcd lease ID: give it in hex as etcdctl prints it, e.g. 694d7d9f7d3f8a0b.");
}
