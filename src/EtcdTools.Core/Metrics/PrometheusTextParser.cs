using System.Buffers;
using System.Globalization;
using System.Text;

namespace EtcdTools.Metrics;

/// <summary>
/// Reads the Prometheus text exposition format (version 0.0.4, what etcd serves on /metrics):
/// HELP and TYPE lines, counters, gauges, histograms (_bucket with le, _sum, _count), summaries and
/// untyped samples, label values with the escapes \\ \" \n, the values +Inf, -Inf and NaN, and
/// optional timestamps. A malformed line is recorded as a <see cref="MetricsParseProblem"/> with its
/// line number and skipped; it never throws.
/// <para>
/// Built for repeated scrapes of the same member: the parser keeps the names, label values and label
/// sets it has seen and hands out the same instances next time, so a parse of a page it knows
/// allocates little more than the samples. Families the caller does not want are skipped without
/// being read. Thread-safe (parses run one at a time).
/// </para>
/// </summary>
public sealed class PrometheusTextParser
{
    /// <summary>Strings and label sets remembered at most; past it, new ones are made per parse (a page with ever-changing label values).</summary>
    private const int MaxRemembered = 50_000;

    private const int MaxLineInProblem = 200;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _stringLookup;
    private readonly Dictionary<string, MetricLabels> _labelSets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MetricLabels>.AlternateLookup<ReadOnlySpan<char>> _labelSetLookup;

    public PrometheusTextParser()
    {
        _stringLookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
        _labelSetLookup = _labelSets.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public MetricSet Parse(string text, Func<string, bool>? includeFamily = null) => Parse(text.AsSpan(), includeFamily);

    /// <summary>Parses UTF-8 bytes, as a /metrics response body arrives.</summary>
    public MetricSet ParseUtf8(ReadOnlySpan<byte> utf8, Func<string, bool>? includeFamily = null)
    {
        var buffer = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(utf8.Length));
        try
        {
            var length = Encoding.UTF8.GetChars(utf8, buffer);
            return Parse(buffer.AsSpan(0, length), includeFamily);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Parses a whole page. <paramref name="includeFamily"/>, when given, is asked once per family
    /// name (a histogram's base name); the lines of families it refuses are skipped unread.
    /// </summary>
    public MetricSet Parse(ReadOnlySpan<char> text, Func<string, bool>? includeFamily = null)
    {
        lock (_gate)
        {
            var state = new ParseState(includeFamily);
            var lineNumber = 0;
            while (!text.IsEmpty)
            {
                lineNumber++;
                var end = text.IndexOf('\n');
                var line = end < 0 ? text : text[..end];
                text = end < 0 ? default : text[(end + 1)..];
                line = line.Trim(" \t\r");
                if (line.IsEmpty) continue;
                if (line[0] == '#') ReadComment(line, lineNumber, state);
                else ReadSample(line, lineNumber, state);
            }
            return new MetricSet(state.Families, state.Problems);
        }
    }

    /// <summary>What one parse builds: families in page order, by name, and the problems met.</summary>
    private sealed class ParseState(Func<string, bool>? includeFamily)
    {
        public List<MetricFamily> Families { get; } = [];
        public List<MetricsParseProblem> Problems { get; } = [];
        public Dictionary<string, FamilyEntry> ByName { get; } = new(StringComparer.Ordinal);
        public FamilyEntry? Current { get; set; }

        public Dictionary<string, FamilyEntry>.AlternateLookup<ReadOnlySpan<char>> Lookup => ByName.GetAlternateLookup<ReadOnlySpan<char>>();

        public bool Wants(string name) => includeFamily is null || includeFamily(name);

        /// <summary>The entry for a new family name; a family the caller does not want is remembered as skipped.</summary>
        public FamilyEntry Add(string name, MetricType type, bool? wanted = null)
        {
            var family = wanted ?? Wants(name) ? new MetricFamily(name, type, null) : null;
            if (family is not null) Families.Add(family);
            var entry = new FamilyEntry(name, family);
            ByName[name] = entry;
            return entry;
        }
    }

    /// <summary>A family of this parse; <see cref="Family"/> is null when the caller skips it.</summary>
    private sealed class FamilyEntry(string name, MetricFamily? family)
    {
        public string Name { get; } = name;
        public MetricFamily? Family { get; } = family;
        public MetricType Type { get; set; } = family?.Type ?? MetricType.Untyped;
        public bool Declared { get; set; }
        public bool HasHelp { get; set; }
        public bool HasSamples { get; set; }
    }

    private void ReadComment(ReadOnlySpan<char> line, int lineNumber, ParseState state)
    {
        var rest = line[1..].TrimStart(" \t");
        var isHelp = rest.StartsWith("HELP", StringComparison.Ordinal);
        var isType = rest.StartsWith("TYPE", StringComparison.Ordinal);
        // Any other comment, or "# HELPER ...", is just a comment.
        if ((!isHelp && !isType) || (rest.Length > 4 && rest[4] != ' ' && rest[4] != '\t')) return;
        rest = rest[4..].TrimStart(" \t");
        var nameLength = MetricNameLength(rest);
        if (nameLength == 0 || (nameLength < rest.Length && rest[nameLength] != ' ' && rest[nameLength] != '\t'))
        {
            Problem(state, lineNumber, $"{(isHelp ? "HELP" : "TYPE")} must be followed by a metric name.", line);
            return;
        }
        var nameSpan = rest[..nameLength];
        var argument = rest[nameLength..].TrimStart(" \t");
        var lookup = state.Lookup;
        lookup.TryGetValue(nameSpan, out var entry);

        if (isType)
        {
            if (!TryParseType(argument, out var type))
            {
                Problem(state, lineNumber, $"'{argument.ToString()}' is not a metric type: counter, gauge, histogram, summary or untyped.", line);
                return;
            }
            if (entry is null) entry = state.Add(Intern(nameSpan), type);
            else if (entry.Declared)
            {
                Problem(state, lineNumber, $"A second TYPE line for {entry.Name}.", line);
                return;
            }
            else if (entry.HasSamples)
            {
                Problem(state, lineNumber, $"The TYPE of {entry.Name} comes after its samples.", line);
                return;
            }
            entry.Type = type;
            entry.Declared = true;
            if (entry.Family is { } family) family.Type = type;
            state.Current = entry;
            return;
        }

        entry ??= state.Add(Intern(nameSpan), MetricType.Untyped);
        if (entry.HasHelp)
        {
            Problem(state, lineNumber, $"A second HELP line for {entry.Name}.", line);
            return;
        }
        entry.HasHelp = true;
        if (entry.Family is { } helped) helped.Help = UnescapeHelp(argument);
    }

    private static bool TryParseType(ReadOnlySpan<char> text, out MetricType type)
    {
        type = text switch
        {
            "counter" => MetricType.Counter,
            "gauge" => MetricType.Gauge,
            "histogram" => MetricType.Histogram,
            "summary" => MetricType.Summary,
            "untyped" or "unknown" => MetricType.Untyped,
            _ => (MetricType)(-1),
        };
        return type >= 0;
    }

    /// <summary>HELP text escapes a backslash as \\ and a line feed as \n; any other backslash stays as it is.</summary>
    private static string UnescapeHelp(ReadOnlySpan<char> text)
    {
        if (text.IndexOf('\\') < 0) return text.ToString();
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '\\' or 'n')
            {
                result.Append(text[++i] == 'n' ? '\n' : '\\');
            }
            else result.Append(text[i]);
        }
        return result.ToString();
    }

