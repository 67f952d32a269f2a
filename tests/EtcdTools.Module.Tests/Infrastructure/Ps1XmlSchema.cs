using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace EtcdTools.Module.Tests.Infrastructure;

/// <summary>
/// The element grammar PowerShell's loaders accept in Format.ps1xml (TypeInfoDataBaseLoader on
/// XmlLoaderBase) and Types.ps1xml (TypeTable's loader). Those loaders are hand-written, not XSD:
/// children may come in any order, but an element they do not expect in its place ("UnknownNode"),
/// an attribute where none is allowed, a second copy of a 0..1 child ("DuplicatedNode"), an empty
/// mandatory value or a missing mandatory child is an error, and an error in a view drops the view
/// (in a types file, the type's members) with an error at Import-Module.
/// </summary>
public static partial class Ps1XmlSchema
{
    private sealed record Rule(string[] Children, string[] Repeating, string[] Required, string[]? OneOf = null);

    /// <summary>Leaf elements: text only, and (except Wrap, AutoSize, HideTableHeaders, which may be empty) not empty.</summary>
    private static readonly HashSet<string> FormatLeaves =
    [
        "Name", "TypeName", "SelectionSetName", "Label", "Width", "Alignment", "PropertyName", "ScriptBlock", "FormatString",
        "AutoSize", "HideTableHeaders", "Wrap", "OutOfBand", "ColumnNumber", "CustomControlName",
    ];

    private static readonly HashSet<string> MayBeEmpty = ["Wrap", "AutoSize", "HideTableHeaders"];

    private static readonly Dictionary<string, Rule> FormatRules = new()
    {
        ["Configuration"] = new(["SelectionSets", "Controls", "ViewDefinitions", "DefaultSettings"], [], []),
        ["ViewDefinitions"] = new(["View"], ["View"], []),
        ["View"] = new(["Name", "ViewSelectedBy", "GroupBy", "OutOfBand", "Controls", "TableControl", "ListControl", "WideControl", "CustomControl"], [], ["Name", "ViewSelectedBy"],
            OneOf: ["TableControl", "ListControl", "WideControl", "CustomControl"]),
        ["ViewSelectedBy"] = new(["TypeName", "SelectionSetName", "SelectionCondition"], ["TypeName", "SelectionSetName", "SelectionCondition"], []),
        ["EntrySelectedBy"] = new(["TypeName", "SelectionSetName", "SelectionCondition"], ["TypeName", "SelectionSetName", "SelectionCondition"], []),
        ["SelectionCondition"] = new(["TypeName", "SelectionSetName", "PropertyName", "ScriptBlock"], [], []),
        ["ItemSelectionCondition"] = new(["PropertyName", "ScriptBlock"], [], []),
        ["GroupBy"] = new(["PropertyName", "ScriptBlock", "Label", "CustomControl", "CustomControlName"], [], []),
        ["TableControl"] = new(["HideTableHeaders", "AutoSize", "TableHeaders", "TableRowEntries"], [], ["TableRowEntries"]),
        ["TableHeaders"] = new(["TableColumnHeader"], ["TableColumnHeader"], []),
        ["TableColumnHeader"] = new(["Label", "Width", "Alignment"], [], []),
        ["TableRowEntries"] = new(["TableRowEntry"], ["TableRowEntry"], ["TableRowEntry"]),
        ["TableRowEntry"] = new(["EntrySelectedBy", "Wrap", "TableColumnItems"], [], ["TableColumnItems"]),
        ["TableColumnItems"] = new(["TableColumnItem"], ["TableColumnItem"], ["TableColumnItem"]),
        ["TableColumnItem"] = new(["Alignment", "FormatString", "PropertyName", "ScriptBlock"], [], []),
        ["ListControl"] = new(["ListEntries"], [], ["ListEntries"]),
        ["ListEntries"] = new(["ListEntry"], ["ListEntry"], ["ListEntry"]),
        ["ListEntry"] = new(["EntrySelectedBy", "ListItems"], [], ["ListItems"]),
        ["ListItems"] = new(["ListItem"], ["ListItem"], ["ListItem"]),
        ["ListItem"] = new(["PropertyName", "ScriptBlock", "Label", "FormatString", "ItemSelectionCondition"], [], []),
        ["WideControl"] = new(["AutoSize", "ColumnNumber", "WideEntries"], [], ["WideEntries"]),
        ["WideEntries"] = new(["WideEntry"], ["WideEntry"], ["WideEntry"]),
        ["WideEntry"] = new(["EntrySelectedBy", "WideItem"], [], ["WideItem"]),
        ["WideItem"] = new(["PropertyName", "ScriptBlock", "FormatString"], [], []),
    };

