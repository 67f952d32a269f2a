using System.Globalization;
using System.Text;

namespace EtcdTools.Module.Tests.Infrastructure;

/// <summary>
/// Reads the subset of PowerShell data-file syntax a module manifest uses, without PowerShell:
/// one hashtable <c>@{ }</c> whose values are 'strings', "strings" (no variables), numbers,
/// $true/$false/$null, arrays (<c>@( )</c> or comma lists) and nested hashtables; # and &lt;# #&gt;
/// comments. Anything else, such as an expression, is an error, as it would be for Import-PowerShellDataFile.
/// Hashtables become case-insensitive dictionaries, arrays object?[] lists.
/// </summary>
public sealed class PowerShellDataFile
{
    private readonly string _text;
    private int _position;

    private PowerShellDataFile(string text)
    {
        _text = text;
    }

    public static Dictionary<string, object?> Parse(string text)
    {
        var parser = new PowerShellDataFile(text);
        parser.SkipTrivia(includeNewLines: true);
        var result = parser.ReadHashtable();
        parser.SkipTrivia(includeNewLines: true);
        if (!parser.AtEnd) throw parser.Failure("text after the closing '}' of the data file");
        return result;
    }

    public static Dictionary<string, object?> Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>A value as a list of strings: a single string, or an array of strings (@() is empty).</summary>
    public static IReadOnlyList<string> StringList(object? value) => value switch
    {
        null => [],
        string s => [s],
        IEnumerable<object?> items => items.Select(i => i as string ?? throw new FormatException($"expected strings, found {i?.GetType().Name ?? "$null"}")).ToList(),
        _ => throw new FormatException($"expected a string or an array of strings, found {value.GetType().Name}"),
    };

    private bool AtEnd => _position >= _text.Length;
    private char Current => _text[_position];

    private FormatException Failure(string problem)
    {
        var line = 1 + _text.Take(Math.Min(_position, _text.Length)).Count(c => c == '\n');
        return new FormatException($"line {line}: {problem}");
    }

    private void SkipTrivia(bool includeNewLines)
    {
        while (!AtEnd)
        {
            var c = Current;
            if (c == '\n' && !includeNewLines) return;
            if (char.IsWhiteSpace(c))
            {
                _position++;
            }
            else if (c == '#')
            {
                while (!AtEnd && Current != '\n') _position++;
            }
            else if (c == '<' && Peek(1) == '#')
            {
                var end = _text.IndexOf("#>", _position + 2, StringComparison.Ordinal);
                if (end < 0) throw Failure("block comment '<#' is not closed");
                _position = end + 2;
            }
            else if (c == '`' && (Peek(1) == '\n' || (Peek(1) == '\r' && Peek(2) == '\n')))
            {
                // Line continuation.
                _position += Peek(1) == '\n' ? 2 : 3;
            }
            else
            {
                return;
            }
        }
    }

    private char Peek(int offset) => _position + offset < _text.Length ? _text[_position + offset] : '\0';

    private void Expect(string token)
    {
        if (string.CompareOrdinal(_text, _position, token, 0, token.Length) != 0) throw Failure($"expected '{token}'");
        _position += token.Length;
    }

    private Dictionary<string, object?> ReadHashtable()
    {
        Expect("@{");
        var table = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            SkipTrivia(includeNewLines: true);
            while (!AtEnd && Current == ';')
            {
                _position++;
                SkipTrivia(includeNewLines: true);
            }

            if (AtEnd) throw Failure("hashtable is not closed with '}'");
            if (Current == '}')
            {
                _position++;
                return table;
            }

            var key = ReadKey();
            SkipTrivia(includeNewLines: false);
            Expect("=");
            SkipTrivia(includeNewLines: true);
            var value = ReadStatementValue();
            if (!table.TryAdd(key, value)) throw Failure($"duplicate key '{key}'");

            SkipTrivia(includeNewLines: false);
            if (!AtEnd && Current is not ('\n' or ';' or '}')) throw Failure($"expected a new line, ';' or '}}' after the value of '{key}'");
        }
    }

    private string ReadKey()
    {
        if (Current is '\'' or '"') return ReadString();
        var start = _position;
        while (!AtEnd && (char.IsLetterOrDigit(Current) || Current is '_' or '-' or '.')) _position++;
        if (_position == start) throw Failure($"expected a key, found '{Current}'");
        return _text[start.._position];
    }

    /// <summary>A value that may be a comma list ('a', 'b'), which PowerShell makes an array.</summary>
    private object? ReadStatementValue()
    {
        var first = ReadValue();
        SkipTrivia(includeNewLines: false);
        if (AtEnd || Current != ',') return first;

        var items = new List<object?> { first };
        while (!AtEnd && Current == ',')
        {
            _position++;
            SkipTrivia(includeNewLines: true);
            items.Add(ReadValue());
            SkipTrivia(includeNewLines: false);
        }

        return items;
    }

    private object? ReadValue()
    {
        if (AtEnd) throw Failure("expected a value");
        if (Current is '\'' or '"') return ReadString();
        if (Current == '@' && Peek(1) == '{') return ReadHashtable();
        if (Current == '@' && Peek(1) == '(') return ReadArray();
        if (Current == '$') return ReadConstant();
        if (char.IsDigit(Current) || (Current == '-' && char.IsDigit(Peek(1)))) return ReadNumber();
        throw Failure($"'{Current}' starts no value allowed in a data file");
    }

    private List<object?> ReadArray()
    {
        Expect("@(");
        var items = new List<object?>();
        while (true)
        {
            SkipTrivia(includeNewLines: true);
            if (AtEnd) throw Failure("array is not closed with ')'");
            if (Current == ')')
            {
                _position++;
                return items;
            }

            items.Add(ReadValue());
            SkipTrivia(includeNewLines: false);
            if (!AtEnd && Current == ',')
            {
                _position++;
            }
            else if (!AtEnd && Current is not ('\n' or ')' or ';'))
            {
                throw Failure($"expected ',', a new line or ')' in an array, found '{Current}'");
            }
            else if (!AtEnd && Current == ';')
            {
                _position++;
            }
        }
    }

    private string ReadString()
    {
        var quote = Current;
        _position++;
        var value = new StringBuilder();
        while (true)
        {
            if (AtEnd) throw Failure("string is not closed");
            var c = Current;
            if (c == quote)
            {
                // A doubled quote stands for one quote character.
                if (Peek(1) == quote)
                {
                    value.Append(quote);
                    _position += 2;
                    continue;
                }

                _position++;
                return value.ToString();
            }

            if (quote == '"' && c == '$') throw Failure("a double-quoted string with '$' is an expression; use single quotes");
            if (quote == '"' && c == '`')
            {
                value.Append(Peek(1) switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', var other => other });
                _position += 2;
                continue;
            }

            value.Append(c);
            _position++;
        }
    }

    private object? ReadConstant()
    {
        var start = _position;
        _position++;
        while (!AtEnd && char.IsLetter(Current)) _position++;
        return _text[start.._position].ToLowerInvariant() switch
        {
            "$true" => true,
            "$false" => false,
            "$null" => null,
            var other => throw Failure($"variable '{other}' is not allowed in a data file"),
        };
    }

    private object ReadNumber()
    {
        var start = _position;
        _position++;
        while (!AtEnd && (char.IsDigit(Current) || Current == '.')) _position++;
        var text = _text[start.._position];
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)) return integer;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real)) return real;
        throw Failure($"'{text}' is not a number");
    }
}