    private void ReadSample(ReadOnlySpan<char> line, int lineNumber, ParseState state)
    {
        var nameLength = MetricNameLength(line);
        if (nameLength == 0)
        {
            Problem(state, lineNumber, "Not a sample, comment or blank line: a metric name starts with a letter, '_' or ':'.", line);
            return;
        }
        var name = line[..nameLength];
        var entry = FindFamily(state, name);
        string? newName = null;
        if (entry is null && !state.Wants(newName = Intern(name)))
        {
            state.Add(newName, MetricType.Untyped, wanted: false);
            return;
        }
        if (entry is { Family: null }) return; // a family the caller skips: not read at all

        var rest = line[nameLength..];
        var separated = rest.Length > 0 && rest[0] is ' ' or '\t';
        rest = rest.TrimStart(" \t");
        var labels = MetricLabels.Empty;
        if (!rest.IsEmpty && rest[0] == '{')
        {
            var close = LabelBlockEnd(rest);
            if (close < 0)
            {
                Problem(state, lineNumber, "The label set is not closed: a '}' or a '\"' is missing.", line);
                return;
            }
            var parsed = ReadLabels(rest[1..close], out var error);
            if (parsed is null)
            {
                Problem(state, lineNumber, error!, line);
                return;
            }
            labels = parsed;
            rest = rest[(close + 1)..];
            separated = true;
            rest = rest.TrimStart(" \t");
        }
        if (rest.IsEmpty)
        {
            Problem(state, lineNumber, $"The sample {name.ToString()} has no value.", line);
            return;
        }
        if (!separated)
        {
            Problem(state, lineNumber, $"'{line[..Math.Min(line.Length, nameLength + 1)].ToString()}' is not a metric name.", line);
            return;
        }
        var valueEnd = rest.IndexOfAny(' ', '\t');
        var valueText = valueEnd < 0 ? rest : rest[..valueEnd];
        if (!TryParseValue(valueText, out var value))
        {
            Problem(state, lineNumber, $"'{valueText.ToString()}' is not a sample value: a number, +Inf, -Inf or NaN.", line);
            return;
        }
        long? timestamp = null;
        if (valueEnd >= 0)
        {
            rest = rest[valueEnd..].TrimStart(" \t");
            var timestampEnd = rest.IndexOfAny(' ', '\t');
            var timestampText = timestampEnd < 0 ? rest : rest[..timestampEnd];
            if (!rest.IsEmpty)
            {
                if (!long.TryParse(timestampText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var milliseconds))
                {
                    Problem(state, lineNumber, $"'{timestampText.ToString()}' is not a timestamp: milliseconds since 1970 as a whole number.", line);
                    return;
                }
                if (timestampEnd >= 0 && !rest[timestampEnd..].Trim(" \t").IsEmpty)
                {
                    Problem(state, lineNumber, "Unexpected text after the timestamp.", line);
                    return;
                }
                timestamp = milliseconds;
            }
        }

        entry ??= state.Add(newName!, MetricType.Untyped, wanted: true);
        var family = entry.Family!;
        if (entry.Type == MetricType.Histogram && name.EndsWith("_bucket", StringComparison.Ordinal)
            && (labels["le"] is not { } le || !TryParseValue(le, out _)))
        {
            Problem(state, lineNumber, $"The histogram bucket of {entry.Name} has no valid 'le' label.", line);
            return;
        }
        if (entry.Type == MetricType.Summary && name.Length == entry.Name.Length
            && (labels["quantile"] is not { } quantile || !TryParseValue(quantile, out _)))
        {
            Problem(state, lineNumber, $"The summary sample of {entry.Name} has no valid 'quantile' label.", line);
            return;
        }
        entry.HasSamples = true;
        state.Current = entry;
        family.Add(new MetricSample(name.Length == entry.Name.Length ? entry.Name : Intern(name), labels, value, timestamp));
    }

