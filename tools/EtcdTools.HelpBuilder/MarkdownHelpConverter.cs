using System.Xml.Linq;

namespace EtcdTools.HelpBuilder;

/// <summary>The outcome of converting a folder of pages: the MAML document when no page had errors.</summary>
public sealed record HelpBuildResult(XDocument? Maml, IReadOnlyList<CommandHelp> Commands, IReadOnlyList<HelpDiagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// Converts the cmdlet pages of a help folder (every *.md except about_* topics) into one MAML
/// document, and writes it only when every page is well-formed.
/// </summary>
public sealed class MarkdownHelpConverter(HelpBuilderOptions options)
{
    private readonly MarkdownHelpParser _parser = new(options);

    public HelpBuilderOptions Options { get; } = options;

    public HelpPageResult ParsePage(string markdown, string sourcePath) => _parser.Parse(markdown, sourcePath);

    public HelpBuildResult ConvertPages(IEnumerable<(string Path, string Markdown)> pages)
    {
        var diagnostics = new List<HelpDiagnostic>();
        var commands = new List<CommandHelp>();
        foreach (var (path, markdown) in pages)
        {
            var result = _parser.Parse(markdown, path);
            diagnostics.AddRange(result.Diagnostics);
            if (result.Page is null) continue;

            var duplicate = commands.FirstOrDefault(c => c.Name.Equals(result.Page.Name, StringComparison.OrdinalIgnoreCase));
            if (duplicate is not null)
            {
                diagnostics.Add(new HelpDiagnostic(HelpSeverity.Error, HelpDiagnosticCodes.DuplicateCommand, path, 0,
                    $"{result.Page.Name} is documented by {duplicate.SourcePath} too"));
                continue;
            }

            commands.Add(result.Page);
        }

        var hasErrors = diagnostics.Any(d => d.IsError);
        return new HelpBuildResult(hasErrors ? null : MamlWriter.ToMaml(commands), commands, diagnostics);
    }

    public HelpBuildResult ConvertDirectory(string markdownDirectory)
    {
        if (!Directory.Exists(markdownDirectory))
        {
            return new HelpBuildResult(null, [], [new HelpDiagnostic(HelpSeverity.Error, HelpDiagnosticCodes.Input, markdownDirectory, 0, "help folder not found")]);
        }

        var pages = Directory.EnumerateFiles(markdownDirectory, "*.md", SearchOption.TopDirectoryOnly)
            .Where(path => !Path.GetFileName(path).StartsWith("about_", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Select(path => (Path.GetFullPath(path), File.ReadAllText(path)));
        return ConvertPages(pages);
    }

    /// <summary>
    /// Converts <paramref name="markdownDirectory"/> and, when no page has errors, writes the MAML to
    /// <paramref name="outputDirectory"/>. The file is replaced whole, so a failed build never leaves
    /// a half-written or stale-but-new-looking help file behind.
    /// </summary>
    public HelpBuildResult Build(string markdownDirectory, string outputDirectory)
    {
        var result = ConvertDirectory(markdownDirectory);
        var target = Path.Combine(outputDirectory, Options.HelpFileName);
        if (result.Maml is null)
        {
            if (File.Exists(target)) File.Delete(target);
            return result;
        }

        Directory.CreateDirectory(outputDirectory);
        var temporary = target + ".tmp";
        File.WriteAllText(temporary, MamlWriter.Serialize(result.Maml));
        File.Move(temporary, target, overwrite: true);
        return result;
    }
}
