using System.Text.RegularExpressions;

namespace EtcdTools.FakeKubernetes;

/// <summary>Kubernetes label selectors: k=v, k==v, k!=v, k, !k, k in (a,b), k notin (a,b), joined by commas.</summary>
internal sealed partial class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _requirements = [];

    public static LabelSelector Parse(string text)
    {
        var selector = new LabelSelector();
        foreach (var part in SplitTopLevel(text))
        {
            var requirement = part.Trim();
            if (requirement.Length == 0) continue;
            Match m;
            if ((m = SetPattern().Match(requirement)).Success)
            {
                var key = m.Groups[1].Value;
                var values = m.Groups[3].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
                var notIn = m.Groups[2].Value == "notin";
                selector._requirements.Add(labels => labels.TryGetValue(key, out var v) ? values.Contains(v) != notIn : notIn);
            }
            else if (requirement.Contains("!=", StringComparison.Ordinal))
            {
                var (key, value) = Split(requirement, "!=");
                selector._requirements.Add(labels => !labels.TryGetValue(key, out var v) || v != value);
            }
            else if (requirement.Contains('=', StringComparison.Ordinal))
            {
                var (key, value) = Split(requirement, requirement.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                selector._requirements.Add(labels => labels.TryGetValue(key, out var v) && v == value);
            }
            else if (requirement.StartsWith('!'))
            {
                var key = requirement[1..].Trim();
                selector._requirements.Add(labels => !labels.ContainsKey(key));
            }
            else
            {
                selector._requirements.Add(labels => labels.ContainsKey(requirement));
            }
        }
        return selector;
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r(labels));

    private static (string Key, string Value) Split(string requirement, string op)
    {
        var at = requirement.IndexOf(op, StringComparison.Ordinal);
        return (requirement[..at].Trim(), requirement[(at + op.Length)..].Trim());
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    [GeneratedRegex(@"^([^\s!=]+)\s+(in|notin)\s*\(([^)]*)\)$")]
    private static partial Regex SetPattern();
}
