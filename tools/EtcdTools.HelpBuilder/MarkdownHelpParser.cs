using System.Globalization;
using System.Text.RegularExpressions;

namespace EtcdTools.HelpBuilder;

/// <summary>
/// Reads one cmdlet page in PlatyPS's markdown format (schema 2.0.0): yaml front matter,
/// "# Verb-Noun", then the sections SYNOPSIS, SYNTAX, DESCRIPTION, EXAMPLES, PARAMETERS, INPUTS,
/// OUTPUTS, NOTES and RELATED LINKS, in that order. Anything else is reported as an error, since a
/// page Get-Help would show wrongly is better caught at build time.
/// </summary>
public sealed partial class MarkdownHelpParser
{
    public static readonly IReadOnlyList<string> SectionOrder =
        ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"];

    private static readonly string[] RequiredYamlKeys =
        ["Type", "Parameter Sets", "Aliases", "Required", "Position", "Default value", "Accept pipeline input", "Accept wildcard characters"];

    private static readonly string[] KnownYamlKeys = [.. RequiredYamlKeys, "Accepted values"];

    /// <summary>Parameters PowerShell adds itself (ShouldProcess); a syntax line may show them undocumented.</summary>
    private static readonly string[] RiskMitigationParameters = ["WhatIf", "Confirm"];

    private readonly HelpBuilderOptions _options;

    public MarkdownHelpParser(HelpBuilderOptions options)
    {
        _options = options;
    }