    /// <summary>
    /// The family a sample name belongs to: the one being read (a histogram's X_bucket, X_sum and
    /// X_count belong to X), else one named earlier; null for a family not seen yet (an untyped sample).
    /// </summary>
    private static FamilyEntry? FindFamily(ParseState state, ReadOnlySpan<char> name)
    {
        if (state.Current is { } current && Belongs(name, current)) return current;
        var lookup = state.Lookup;
        if (lookup.TryGetValue(name, out var exact) && exact.Type is not (MetricType.Histogram or MetricType.Summary)) return exact;
        foreach (var suffix in (ReadOnlySpan<string>)["_bucket", "_sum", "_count"])
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && lookup.TryGetValue(name[..^suffix.Length], out var parent) && Belongs(name, parent))
                return parent;
        }
        return exact;
    }

    private static bool Belongs(ReadOnlySpan<char> name, FamilyEntry entry)
    {
        if (!name.StartsWith(entry.Name, StringComparison.Ordinal)) return false;
        var suffix = name[entry.Name.Length..];
        if (suffix.IsEmpty) return entry.Type != MetricType.Histogram;
        return entry.Type switch
        {
            MetricType.Histogram => suffix is "_bucket" or "_sum" or "_count",
            MetricType.Summary => suffix is "_sum" or "_count",
            _ => false,
        };
    }

    /// <summary>The index of the '}' closing a label set that starts with '{' at 0, honouring quoted values; -1 if none.</summary>
    private static int LabelBlockEnd(ReadOnlySpan<char> text)
    {
        var quoted = false;
        for (var i = 1; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '\\') i++;
                else if (c == '"') quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == '}') return i;
        }
        return -1;
    }

    /// <summary>The labels of the text between the braces, shared with earlier samples of the same text; null with <paramref name="error"/> when malformed.</summary>
    private MetricLabels? ReadLabels(ReadOnlySpan<char> text, out string? error)
    {
        error = null;
        if (_labelSetLookup.TryGetValue(text, out var known)) return known;
        var labels = new List<KeyValuePair<string, string>>(4);
        var buffer = text.Length <= 256 ? stackalloc char[256] : new char[text.Length];
        var i = 0;
        while (true)
        {
            while (i < text.Length && text[i] is ' ' or '\t') i++;
            if (i == text.Length) break;
            var nameStart = i;
            if (!IsLabelNameStart(text[i]))
            {
                error = $"'{text[i]}' cannot start a label name: label names are letters, digits and '_', not starting with a digit.";
                return null;
            }
            while (i < text.Length && IsLabelNameChar(text[i])) i++;
            var labelName = text[nameStart..i];
            while (i < text.Length && text[i] is ' ' or '\t') i++;
            if (i == text.Length || text[i] != '=')
            {
                error = $"The label {labelName.ToString()} has no '=' after its name.";
                return null;
            }
            i++;
            while (i < text.Length && text[i] is ' ' or '\t') i++;
            if (i == text.Length || text[i] != '"')
            {
                error = $"The value of the label {labelName.ToString()} is not in double quotes.";
                return null;
            }
            i++;
            var length = 0;
            var closed = false;
            while (i < text.Length)
            {
                var c = text[i++];
                if (c == '"')
                {
                    closed = true;
                    break;
                }
                if (c == '\\')
                {
                    if (i == text.Length) break;
                    var escaped = text[i++];
                    c = escaped switch
                    {
                        '\\' => '\\',
                        '"' => '"',
                        'n' => '\n',
                        _ => '\0',
                    };
                    if (c == '\0')
                    {
                        error = $"The value of the label {labelName.ToString()} has the escape \\{escaped}: only \\\\, \\\" and \\n are allowed.";
                        return null;
                    }
                }
                buffer[length++] = c;
            }
            if (!closed)
            {
                error = $"The value of the label {labelName.ToString()} is not closed with '\"'.";
                return null;
            }
            var key = Intern(labelName);
            foreach (var existing in labels)
            {
                if (ReferenceEquals(existing.Key, key) || string.Equals(existing.Key, key, StringComparison.Ordinal))
                {
                    error = $"The label {key} appears twice.";
                    return null;
                }
            }
            labels.Add(new KeyValuePair<string, string>(key, Intern(buffer[..length])));
            while (i < text.Length && text[i] is ' ' or '\t') i++;
            if (i == text.Length) break;
            if (text[i] != ',')
            {
                error = $"Labels must be separated by ',': found '{text[i]}' after the label {key}.";
                return null;
            }
            i++;
        }
        var result = labels.Count == 0 ? MetricLabels.Empty : new MetricLabels([.. labels]);
        if (_labelSets.Count < MaxRemembered) _labelSets[text.ToString()] = result;
        return result;
    }

    /// <summary>The one instance of this text, made once.</summary>
    private string Intern(ReadOnlySpan<char> text)
    {
        if (_stringLookup.TryGetValue(text, out var known)) return known;
        var made = text.ToString();
        if (_strings.Count < MaxRemembered) _strings[made] = made;
        return made;
    }

    /// <summary>
    /// A sample value as Go's ParseFloat reads it for Prometheus: a decimal or exponent number, or
    /// (in any letter case) Inf, +Inf, -Inf, Infinity or NaN.
    /// </summary>
    public static bool TryParseValue(ReadOnlySpan<char> text, out double value)
    {
        if (text.IsEmpty)
        {
            value = 0;
            return false;
        }
        var unsigned = text[0] is '+' or '-' ? text[1..] : text;
        if (unsigned.Equals("Inf", StringComparison.OrdinalIgnoreCase) || unsigned.Equals("Infinity", StringComparison.OrdinalIgnoreCase))
        {
            value = text[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        if (text.Equals("NaN", StringComparison.OrdinalIgnoreCase))
        {
            value = double.NaN;
            return true;
        }
        // Letters beyond an exponent (e.g. "Infinity" in .NET's own spelling) were handled above; refuse the rest.
        foreach (var c in text)
        {
            if (!(char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-'))
            {
                value = 0;
                return false;
            }
        }
        return double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The length of the metric name at the start of <paramref name="text"/> ([a-zA-Z_:][a-zA-Z0-9_:]*); 0 if none.</summary>
    private static int MetricNameLength(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || !(char.IsAsciiLetter(text[0]) || text[0] is '_' or ':')) return 0;
        var i = 1;
        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or ':')) i++;
        return i;
    }

    private static bool IsLabelNameStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsLabelNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private static void Problem(ParseState state, int lineNumber, string message, ReadOnlySpan<char> line) =>
        state.Problems.Add(new MetricsParseProblem(lineNumber, message,
            line.Length > MaxLineInProblem ? string.Concat(line[..MaxLineInProblem], "...") : line.ToString()));
}