    /// <summary>Elements whose value is PropertyName or ScriptBlock: at most one of the two.</summary>
    private static readonly HashSet<string> ExpressionHolders = ["TableColumnItem", "ListItem", "WideItem", "GroupBy", "ItemSelectionCondition", "SelectionCondition"];

    private static readonly Dictionary<string, Rule> TypesRules = new()
    {
        ["Types"] = new(["Type"], ["Type"], []),
        ["Type"] = new(["Name", "Members", "TypeConverter", "TypeAdapter"], [], ["Name"]),
        ["Members"] = new(["NoteProperty", "AliasProperty", "ScriptProperty", "CodeProperty", "ScriptMethod", "CodeMethod", "PropertySet", "MemberSet"],
            ["NoteProperty", "AliasProperty", "ScriptProperty", "CodeProperty", "ScriptMethod", "CodeMethod", "PropertySet", "MemberSet"], []),
        ["MemberSet"] = new(["Name", "InheritMembers", "Members"], [], ["Name", "Members"]),
        ["PropertySet"] = new(["Name", "ReferencedProperties"], [], ["Name", "ReferencedProperties"]),
        ["ReferencedProperties"] = new(["Name"], ["Name"], ["Name"]),
        ["NoteProperty"] = new(["Name", "Value", "TypeName"], [], ["Name", "Value"]),
        ["AliasProperty"] = new(["Name", "ReferencedMemberName", "TypeName"], [], ["Name", "ReferencedMemberName"]),
        ["ScriptProperty"] = new(["Name", "GetScriptBlock", "SetScriptBlock"], [], ["Name"]),
        ["CodeProperty"] = new(["Name", "GetCodeReference", "SetCodeReference"], [], ["Name"]),
        ["ScriptMethod"] = new(["Name", "Script"], [], ["Name", "Script"]),
        ["CodeMethod"] = new(["Name", "CodeReference"], [], ["Name", "CodeReference"]),
        ["CodeReference"] = new(["TypeName", "MethodName"], [], ["TypeName", "MethodName"]),
        ["GetCodeReference"] = new(["TypeName", "MethodName"], [], ["TypeName", "MethodName"]),
        ["SetCodeReference"] = new(["TypeName", "MethodName"], [], ["TypeName", "MethodName"]),
        ["TypeConverter"] = new(["TypeName"], [], ["TypeName"]),
        ["TypeAdapter"] = new(["TypeName"], [], ["TypeName"]),
    };

    private static readonly HashSet<string> TypesLeaves =
        ["Name", "TypeName", "Value", "ReferencedMemberName", "GetScriptBlock", "SetScriptBlock", "Script", "MethodName", "InheritMembers"];

    /// <summary>The member kind each standard member must be (TypeTable's PSStandardMembers checks).</summary>
    private static readonly Dictionary<string, string> StandardMemberKinds = new(StringComparer.OrdinalIgnoreCase)
    {
        ["DefaultDisplayProperty"] = "NoteProperty",
        ["DefaultDisplayPropertySet"] = "PropertySet",
        ["DefaultKeyPropertySet"] = "PropertySet",
        ["PropertySerializationSet"] = "PropertySet",
        ["SerializationMethod"] = "NoteProperty",
        ["SerializationDepth"] = "NoteProperty",
        ["InheritPropertySerializationSet"] = "NoteProperty",
        ["TargetTypeForDeserialization"] = "NoteProperty",
    };