    [GeneratedRegex(@"^(?<hashes>#{1,6})\s+(?<title>.*?)\s*#*\s*$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"^\s{0,3}(?<fence>`{3,}|~{3,})\s*(?<lang>[^`\s]*)")]
    private static partial Regex FenceOpenPattern();

    [GeneratedRegex(@"^\s*(?:[-*+]|\d+[.)])\s+")]
    private static partial Regex ListItemPattern();

    [GeneratedRegex(@"^[A-Za-z]+-[A-Za-z][A-Za-z0-9]*$")]
    private static partial Regex CommandNamePattern();

    [GeneratedRegex(@"(?<![\w-])-(?<name>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex SyntaxParameterPattern();

    [GeneratedRegex(@"^(?<name>.+?)\s*\((?<default>Default)\)$", RegexOptions.IgnoreCase)]
    private static partial Regex DefaultSetPattern();

    [GeneratedRegex(@"^False$|^True \((?:ByValue|ByPropertyName)(?:, ?(?:ByValue|ByPropertyName))?\)$", RegexOptions.IgnoreCase)]
    private static partial Regex PipelineInputPattern();

    [GeneratedRegex(@"^\s*(?:[-*+]\s+)?\[(?<text>[^\]]*)\]\((?<uri>[^)]*)\)\s*$")]
    private static partial Regex MarkdownLinkPattern();

    [GeneratedRegex(@"\{\{.*?\}\}")]
    private static partial Regex PlaceholderPattern();

    public HelpPageResult Parse(string markdown, string sourcePath)
    {
        var context = new PageContext(sourcePath);
        var lines = markdown.Replace("\r\n", "\n").Replace('\r', '\n').TrimStart('\uFEFF').Split('\n');

        var bodyStart = ReadFrontMatter(lines, context);
        var document = ReadStructure(lines, bodyStart, context);
        var page = ReadPage(document, context);

        foreach (var (line, number) in lines.Select((l, i) => (l, i + 1)))
        {
            if (PlaceholderPattern().IsMatch(line))
            {
                context.Warning(HelpDiagnosticCodes.Placeholder, number, $"placeholder text left in the page: {PlaceholderPattern().Match(line).Value}");
            }
        }

        return new HelpPageResult(context.HasErrors ? null : page, context.Diagnostics);
    }

    private int ReadFrontMatter(string[] lines, PageContext context)
    {
        if (lines.Length == 0 || lines[0].Trim() != "---")
        {
            context.Error(HelpDiagnosticCodes.FrontMatter, 1, "the page must start with yaml front matter ('---' ... '---') naming 'external help file' and 'Module Name'");
            return 0;
        }

        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Trim() == "---")
            {
                CheckFrontMatterField(fields, "external help file", _options.HelpFileName, context);
                CheckFrontMatterField(fields, "Module Name", _options.ModuleName, context);
                ReadOnlineVersion(fields, context);
                return i + 1;
            }

            if (string.IsNullOrWhiteSpace(line)) continue;
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                context.Error(HelpDiagnosticCodes.FrontMatter, i + 1, $"front matter line is not 'key: value': '{line.Trim()}'");
                continue;
            }

            fields[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        context.Error(HelpDiagnosticCodes.FrontMatter, 1, "the front matter is not closed by a '---' line");
        return lines.Length;
    }

    /// <summary>
    /// 'online version' becomes the first related link, the page Get-Help -Online opens. PowerShell
    /// takes the first non-empty link URI and throws InvalidURI unless it is absolute, so a value
    /// that is not an absolute http(s) URI is an error here.
    /// </summary>
    private static void ReadOnlineVersion(Dictionary<string, string> fields, PageContext context)
    {
        if (!fields.TryGetValue("online version", out var value) || value.Length == 0)
        {
            context.Error(HelpDiagnosticCodes.FrontMatter, 1, "'online version:' is empty: give the page's absolute URI, which Get-Help -Online opens");
            return;
        }
        if (MamlWriter.IsOnlineUri(value)) context.OnlineVersion = value;
        else context.Error(HelpDiagnosticCodes.FrontMatter, 1, $"'online version: {value}' is not an absolute http(s) URI; Get-Help -Online would fail on it");
    }

    private static void CheckFrontMatterField(Dictionary<string, string> fields, string key, string expected, PageContext context)
    {
        if (!fields.TryGetValue(key, out var value) || value.Length == 0)
        {
            context.Error(HelpDiagnosticCodes.FrontMatter, 1, $"front matter lacks '{key}: {expected}'");
        }
        else if (!value.Equals(expected, StringComparison.OrdinalIgnoreCase))
        {
            context.Error(HelpDiagnosticCodes.FrontMatter, 1, $"front matter has '{key}: {value}', expected '{expected}'");
        }
    }

    /// <summary>Splits the body into headings (# to ###) holding paragraphs and fenced code blocks.</summary>
    private static Heading ReadStructure(string[] lines, int start, PageContext context)
    {
        var document = new Heading(0, string.Empty, 0);
        Heading? title = null;
        Heading? section = null;
        Heading? subsection = null;
        var paragraph = new List<string>();
        var paragraphLine = 0;

        Heading Current() => subsection ?? section ?? title ?? document;

        void FlushParagraph()
        {
            if (paragraph.Count == 0) return;
            var owner = Current();
            if (owner == document)
            {
                context.Error(HelpDiagnosticCodes.Title, paragraphLine, "text before the '# Verb-Noun' title");
            }

            owner.Blocks.Add(new Block(paragraphLine, null, string.Join(" ", paragraph)));
            paragraph.Clear();
        }

        for (var i = start; i < lines.Length; i++)
        {
            var line = lines[i];
            var number = i + 1;

            var fence = FenceOpenPattern().Match(line);
            if (fence.Success)
            {
                FlushParagraph();
                var marker = fence.Groups["fence"].Value;
                var code = new List<string>();
                var closed = false;
                for (i++; i < lines.Length; i++)
                {
                    var trimmed = lines[i].TrimStart();
                    if (trimmed.StartsWith(marker[..3], StringComparison.Ordinal) && trimmed.TrimEnd().Trim(marker[0]).Length == 0
                        && trimmed.TrimEnd().Length >= marker.Length)
                    {
                        closed = true;
                        break;
                    }

                    code.Add(lines[i]);
                }

                if (!closed)
                {
                    context.Error(HelpDiagnosticCodes.CodeFence, number, $"code block opened here with {marker} is never closed");
                }

                if (Current() == document)
                {
                    context.Error(HelpDiagnosticCodes.Title, number, "code block before the '# Verb-Noun' title");
                }

                Current().Blocks.Add(new Block(number, fence.Groups["lang"].Value, string.Join("\n", code).TrimEnd()));
                continue;
            }

            var heading = HeadingPattern().Match(line);
            if (heading.Success)
            {
                FlushParagraph();
                var level = heading.Groups["hashes"].Value.Length;
                var node = new Heading(level, heading.Groups["title"].Value, number);
                switch (level)
                {
                    case 1:
                        if (title is not null)
                        {
                            context.Error(HelpDiagnosticCodes.Title, number, $"a second '# ' title ('{node.Title}'); a page documents one cmdlet");
                        }

                        title ??= node;
                        section = null;
                        subsection = null;
                        break;
                    case 2:
                        if (title is null)
                        {
                            context.Error(HelpDiagnosticCodes.Title, number, $"section '## {node.Title}' comes before the '# Verb-Noun' title");
                        }

                        (title ?? document).Children.Add(node);
                        section = node;
                        subsection = null;
                        break;
                    case 3:
                        if (section is null)
                        {
                            context.Error(HelpDiagnosticCodes.Sections, number, $"'### {node.Title}' is not inside a '## ' section");
                            (title ?? document).Children.Add(node);
                        }
                        else
                        {
                            section.Children.Add(node);
                        }

                        subsection = node;
                        break;
                    default:
                        context.Error(HelpDiagnosticCodes.Sections, number, $"heading level {level} ('{node.Title}') is not part of the page format, which uses #, ## and ### only");
                        break;
                }

                continue;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                FlushParagraph();
                continue;
            }

            if (ListItemPattern().IsMatch(line))
            {
                // Each list item is a paragraph of its own so that Get-Help keeps one item per line.
                FlushParagraph();
            }

            if (paragraph.Count == 0) paragraphLine = number;
            paragraph.Add(line.Trim());
        }

        FlushParagraph();

        if (title is null)
        {
            context.Error(HelpDiagnosticCodes.Title, start + 1, "the page has no '# Verb-Noun' title");
            return document;
        }

        return title;
    }

    private CommandHelp? ReadPage(Heading title, PageContext context)
    {
        if (title.Level != 1) return null;

        var name = title.Title.Trim();
        if (!CommandNamePattern().IsMatch(name))
        {
            context.Error(HelpDiagnosticCodes.Title, title.Line, $"title '{name}' is not a Verb-Noun cmdlet name");
            return null;
        }

        var expectedName = Path.GetFileNameWithoutExtension(context.SourcePath);
        if (!string.IsNullOrEmpty(expectedName) && !expectedName.Equals(name, StringComparison.Ordinal))
        {
            context.Error(HelpDiagnosticCodes.Title, title.Line, $"title '{name}' does not match the file name '{expectedName}.md'");
        }

        if (title.Blocks.Count > 0)
        {
            context.Error(HelpDiagnosticCodes.Sections, title.Blocks[0].Line, "text between the title and '## SYNOPSIS'");
        }

        var sections = ReadSections(title, context);

        var synopsis = ReadText(sections.GetValueOrDefault("SYNOPSIS"), context, required: true);
        var syntax = ReadSyntax(sections.GetValueOrDefault("SYNTAX"), name, context);
        var description = ReadText(sections.GetValueOrDefault("DESCRIPTION"), context, required: true);
        var examples = ReadExamples(sections.GetValueOrDefault("EXAMPLES"), context);
        var invalidParameters = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var parameters = ReadParameters(sections.GetValueOrDefault("PARAMETERS"), invalidParameters, context);
        var inputs = ReadTypes(sections.GetValueOrDefault("INPUTS"), context);
        var outputs = ReadTypes(sections.GetValueOrDefault("OUTPUTS"), context);
        var notes = ReadText(sections.GetValueOrDefault("NOTES"), context, required: false);
        var links = ReadRelatedLinks(sections.GetValueOrDefault("RELATED LINKS"), context);

        CheckSyntaxAgainstParameters(syntax, parameters, invalidParameters, sections.GetValueOrDefault("SYNTAX"), context);

        if (examples.Count < _options.MinimumExamples)
        {
            var line = sections.GetValueOrDefault("EXAMPLES")?.Line ?? title.Line;
            context.Warning(HelpDiagnosticCodes.FewExamples, line, $"{name} has {examples.Count} example(s); give at least {_options.MinimumExamples}");
        }

        return new CommandHelp(name, context.SourcePath, synopsis, syntax, description, examples, parameters, inputs, outputs, notes, links, context.OnlineVersion);
    }

    private static Dictionary<string, Heading> ReadSections(Heading title, PageContext context)
    {
        var sections = new Dictionary<string, Heading>(StringComparer.OrdinalIgnoreCase);
        var lastIndex = -1;
        foreach (var section in title.Children)
        {
            var key = section.Title.Trim().ToUpperInvariant();
            var index = SectionOrder.ToList().IndexOf(key);
            if (index < 0)
            {
                context.Error(HelpDiagnosticCodes.Sections, section.Line, $"unknown section '## {section.Title}'; the sections are {string.Join(", ", SectionOrder)}");
                continue;
            }

            if (!sections.TryAdd(key, section))
            {
                context.Error(HelpDiagnosticCodes.Sections, section.Line, $"section '## {key}' appears twice");
                continue;
            }

            if (index < lastIndex)
            {
                context.Error(HelpDiagnosticCodes.Sections, section.Line, $"section '## {key}' is out of order; the order is {string.Join(", ", SectionOrder)}");
            }

            lastIndex = Math.Max(lastIndex, index);
        }

        foreach (var missing in SectionOrder.Where(s => !sections.ContainsKey(s)))
        {
            context.Error(HelpDiagnosticCodes.Sections, title.Line, $"section '## {missing}' is missing");
        }

        return sections;
    }

    private static List<string> ReadText(Heading? section, PageContext context, bool required)
    {
        if (section is null) return [];
        foreach (var stray in section.Children)
        {
            context.Error(HelpDiagnosticCodes.Sections, stray.Line, $"'## {section.Title}' has no subsections ('### {stray.Title}')");
        }

        var paragraphs = section.Blocks.Select(b => b.Text).Where(t => t.Length > 0).ToList();
        if (required && paragraphs.Count == 0)
        {
            context.Error(HelpDiagnosticCodes.EmptyText, section.Line, $"'## {section.Title}' is empty");
        }

        return paragraphs;
    }

    private static List<SyntaxSet> ReadSyntax(Heading? section, string commandName, PageContext context)
    {
        var sets = new List<SyntaxSet>();
        if (section is null) return sets;

        if (section.Children.Count == 0)
        {
            var blocks = section.Blocks.Where(b => b.IsCode).ToList();
            if (blocks.Count != 1 || section.Blocks.Count != 1)
            {
                context.Error(HelpDiagnosticCodes.Syntax, section.Line, "SYNTAX holds one code block, or one '### SetName' subsection with one code block per parameter set");
            }

            if (blocks.Count > 0)
            {
                sets.Add(ReadSyntaxBlock(SyntaxSet.AllParameterSets, false, blocks[0], commandName, context));
            }

            return sets;
        }

        if (section.Blocks.Count > 0)
        {
            context.Error(HelpDiagnosticCodes.Syntax, section.Blocks[0].Line, "text in SYNTAX outside the '### SetName' subsections");
        }

        foreach (var subsection in section.Children)
        {
            var setTitle = subsection.Title.Trim();
            var match = DefaultSetPattern().Match(setTitle);
            var setName = match.Success ? match.Groups["name"].Value : setTitle;
            var blocks = subsection.Blocks.Where(b => b.IsCode).ToList();
            if (blocks.Count != 1 || subsection.Blocks.Count != 1)
            {
                context.Error(HelpDiagnosticCodes.Syntax, subsection.Line, $"parameter set '{setName}' must hold exactly one code block with the syntax line");
            }

            if (sets.Any(s => s.Name.Equals(setName, StringComparison.OrdinalIgnoreCase)))
            {
                context.Error(HelpDiagnosticCodes.Syntax, subsection.Line, $"parameter set '{setName}' appears twice");
                continue;
            }

            if (blocks.Count > 0)
            {
                sets.Add(ReadSyntaxBlock(setName, match.Success, blocks[0], commandName, context));
            }
        }

        if (sets.Count(s => s.IsDefault) > 1)
        {
            context.Error(HelpDiagnosticCodes.Syntax, section.Line, "more than one parameter set is marked (Default)");
        }

        return sets;
    }

    private static SyntaxSet ReadSyntaxBlock(string setName, bool isDefault, Block block, string commandName, PageContext context)
    {
        var text = block.Text.Trim();
        if (!text.StartsWith(commandName, StringComparison.OrdinalIgnoreCase)
            || (text.Length > commandName.Length && !char.IsWhiteSpace(text[commandName.Length])))
        {
            context.Error(HelpDiagnosticCodes.Syntax, block.Line, $"the syntax of set '{setName}' must start with the command name {commandName}");
        }

        var order = SyntaxParameterPattern().Matches(text.Length > commandName.Length ? text[commandName.Length..] : string.Empty)
            .Select(m => m.Groups["name"].Value)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
        return new SyntaxSet(setName, isDefault, text, order);
    }

    private static List<ExampleHelp> ReadExamples(Heading? section, PageContext context)
    {
        var examples = new List<ExampleHelp>();
        if (section is null) return examples;

        if (section.Blocks.Count > 0)
        {
            context.Error(HelpDiagnosticCodes.Example, section.Blocks[0].Line, "text in EXAMPLES outside an '### Example N: title' subsection");
        }

        foreach (var example in section.Children)
        {
            var code = example.Blocks.Where(b => b.IsCode && IsPowerShellFence(b.Language)).ToList();
            if (code.Count == 0)
            {
                context.Error(HelpDiagnosticCodes.Example, example.Line, $"example '{example.Title}' has no ```powershell code block");
                continue;
            }

            // Output alone does not say what an example is for: Get-Help readers need a sentence.
            if (!example.Blocks.Any(b => !b.IsCode && b.Text.Length > 0))
            {
                context.Error(HelpDiagnosticCodes.Example, example.Line, $"example '{example.Title}' has no explanation: add a paragraph saying what it does");
            }

            // Code blocks of other languages (```output) are shown as part of the remarks.
            var remarks = example.Blocks.Where(b => !code.Any(c => ReferenceEquals(c, b))).Select(b => b.Text).Where(t => t.Length > 0).ToList();
            examples.Add(new ExampleHelp(example.Title.Trim(), string.Join("\n\n", code.Select(c => c.Text)), remarks));
        }

        return examples;
    }

    private static bool IsPowerShellFence(string? language) =>
        string.IsNullOrEmpty(language)
        || language.Equals("powershell", StringComparison.OrdinalIgnoreCase)
        || language.Equals("pwsh", StringComparison.OrdinalIgnoreCase)
        || language.Equals("ps", StringComparison.OrdinalIgnoreCase)
        || language.Equals("ps1", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads the parameters; <paramref name="invalidParameters"/> gets those whose yaml was reported broken.</summary>
    private static List<ParameterHelp> ReadParameters(Heading? section, HashSet<string> invalidParameters, PageContext context)
    {
        var parameters = new List<ParameterHelp>();
        if (section is null) return parameters;

        if (section.Blocks.Count > 0)
        {
            context.Error(HelpDiagnosticCodes.Parameter, section.Blocks[0].Line, "text in PARAMETERS outside a '### -Name' subsection");
        }

        foreach (var subsection in section.Children)
        {
            var heading = subsection.Title.Trim();
            if (heading.Equals("CommonParameters", StringComparison.OrdinalIgnoreCase))
            {
                // The standard sentence about common parameters; Get-Help adds its own.
                continue;
            }

            if (!heading.StartsWith('-') || heading.Length < 2 || heading.Skip(1).Any(c => !char.IsLetterOrDigit(c) && c != '_'))
            {
                context.Error(HelpDiagnosticCodes.Parameter, subsection.Line, $"parameter heading '### {heading}' must be '### -Name' (or '### CommonParameters')");
                continue;
            }

            var name = heading[1..];
            if (parameters.Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
            {
                context.Error(HelpDiagnosticCodes.Parameter, subsection.Line, $"parameter -{name} is documented twice");
                continue;
            }

            var description = new List<string>();
            var usages = new List<ParameterUsage>();
            var yamlBlocks = 0;
            foreach (var block in subsection.Blocks)
            {
                if (block.IsCode && string.Equals(block.Language, "yaml", StringComparison.OrdinalIgnoreCase))
                {
                    yamlBlocks++;
                    var usage = ReadParameterYaml(name, block, context);
                    if (usage is not null) usages.Add(usage);
                }
                else if (yamlBlocks == 0)
                {
                    description.Add(block.Text);
                }
                else
                {
                    context.Error(HelpDiagnosticCodes.Parameter, block.Line, $"text after the yaml block of -{name}; the description goes before it");
                }
            }

            if (yamlBlocks == 0)
            {
                context.Error(HelpDiagnosticCodes.Parameter, subsection.Line, $"parameter -{name} has no ```yaml block (Type, Parameter Sets, Aliases, Required, Position, Default value, Accept pipeline input, Accept wildcard characters)");
            }

            if (usages.Count < yamlBlocks || yamlBlocks == 0)
            {
                // Already reported; keep it out of the syntax check so one mistake gives one error.
                invalidParameters.Add(name);
                continue;
            }

            if (description.Count == 0)
            {
                context.Warning(HelpDiagnosticCodes.UndescribedParameter, subsection.Line, $"parameter -{name} has no description");
            }

            parameters.Add(new ParameterHelp(name, description, usages));
        }

        return parameters;
    }

    private static ParameterUsage? ReadParameterYaml(string parameterName, Block block, PageContext context)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var ok = true;
        foreach (var (line, offset) in block.Text.Split('\n').Select((l, i) => (l, i)))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var lineNumber = block.Line + 1 + offset;
            var colon = line.IndexOf(':');
            var key = colon > 0 ? line[..colon].Trim() : string.Empty;
            if (colon <= 0 || !KnownYamlKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                context.Error(HelpDiagnosticCodes.Parameter, lineNumber, $"-{parameterName}: unknown yaml line '{line.Trim()}'; the keys are {string.Join(", ", KnownYamlKeys)}");
                ok = false;
                continue;
            }

            if (!fields.TryAdd(key, line[(colon + 1)..].Trim()))
            {
                context.Error(HelpDiagnosticCodes.Parameter, lineNumber, $"-{parameterName}: '{key}' appears twice in one yaml block");
                ok = false;
            }
        }

        foreach (var key in RequiredYamlKeys.Where(k => !fields.ContainsKey(k)))
        {
            context.Error(HelpDiagnosticCodes.Parameter, block.Line, $"-{parameterName}: yaml block lacks '{key}:'");
            ok = false;
        }

        if (!ok) return null;

        var type = fields["Type"];
        if (type.Length == 0)
        {
            context.Error(HelpDiagnosticCodes.Parameter, block.Line, $"-{parameterName}: 'Type:' is empty");
            ok = false;
        }

        var required = ReadBoolean(fields["Required"], "Required", parameterName, block.Line, context, ref ok);
        var wildcards = ReadBoolean(fields["Accept wildcard characters"], "Accept wildcard characters", parameterName, block.Line, context, ref ok);

        var position = fields["Position"];
        if (position.Equals("Named", StringComparison.OrdinalIgnoreCase))
        {
            position = "named";
        }
        else if (!int.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            context.Error(HelpDiagnosticCodes.Parameter, block.Line, $"-{parameterName}: 'Position: {position}' must be Named or a number");
            ok = false;
        }

        var pipelineInput = fields["Accept pipeline input"];
        if (!PipelineInputPattern().IsMatch(pipelineInput))
        {
            context.Error(HelpDiagnosticCodes.Parameter, block.Line, $"-{parameterName}: 'Accept pipeline input: {pipelineInput}' must be False, True (ByValue), True (ByPropertyName) or True (ByPropertyName, ByValue)");
            ok = false;
        }

        var sets = fields["Parameter Sets"];
        if (sets.Length == 0)
        {
            context.Error(HelpDiagnosticCodes.Parameter, block.Line, $"-{parameterName}: 'Parameter Sets:' is empty; write (All) or the set names");
            ok = false;
        }

        if (!ok) return null;

        var defaultValue = fields["Default value"];
        return new ParameterUsage(
            type,
            sets.Equals("(All)", StringComparison.OrdinalIgnoreCase) ? [] : SplitList(sets),
            SplitList(fields["Aliases"]),
            SplitList(fields.GetValueOrDefault("Accepted values") ?? string.Empty),
            required,
            position,
            defaultValue.Length == 0 ? "None" : defaultValue,
            pipelineInput,
            wildcards);
    }

    private static bool ReadBoolean(string value, string key, string parameterName, int line, PageContext context, ref bool ok)
    {
        if (bool.TryParse(value, out var result)) return result;
        context.Error(HelpDiagnosticCodes.Parameter, line, $"-{parameterName}: '{key}: {value}' must be True or False");
        ok = false;
        return false;
    }

    private static List<string> SplitList(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(v => !v.Equals("None", StringComparison.OrdinalIgnoreCase))
            .ToList();

    private static List<TypeHelp> ReadTypes(Heading? section, PageContext context)
    {
        var types = new List<TypeHelp>();
        if (section is null) return types;

        if (section.Blocks.Count > 0)
        {
            context.Error(HelpDiagnosticCodes.TypeList, section.Blocks[0].Line, $"text in '## {section.Title}' outside a '### TypeName' subsection (write '### None' when there is none)");
        }

        foreach (var subsection in section.Children)
        {
            types.Add(new TypeHelp(subsection.Title.Trim(), subsection.Blocks.Select(b => b.Text).Where(t => t.Length > 0).ToList()));
        }

        return types;
    }

    private static List<RelatedLink> ReadRelatedLinks(Heading? section, PageContext context)
    {
        var links = new List<RelatedLink>();
        if (section is null) return links;

        foreach (var stray in section.Children)
        {
            context.Error(HelpDiagnosticCodes.Sections, stray.Line, $"'## RELATED LINKS' has no subsections ('### {stray.Title}')");
        }

        foreach (var block in section.Blocks)
        {
            var match = MarkdownLinkPattern().Match(block.Text);
            links.Add(match.Success
                ? new RelatedLink(match.Groups["text"].Value.Trim(), match.Groups["uri"].Value.Trim())
                : new RelatedLink(block.Text.TrimStart('-', '*', '+', ' '), string.Empty));
        }

        return links;
    }

    private static void CheckSyntaxAgainstParameters(List<SyntaxSet> syntax, List<ParameterHelp> parameters, HashSet<string> invalidParameters, Heading? syntaxSection, PageContext context)
    {
        if (syntaxSection is null || syntax.Count == 0) return;
        var line = syntaxSection.Line;
        var setNames = syntax.Select(s => s.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

        foreach (var parameter in parameters)
        {
            foreach (var unknown in parameter.Usages.SelectMany(u => u.ParameterSets).Where(s => !setNames.Contains(s)))
            {
                context.Error(HelpDiagnosticCodes.SyntaxParameterMismatch, line, $"-{parameter.Name} names parameter set '{unknown}', which SYNTAX does not have (sets: {string.Join(", ", setNames)})");
            }
        }

        foreach (var set in syntax)
        {
            var documented = parameters.Where(p => p.UsageFor(set.Name) is not null).Select(p => p.Name).ToList();
            foreach (var missing in documented.Where(p => !set.ParameterOrder.Contains(p, StringComparer.OrdinalIgnoreCase)))
            {
                context.Error(HelpDiagnosticCodes.SyntaxParameterMismatch, line, $"-{missing} belongs to parameter set '{set.Name}' by its yaml, but that set's syntax line does not show it");
            }

            foreach (var undocumented in set.ParameterOrder.Where(p => !documented.Contains(p, StringComparer.OrdinalIgnoreCase)
                         && !invalidParameters.Contains(p)
                         && !RiskMitigationParameters.Contains(p, StringComparer.OrdinalIgnoreCase)))
            {
                context.Error(HelpDiagnosticCodes.SyntaxParameterMismatch, line, parameters.Any(p => p.Name.Equals(undocumented, StringComparison.OrdinalIgnoreCase))
                    ? $"the syntax of set '{set.Name}' shows -{undocumented}, whose yaml does not list that set"
                    : $"the syntax of set '{set.Name}' shows -{undocumented}, which PARAMETERS does not document");
            }
        }
    }

    private sealed class Heading(int level, string title, int line)
    {
        public int Level { get; } = level;
        public string Title { get; } = title;
        public int Line { get; } = line;
        public List<Block> Blocks { get; } = [];
        public List<Heading> Children { get; } = [];
    }

    /// <summary>A paragraph (Language null) or a fenced code block (Language "" or its info string).</summary>
    private sealed record Block(int Line, string? Language, string Text)
    {
        public bool IsCode => Language is not null;
    }

    private sealed class PageContext(string sourcePath)
    {
        private readonly List<HelpDiagnostic> _diagnostics = [];

        public string SourcePath { get; } = sourcePath;
        public string? OnlineVersion { get; set; }
        public IReadOnlyList<HelpDiagnostic> Diagnostics => _diagnostics;
        public bool HasErrors => _diagnostics.Any(d => d.IsError);

        public void Error(string code, int line, string message) =>
            _diagnostics.Add(new HelpDiagnostic(HelpSeverity.Error, code, SourcePath, line, message));

        public void Warning(string code, int line, string message) =>
            _diagnostics.Add(new HelpDiagnostic(HelpSeverity.Warning, code, SourcePath, line, message));
    }
}
