using System.Text;

namespace EtcdTools.Performance.Html;

/// <summary>
/// Writes HTML (and the SVG inside it) element by element. Every text and attribute value goes
/// through <see cref="Escape"/>, so member names, evidence and titles from the input can never
/// become markup; only the report's own style sheet is written raw. Elements close in the order
/// they were opened.
/// </summary>
internal sealed class HtmlWriter
{
    private readonly StringBuilder _html = new();
    private readonly Stack<string> _open = new();

    /// <summary>Text made safe for element content and quoted attribute values: &amp; &lt; &gt; " ' escaped, control characters HTML forbids replaced.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            switch (c)
            {
                case '&': escaped.Append("&amp;"); break;
                case '<': escaped.Append("&lt;"); break;
                case '>': escaped.Append("&gt;"); break;
                case '"': escaped.Append("&quot;"); break;
                case '\'': escaped.Append("&#39;"); break;
                case '\t' or '\n' or '\r': escaped.Append(c); break;
                case < ' ' or '\u007f': escaped.Append('\uFFFD'); break;
                default: escaped.Append(c); break;
            }
        }
        return escaped.ToString();
    }

    /// <summary>Opens an element; attributes with a null value are left out.</summary>
    public HtmlWriter Open(string tag, params (string Name, string? Value)[] attributes)
    {
        StartTag(tag, attributes);
        _html.Append('>');
        _open.Push(tag);
        return this;
    }

    public HtmlWriter Close()
    {
        _html.Append("</").Append(_open.Pop()).Append('>');
        return this;
    }

    /// <summary>An element with text content.</summary>
    public HtmlWriter Element(string tag, string? text, params (string Name, string? Value)[] attributes)
    {
        Open(tag, attributes);
        Text(text);
        return Close();
    }

    /// <summary>An element without content: a void HTML element (meta, br) or a self-closed SVG shape.</summary>
    public HtmlWriter Empty(string tag, params (string Name, string? Value)[] attributes)
    {
        StartTag(tag, attributes);
        _html.Append(tag is "meta" or "br" or "hr" ? ">" : "/>");
        return this;
    }

    public HtmlWriter Text(string? text)
    {
        _html.Append(Escape(text));
        return this;
    }

    /// <summary>Markup the report itself wrote (its style sheet): never input.</summary>
    public HtmlWriter Trusted(string markup)
    {
        _html.Append(markup);
        return this;
    }

    public HtmlWriter Line()
    {
        _html.Append('\n');
        return this;
    }

    public override string ToString()
    {
        if (_open.Count > 0) throw new InvalidOperationException($"<{_open.Peek()}> is not closed.");
        return _html.ToString();
    }

    private void StartTag(string tag, (string Name, string? Value)[] attributes)
    {
        CheckName(tag);
        _html.Append('<').Append(tag);
        foreach (var (name, value) in attributes)
        {
            if (value is null) continue;
            CheckName(name);
            _html.Append(' ').Append(name).Append("=\"").Append(Escape(value)).Append('"');
        }
    }

    /// <summary>Tag and attribute names (SVG's viewBox too) are the report's own constants; this keeps them so.</summary>
    private static void CheckName(string name)
    {
        if (name.Length == 0 || !char.IsAsciiLetterLower(name[0]) || !name.All(c => char.IsAsciiLetter(c) || char.IsAsciiDigit(c) || c is '-' or ':'))
            throw new ArgumentException($"'{name}' is not a tag or attribute name the report writes.", nameof(name));
    }
}