    /// <summary>The problems PowerShell's Format.ps1xml loader reports for <paramref name="document"/>, with line numbers.</summary>
    public static IEnumerable<string> ValidateFormat(XDocument document)
    {
        var root = document.Root!;
        if (root.Name.LocalName != "Configuration") return [$"line {Line(root)}: the root element is <{root.Name.LocalName}>, not <Configuration>"];
        var problems = new List<string>();
        Walk(root, FormatRules, FormatLeaves, problems, FormatSpecifics);
        return problems;
    }

    /// <summary>The problems PowerShell's Types.ps1xml loader reports for <paramref name="document"/>, with line numbers.</summary>
    public static IEnumerable<string> ValidateTypes(XDocument document)
    {
        var root = document.Root!;
        if (root.Name.LocalName != "Types") return [$"line {Line(root)}: the root element is <{root.Name.LocalName}>, not <Types>"];
        var problems = new List<string>();
        Walk(root, TypesRules, TypesLeaves, problems, TypesSpecifics);
        return problems;
    }

    private static void Walk(XElement element, Dictionary<string, Rule> rules, HashSet<string> leaves, List<string> problems, Action<XElement, List<string>> specifics)
    {
        var name = element.Name.LocalName;
        var where = $"line {Line(element)} <{name}>";
        if (element.Name.Namespace != XNamespace.None) problems.Add($"{where}: in namespace {element.Name.Namespace}; PowerShell's loader matches plain names");

        var allowedAttributes = name is "Label" or "Text" ? new[] { "AssemblyName", "BaseName", "ResourceId" } : name is "NoteProperty" or "AliasProperty" or "ScriptProperty" or "CodeProperty" or "ScriptMethod" or "CodeMethod" or "PropertySet" or "MemberSet" ? ["IsHidden"] : [];
        foreach (var attribute in element.Attributes().Where(a => !a.IsNamespaceDeclaration && !allowedAttributes.Contains(a.Name.LocalName)))
        {
            problems.Add($"{where}: attribute {attribute.Name.LocalName} is not allowed (AttributesNotAllowed)");
        }

        specifics(element, problems);

        if (leaves.Contains(name) && !rules.ContainsKey(name))
        {
            if (element.HasElements) problems.Add($"{where}: has child elements, but is a value (NoChildrenAllowed)");
            else if (element.Value.Trim().Length == 0 && !MayBeEmpty.Contains(name)) problems.Add($"{where}: is empty (EmptyNode)");
            return;
        }

        if (!rules.TryGetValue(name, out var rule))
        {
            // CustomControl and Controls hold a grammar of their own, not checked here.
            if (name is not ("CustomControl" or "Controls" or "SelectionSets" or "DefaultSettings")) problems.Add($"{where}: not an element PowerShell's loader knows");
            return;
        }

        if (element.Nodes().OfType<XText>().Any(t => t.Value.Trim().Length > 0)) problems.Add($"{where}: holds text, but takes only elements");

        var children = element.Elements().ToList();
        foreach (var child in children.Where(c => !rule.Children.Contains(c.Name.LocalName)))
        {
            problems.Add($"line {Line(child)}: <{child.Name.LocalName}> is not allowed in <{name}> (UnknownNode); it may hold {string.Join(", ", rule.Children)}");
        }

        foreach (var group in children.GroupBy(c => c.Name.LocalName).Where(g => g.Count() > 1 && !rule.Repeating.Contains(g.Key) && rule.Children.Contains(g.Key)))
        {
            problems.Add($"line {Line(group.ElementAt(1))}: a second <{group.Key}> in <{name}> (DuplicatedNode)");
        }

        foreach (var required in rule.Required.Where(r => children.All(c => c.Name.LocalName != r)))
        {
            problems.Add($"{where}: no <{required}> (MissingNode)");
        }

        if (rule.OneOf is { } oneOf)
        {
            var present = children.Where(c => oneOf.Contains(c.Name.LocalName)).ToList();
            if (present.Count != 1) problems.Add($"{where}: needs exactly one of {string.Join(", ", oneOf)}, has {present.Count}");
        }

        foreach (var child in children.Where(c => rule.Children.Contains(c.Name.LocalName)))
        {
            Walk(child, rules, leaves, problems, specifics);
        }
    }

