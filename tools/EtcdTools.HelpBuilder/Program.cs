namespace EtcdTools.HelpBuilder;

/// <summary>
/// EtcdTools.HelpBuilder &lt;markdown folder&gt; &lt;output folder&gt; [--module NAME] [--help-file FILE]
/// Prints problems in MSBuild's format and exits 1 when a page is malformed.
/// </summary>
public static class Program
{
    public const int Success = 0;
    public const int PagesHaveErrors = 1;
    public const int UsageError = 2;

    public static int Main(string[] args) => Run(args, Console.Out);

    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        var positional = new List<string>();
        var moduleName = "EtcdTools";
        string? helpFileName = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--module" when i + 1 < args.Count:
                    moduleName = args[++i];
                    break;
                case "--help-file" when i + 1 < args.Count:
                    helpFileName = args[++i];
                    break;
                default:
                    if (args[i].StartsWith("--", StringComparison.Ordinal))
                    {
                        return Usage(output, $"unknown or incomplete option '{args[i]}'");
                    }

                    positional.Add(args[i]);
                    break;
            }
        }

        if (positional.Count != 2) return Usage(output, "expected a markdown folder and an output folder");

        var options = HelpBuilderOptions.ForModule(moduleName);
        if (helpFileName is not null) options = options with { HelpFileName = helpFileName };

        var converter = new MarkdownHelpConverter(options);
        var result = converter.Build(Path.GetFullPath(positional[0]), Path.GetFullPath(positional[1]));
        foreach (var diagnostic in result.Diagnostics)
        {
            output.WriteLine(diagnostic.ToString());
        }

        if (result.HasErrors)
        {
            output.WriteLine($"EtcdTools.HelpBuilder: no help written: {result.Diagnostics.Count(d => d.IsError)} error(s) in the pages.");
            return PagesHaveErrors;
        }

        output.WriteLine($"EtcdTools.HelpBuilder: {result.Commands.Count} command(s) -> {Path.Combine(Path.GetFullPath(positional[1]), options.HelpFileName)}");
        return Success;
    }

    private static int Usage(TextWriter output, string problem)
    {
        output.WriteLine($"EtcdTools.HelpBuilder: error HB0001: {problem}");
        output.WriteLine("usage: EtcdTools.HelpBuilder <markdown folder> <output folder> [--module NAME] [--help-file FILE]");
        return UsageError;
    }
}
