using System.Xml;
using System.Xml.Linq;

namespace EtcdTools.Module.Tests.Infrastructure;

/// <summary>A property a view or a property set names, with where it is named (for failure messages).</summary>
public sealed record PropertyReference(string PropertyName, string Where);

/// <summary>One &lt;View&gt; of a Format.ps1xml file.</summary>
public sealed record FormatView(
    string Name,
    string Control,
    IReadOnlyList<string> SelectedTypeNames,
    IReadOnlyList<PropertyReference> Properties,
    int? HeaderCount,
    IReadOnlyList<int> ColumnCounts);

/// <summary>
/// One &lt;Type&gt; of a Types.ps1xml file: the members it adds, the properties it names, whether it
/// has the Members, TypeConverter or TypeAdapter PowerShell requires, and the names in its PSStandardMembers.
/// </summary>
public sealed record ExtendedType(
    string TypeName,
    int Line,
    bool HasContent,
    IReadOnlyList<string> AddedMembers,
    IReadOnlyList<PropertyReference> Properties,
    IReadOnlyList<string> StandardMemberNames);

/// <summary>Reads the parts of Format.ps1xml and Types.ps1xml the contract tests check.</summary>
public static class FormatData
{
    private static readonly string[] PropertyElements = ["TableColumnItem", "ListItem", "WideItem", "ExpressionBinding", "GroupBy"];

    /// <summary>Loads the file as XML; throws XmlException with line information when it is malformed.</summary>
    public static XDocument LoadXml(string path) => XDocument.Load(path, LoadOptions.SetLineInfo);

    public static IReadOnlyList<FormatView> ReadViews(XDocument document)
    {
        if (document.Root?.Name.LocalName != "Configuration") throw new XmlException("a Format.ps1xml file's root element is <Configuration>");

        return document.Root.Elements("ViewDefinitions").Elements("View").Select(view =>
        {
            var name = (string?)view.Element("Name") ?? "(unnamed view)";
            var control = view.Elements().Select(e => e.Name.LocalName).FirstOrDefault(n => n.EndsWith("Control", StringComparison.Ordinal)) ?? "(no control)";
            var typeNames = view.Elements("ViewSelectedBy").Elements("TypeName").Select(t => t.Value.Trim()).ToList();
            var properties = PropertyElements
                .SelectMany(element => view.Descendants(element))
                .Select(e => e.Element("PropertyName"))
                .Where(p => p is not null)
                .Select(p => new PropertyReference(p!.Value.Trim(), $"view '{name}' line {((IXmlLineInfo)p).LineNumber}"))
                .ToList();
            var table = view.Element("TableControl");
            int? headers = table?.Element("TableHeaders") is { } headerList ? headerList.Elements("TableColumnHeader").Count() : null;
            var columns = table?.Descendants("TableColumnItems").Select(items => items.Elements("TableColumnItem").Count()).ToList() ?? [];
            return new FormatView(name, control, typeNames, properties, headers, columns);
        }).ToList();
    }

    public static IReadOnlyList<ExtendedType> ReadTypes(XDocument document)
    {
        if (document.Root?.Name.LocalName != "Types") throw new XmlException("a Types.ps1xml file's root element is <Types>");

        return document.Root.Elements("Type").Select(type =>
        {
            var typeName = ((string?)type.Element("Name"))?.Trim() ?? string.Empty;
            var members = type.Element("Members");
            var added = members?.Elements()
                .Where(m => m.Name.LocalName is "NoteProperty" or "AliasProperty" or "ScriptProperty" or "CodeProperty" or "ScriptMethod" or "CodeMethod")
                .Select(m => ((string?)m.Element("Name"))?.Trim() ?? string.Empty)
                .ToList() ?? [];

            var references = new List<PropertyReference>();
            foreach (var alias in members?.Elements("AliasProperty") ?? [])
            {
                var target = alias.Element("ReferencedMemberName");
                if (target is not null)
                {
                    references.Add(new PropertyReference(target.Value.Trim(), $"AliasProperty '{(string?)alias.Element("Name")}' of {typeName}"));
                }
            }

            var standardMembers = members?.Elements("MemberSet").FirstOrDefault(m => ((string?)m.Element("Name"))?.Trim() == "PSStandardMembers");
            foreach (var set in standardMembers?.Element("Members")?.Elements("PropertySet") ?? [])
            {
                var setName = ((string?)set.Element("Name"))?.Trim();
                foreach (var property in set.Element("ReferencedProperties")?.Elements("Name") ?? [])
                {
                    references.Add(new PropertyReference(property.Value.Trim(), $"{setName} of {typeName} line {((IXmlLineInfo)property).LineNumber}"));
                }
            }

            var hasContent = members is not null || type.Element("TypeConverter") is not null || type.Element("TypeAdapter") is not null;
            var standardNames = standardMembers?.Element("Members")?.Elements().Select(m => ((string?)m.Element("Name"))?.Trim() ?? string.Empty).ToList() ?? [];
            return new ExtendedType(typeName, ((IXmlLineInfo)type).LineNumber, hasContent, added, references, standardNames);
        }).ToList();
    }
}
