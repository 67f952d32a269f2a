using System.Globalization;

namespace EtcdTools.Client;

/// <summary>Member IDs as etcdctl prints them: lowercase hex without padding ("8e9e05c52164694d").</summary>
public static class MemberId
{
    public static string Format(ulong id) => id.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>How messages name a member: "name (id)", or the ID alone for a member not started yet (no name).</summary>
    public static string Describe(string name, string id) => name.Length > 0 ? $"{name} ({id})" : id;

    public static bool TryParse(string? text, out ulong id)
    {
        id = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) s = s[2..];
        return s.Length is > 0 and <= 16 && ulong.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out id);
    }

    public static ulong Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException($"'{text}' is not an etcd member ID: give it in hex as etcdctl and Get-EtcdMember show it, e.g. 8e9e05c52164694d.");
}