    private static void FormatSpecifics(XElement element, List<string> problems)
    {
        var name = element.Name.LocalName;
        var where = $"line {Line(element)} <{name}>";
        if (name == "Alignment" && element.Value.Trim() is not ("Left" or "Right" or "Center"))
        {
            problems.Add($"{where}: '{element.Value}' is not Left, Right or Center (InvalidAlignmentValue)");
        }

        if (name == "Width" && (!int.TryParse(element.Value.Trim(), out var width) || width <= 0))
        {
            problems.Add($"{where}: '{element.Value}' is not a positive integer (ExpectPositiveInteger)");
        }

        if (ExpressionHolders.Contains(name) && element.Elements().Count(c => c.Name.LocalName is "PropertyName" or "ScriptBlock") > 1)
        {
            problems.Add($"{where}: has both <PropertyName> and <ScriptBlock>, or one twice (they are mutually exclusive)");
        }

        if (name is "TableRowEntries" or "ListEntries" or "WideEntries")
        {
            var defaults = element.Elements().Count(e => e.Element("EntrySelectedBy") is null);
            if (defaults != 1) problems.Add($"{where}: has {defaults} entries without <EntrySelectedBy>; exactly one default entry is allowed (NoDefaultShapeEntry / TooManyDefaultShapeEntry)");
        }

        if (name == "ListItem" && element.Element("ScriptBlock") is not null && element.Element("Label") is null)
        {
            problems.Add($"{where}: a <ScriptBlock> item without <Label>; Format-List shows the script's text as the label");
        }

        if (name == "TableControl" && element.Element("TableHeaders") is { } headers)
        {
            var headerList = headers.Elements("TableColumnHeader").ToList();
            foreach (var items in element.Descendants("TableColumnItems"))
            {
                var columns = items.Elements("TableColumnItem").ToList();
                for (var i = 0; i < Math.Min(columns.Count, headerList.Count); i++)
                {
                    if (columns[i].Element("ScriptBlock") is not null && headerList[i].Element("Label") is null)
                    {
                        problems.Add($"line {Line(headerList[i])}: column {i + 1} is a <ScriptBlock> but its header has no <Label>; the table shows the script's text as the header");
                    }
                }
            }

            var headerCount = headerList.Count;
            foreach (var items in element.Descendants("TableColumnItems"))
            {
                var count = items.Elements("TableColumnItem").Count();
                if (headerCount != 0 && count != headerCount)
                {
                    problems.Add($"line {Line(items)}: {headerCount} TableColumnHeader(s) but {count} TableColumnItem(s) (IncorrectHeaderItemCount; the view is dropped)");
                }
            }
        }
    }

