namespace EtcdTools.HelpBuilder;

public enum HelpSeverity
{
    Warning,
    Error,
}

/// <summary>A problem found in a help page, pointing at its file and line.</summary>
public sealed record HelpDiagnostic(HelpSeverity Severity, string Code, string File, int Line, string Message)
{
    public bool IsError => Severity == HelpSeverity.Error;

    /// <summary>
    /// MSBuild's canonical message format ("file(line): error CODE: text"), so the Exec task that
    /// runs the builder reports each problem as a build error or warning at the page's line.
    /// </summary>
    public override string ToString()
    {
        var location = Line > 0 ? $"{File}({Line})" : File;
        var category = Severity == HelpSeverity.Error ? "error" : "warning";
        return $"{location}: {category} {Code}: {Message}";
    }
}

/// <summary>Diagnostic codes: HB1xxx are errors (the page is malformed), HB2xxx warnings.</summary>
public static class HelpDiagnosticCodes
{
    public const string FrontMatter = "HB1001";
    public const string Title = "HB1002";
    public const string Sections = "HB1003";
    public const string EmptyText = "HB1004";
    public const string Syntax = "HB1005";
    public const string Example = "HB1006";
    public const string Parameter = "HB1007";
    public const string TypeList = "HB1008";
    public const string CodeFence = "HB1009";
    public const string SyntaxParameterMismatch = "HB1010";
    public const string DuplicateCommand = "HB1011";
    public const string Input = "HB1012";

    public const string FewExamples = "HB2001";
    public const string Placeholder = "HB2002";
    public const string UndescribedParameter = "HB2003";
}

/// <summary>The outcome of reading one page: the help when the page is well-formed, and what was found.</summary>
public sealed record HelpPageResult(CommandHelp? Page, IReadOnlyList<HelpDiagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}
