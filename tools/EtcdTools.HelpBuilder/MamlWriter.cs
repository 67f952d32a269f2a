using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace EtcdTools.HelpBuilder;

/// <summary>
/// Writes command help as MAML, the XML Get-Help reads from en-US/&lt;Assembly&gt;.dll-Help.xml: the
/// structure PlatyPS produces (details, description, syntax, parameters, inputTypes, returnValues,
/// alertSet, examples, relatedLinks).
/// </summary>
public static class MamlWriter
{
    public static readonly XNamespace Msh = "http://msh";
    public static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    /// <summary>A helpItems document; with no commands it is still a valid, empty help file.</summary>
    public static XDocument ToMaml(IEnumerable<CommandHelp> commands)
    {
        var root = new XElement(Msh + "helpItems",
            new XAttribute("schema", "maml"),
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev));
        foreach (var command in commands.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase))
        {
            root.Add(CommandElement(command));
        }

        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    /// <summary>Serializes as UTF-8 without a byte order mark, indented, with '\n' line ends.</summary>
    public static string Serialize(XDocument document)
    {
        var settings = new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(false),
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            NewLineHandling = NewLineHandling.Replace,
        };
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, settings))
        {
            document.Save(writer);
        }

        return new UTF8Encoding(false).GetString(stream.ToArray()) + "\n";
    }

    private static XElement CommandElement(CommandHelp help)
    {
        var command = new XElement(Command + "command",
            new XElement(Command + "details",
                new XElement(Command + "name", help.Name),
                new XElement(Command + "verb", help.Verb),
                new XElement(Command + "noun", help.Noun),
                Description(help.Synopsis)),
            Description(help.Description),
            new XElement(Command + "syntax", help.Syntax.Select(set => SyntaxItem(help, set))),
            new XElement(Command + "parameters", help.Parameters.Select(p => Parameter(p, p.Primary, inSyntax: false))),
            new XElement(Command + "inputTypes", help.Inputs.Select(t => TypeEntry("inputType", t))),
            new XElement(Command + "returnValues", help.Outputs.Select(t => TypeEntry("returnValue", t))));

        if (help.Notes.Count > 0)
        {
            command.Add(new XElement(Maml + "alertSet",
                new XElement(Maml + "alert", Paragraphs(help.Notes))));
        }

        command.Add(new XElement(Command + "examples", help.Examples.Select(Example)));

        var links = RelatedLinks(help).ToList();
        if (links.Count > 0)
        {
            command.Add(new XElement(Maml + "relatedLinks", links.Select(link =>
                new XElement(Maml + "navigationLink",
                    new XElement(Maml + "linkText", link.Text),
                    new XElement(Maml + "uri", link.Uri)))));
        }

        return command;
    }

    /// <summary>The text PlatyPS gives the link to the online version, which Get-Help shows as is.</summary>
    public const string OnlineVersionLinkText = "Online Version:";

    /// <summary>
    /// The related links as Get-Help needs them. Get-Help -Online opens the first link with a
    /// non-empty URI and throws InvalidURI when that URI is not absolute
    /// (BaseCommandHelpInfo.GetUriFromCommandPSObject), so: the online version first, and a link
    /// to another page of this help ("Get-EtcdMember.md", "about_EtcdTools.help.txt") keeps its
    /// text but no URI, as in PowerShell's own help files.
    /// </summary>
    public static IEnumerable<RelatedLink> RelatedLinks(CommandHelp help)
    {
        if (help.OnlineVersion is { } online) yield return new RelatedLink(OnlineVersionLinkText, online);
        foreach (var link in help.RelatedLinks)
        {
            yield return link with { Uri = IsOnlineUri(link.Uri) ? link.Uri : string.Empty };
        }
    }

    /// <summary>True for an absolute http or https URI, the only kind Get-Help -Online can open.</summary>
    public static bool IsOnlineUri(string? uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && (parsed.Scheme == Uri.UriSchemeHttps || parsed.Scheme == Uri.UriSchemeHttp);

    private static XElement SyntaxItem(CommandHelp help, SyntaxSet set)
    {
        var item = new XElement(Command + "syntaxItem", new XElement(Maml + "name", help.Name));
        foreach (var name in set.ParameterOrder)
        {
            var parameter = help.Parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            var usage = parameter?.UsageFor(set.Name);
            if (parameter is null || usage is null) continue; // -WhatIf/-Confirm shown in the syntax line only
            item.Add(Parameter(parameter, usage, inSyntax: true));
        }

        return item;
    }

    private static XElement Parameter(ParameterHelp parameter, ParameterUsage usage, bool inSyntax)
    {
        var element = new XElement(Command + "parameter",
            new XAttribute("required", usage.Required ? "true" : "false"),
            new XAttribute("variableLength", usage.Type.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false"),
            new XAttribute("globbing", usage.AcceptsWildcards ? "true" : "false"),
            new XAttribute("pipelineInput", usage.PipelineInput),
            new XAttribute("position", usage.Position),
            new XAttribute("aliases", usage.Aliases.Count == 0 ? "none" : string.Join(", ", usage.Aliases)),
            new XElement(Maml + "name", parameter.Name),
            Description(parameter.Description));

        if (usage.AcceptedValues.Count > 0)
        {
            element.Add(new XElement(Command + "parameterValueGroup", usage.AcceptedValues.Select(value =>
                new XElement(Command + "parameterValue",
                    new XAttribute("required", "false"),
                    new XAttribute(Command + "variableLength", "false"),
                    value))));
        }

        // Get-Help shows a syntax entry's parameterValue as "-Name <Type>"; a switch has none.
        if (!(inSyntax && usage.IsSwitch))
        {
            element.Add(new XElement(Command + "parameterValue",
                new XAttribute("required", usage.IsSwitch ? "false" : "true"),
                new XAttribute("variableLength", "false"),
                usage.Type));
        }

        element.Add(
            new XElement(Dev + "type",
                new XElement(Maml + "name", usage.Type),
                new XElement(Maml + "uri")),
            new XElement(Dev + "defaultValue", usage.DefaultValue));
        return element;
    }

    private static XElement TypeEntry(string elementName, TypeHelp type) =>
        new(Command + elementName,
            new XElement(Dev + "type",
                new XElement(Maml + "name", type.TypeName)),
            Description(type.Description));

    private static XElement Example(ExampleHelp example) =>
        new(Command + "example",
            new XElement(Maml + "title", $"-------------------------- {example.Title} --------------------------"),
            new XElement(Dev + "code", example.Code),
            new XElement(Dev + "remarks", Paragraphs(example.Remarks)));

    private static XElement Description(IReadOnlyList<string> paragraphs) =>
        new(Maml + "description", Paragraphs(paragraphs));

    private static IEnumerable<XElement> Paragraphs(IReadOnlyList<string> paragraphs) =>
        paragraphs.Count == 0
            ? [new XElement(Maml + "para")]
            : paragraphs.Select(p => new XElement(Maml + "para", p));
}