    private static void TypesSpecifics(XElement element, List<string> problems)
    {
        var name = element.Name.LocalName;
        var where = $"line {Line(element)} <{name}>";
        if (name == "Members")
        {
            // TypeTable adds the members of one <Type> one by one: a name used twice is "already present".
            var names = element.Elements().Select(m => ((string?)m.Element("Name"))?.Trim()).Where(n => !string.IsNullOrEmpty(n));
            foreach (var duplicate in names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            {
                problems.Add($"{where}: member '{duplicate.Key}' is defined {duplicate.Count()} times (the member is already present)");
            }
        }

        if (name == "MemberSet" && ((string?)element.Element("Name"))?.Trim() == "PSStandardMembers")
        {
            foreach (var member in element.Element("Members")?.Elements() ?? [])
            {
                var memberName = ((string?)member.Element("Name"))?.Trim() ?? "";
                if (!StandardMemberKinds.TryGetValue(memberName, out var kind))
                {
                    if (memberName != "StringSerializationSource") problems.Add($"line {Line(member)}: PSStandardMembers holds '{memberName}', which is not a standard member");
                }
                else if (member.Name.LocalName != kind)
                {
                    problems.Add($"line {Line(member)}: PSStandardMembers' {memberName} is a <{member.Name.LocalName}>; PowerShell requires a <{kind}>");
                }
            }
        }
    }

    /// <summary>
    /// Checks a ScriptBlock body the way PowerShell's tokenizer would reject it outright: unbalanced
    /// braces, parentheses or brackets, or an unterminated string or block comment. Returns null when
    /// the delimiters are sound.
    /// </summary>
    public static string? CheckScriptDelimiters(string script)
    {
        var open = new Stack<(char Close, int At)>();
        // Modes: code, or inside '...' or "..." (a "..." string holds $( ... ) code of its own).
        var modes = new Stack<char>();
        modes.Push('c');
        for (var i = 0; i < script.Length; i++)
        {
            var c = script[i];
            switch (modes.Peek())
            {
                case '\'':
                    if (c == '\'' && i + 1 < script.Length && script[i + 1] == '\'') i++;
                    else if (c == '\'') modes.Pop();
                    continue;
                case '"':
                    if (c == '`') i++;
                    else if (c == '"' && i + 1 < script.Length && script[i + 1] == '"') i++;
                    else if (c == '"') modes.Pop();
                    else if (c == '$' && i + 1 < script.Length && script[i + 1] == '(')
                    {
                        modes.Push('c');
                        open.Push((')', i + 1));
                        i++;
                    }

                    continue;
            }

            switch (c)
            {
                case '`':
                    i++;
                    break;
                case '\'' or '"':
                    modes.Push(c);
                    break;
                case '<' when i + 1 < script.Length && script[i + 1] == '#':
                    var end = script.IndexOf("#>", i + 2, StringComparison.Ordinal);
                    if (end < 0) return $"a block comment opened at {i} is not closed";
                    i = end + 1;
                    break;
                case '#':
                    var newline = script.IndexOf('\n', i);
                    i = newline < 0 ? script.Length : newline;
                    break;
                case '{':
                    open.Push(('}', i));
                    break;
                case '(':
                    open.Push((')', i));
                    break;
                case '[':
                    open.Push((']', i));
                    break;
                case '}' or ')' or ']':
                    if (open.Count == 0) return $"'{c}' at {i} closes nothing";
                    var (close, at) = open.Pop();
                    if (close != c) return $"'{c}' at {i} closes the '{Opening(close)}' at {at}";
                    // Back in the string that held this $( ... ).
                    if (c == ')' && modes.Count > 1 && modes.ElementAt(1) == '"' && at > 0 && script[at - 1] == '$') modes.Pop();
                    break;
            }
        }

        if (modes.Count > 1) return $"a {(modes.Peek() == '\'' ? "single" : "double")}-quoted string is not closed";
        if (open.Count > 0) return $"the '{Opening(open.Peek().Close)}' at {open.Peek().At} is not closed";
        return null;
    }

    /// <summary>The properties a ScriptBlock reads from the object it formats: <c>$_.Name</c> and <c>$PSItem.Name</c>.</summary>
    public static IEnumerable<string> PropertiesReadByScript(string script) =>
        PipelineVariableProperty().Matches(script).Select(m => m.Groups["name"].Value).Distinct(StringComparer.OrdinalIgnoreCase);

    [GeneratedRegex(@"\$(?:_|PSItem)\.(?<name>[A-Za-z_][A-Za-z0-9_]*)", RegexOptions.IgnoreCase)]
    private static partial Regex PipelineVariableProperty();

    private static char Opening(char close) => close switch { '}' => '{', ')' => '(', _ => '[' };

    private static int Line(XObject node) => ((IXmlLineInfo)node).HasLineInfo() ? ((IXmlLineInfo)node).LineNumber : 0;
}
