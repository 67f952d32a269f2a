using System.Text;
using System.Text.RegularExpressions;
using EtcdTools.Module.Tests.Infrastructure;

namespace EtcdTools.Module.Tests;

/// <summary>
/// PowerShell lets a cmdlet write (WriteObject, WriteError, WriteVerbose, WriteProgress, ...), ask
/// (ShouldProcess, ShouldContinue) and fail (ThrowTerminatingError) only on its pipeline thread:
/// elsewhere it throws PSInvalidOperationException ("WriteObject and WriteError methods cannot be
/// called from outside the overrides..."), or a terminating error is lost with the task. And
/// Runspace.DefaultRunspace, through which SessionConnection and SessionState find the runspace, is
/// [ThreadStatic]: null on the thread pool. So the work given to EtcdCmdlet.Run (which runs on the
/// thread pool and hands its output back through CmdletOutput) and to Task.Run must use none of them.
/// Checked in the sources, since none of this shows without pwsh.
/// </summary>
public sealed class PipelineThreadTests
{
    /// <summary>Calls that must happen on the pipeline thread; <c>output.WriteObject</c> (CmdletOutput) is the way from the work.</summary>
    private static readonly Regex PipelineThreadOnly = new(
        @"(?<![\w.])(?:this\.)?(?<call>WriteObject|WriteError|WriteWarning|WriteVerbose|WriteDebug|WriteProgress|WriteInformation|WriteCommandDetail|ShouldProcess|ShouldContinue|ThrowTerminatingError|ResolvePath|GetResolvedProviderPathFromPSPath|GetUnresolvedProviderPathFromPSPath)\s*\("
        + @"|(?<call>SessionConnection\.\w+|Runspace\.DefaultRunspace|SessionState\.\w+|InvokeCommand\.\w+|Host\.UI)",
        RegexOptions.Compiled);

    [Fact]
    public void AsyncWorkUsesNoPipelineThreadApi()
    {
        var violations = new Violations();
        var scanned = 0;
        foreach (var file in SourceFiles())
        {
            var code = CSharpCode.Blank(File.ReadAllText(file));
            foreach (var (start, body) in CSharpCode.Invocations(code, "Run"))
            {
                scanned++;
                foreach (Match match in PipelineThreadOnly.Matches(body))
                {
                    var line = code[..(start + match.Index)].Count(c => c == '\n') + 1;
                    violations.Add($"{Path.GetRelativePath(RepositoryPaths.Root, file)}:{line}: {match.Groups["call"].Value} inside work that runs on the thread pool; do it on the pipeline thread, or through CmdletOutput (output.WriteObject, ...)");
                }
            }
        }

        Assert.True(scanned > 10, $"only {scanned} Run(...)/Task.Run(...) calls found: the scanner is broken");
        violations.AssertNone("Work passed to Run or Task.Run must not touch what PowerShell allows only on the pipeline thread.");
    }

    [Fact]
    public void TheScannerFindsPipelineThreadCallsInsideTheWork()
    {
        const string source = """
            Run(async (output, ct) =>
            {
                var text = $"({Count} keys {(Prefix ? "under" : "at")} ')' \"";
                output.WriteObject(text); // WriteObject( in a comment is fine
                SessionConnection.Set(connection);
                WriteVerbose("done)");
            }, target);
            WriteObject(afterwards);
            var sandbox = Task.Run(() => EtcdSandbox.StartAsync(options, token)).GetAwaiter().GetResult();
            """;
        var code = CSharpCode.Blank(source);
        var bodies = CSharpCode.Invocations(code, "Run").Select(b => b.Body).ToList();

        Assert.Equal(2, bodies.Count);
        Assert.Equal(["SessionConnection.Set", "WriteVerbose"], PipelineThreadOnly.Matches(bodies[0]).Select(m => m.Groups["call"].Value));
        Assert.Empty(PipelineThreadOnly.Matches(bodies[1]));
    }

    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "src", RepositoryPaths.ModuleName), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    /// <summary>Just enough C# lexing to find calls and their argument lists without tripping over strings and comments.</summary>
    private static class CSharpCode
    {
        /// <summary>The source with comments and the contents of string and char literals replaced by spaces (code inside interpolation holes kept), so offsets stay the same.</summary>
        public static string Blank(string source)
        {
            var result = new StringBuilder(source);
            var i = 0;
            while (i < source.Length)
            {
                if (source[i] == '/' && i + 1 < source.Length && source[i + 1] == '/')
                {
                    var end = source.IndexOf('\n', i);
                    end = end < 0 ? source.Length : end;
                    Clear(result, i, end);
                    i = end;
                }
                else if (source[i] == '/' && i + 1 < source.Length && source[i + 1] == '*')
                {
                    var end = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
                    end = end < 0 ? source.Length : end + 2;
                    Clear(result, i, end);
                    i = end;
                }
                else if (source[i] == '\'')
                {
                    var end = i + 1;
                    while (end < source.Length && source[end] != '\'') end += source[end] == '\\' ? 2 : 1;
                    Clear(result, i + 1, Math.Min(end, source.Length));
                    i = end + 1;
                }
                else if (source[i] == '"' || (source[i] is '$' or '@' && i + 1 < source.Length && source[i + 1] is '"' or '$' or '@'))
                {
                    i = SkipString(source, result, i);
                }
                else
                {
                    i++;
                }
            }

            return result.ToString();
        }

        /// <summary>Blanks the string literal at <paramref name="start"/> (regular, verbatim, interpolated, raw) and returns the index after it.</summary>
        private static int SkipString(string source, StringBuilder result, int start)
        {
            var i = start;
            var interpolated = false;
            var verbatim = false;
            while (source[i] is '$' or '@')
            {
                interpolated |= source[i] == '$';
                verbatim |= source[i] == '@';
                i++;
            }

            var quotes = 0;
            while (i + quotes < source.Length && source[i + quotes] == '"') quotes++;
            var raw = quotes >= 3;
            if (!raw) quotes = 1;
            i += quotes;
            var depth = 0;
            while (i < source.Length)
            {
                var c = source[i];
                if (depth > 0)
                {
                    // Code inside an interpolation hole: keep it, but skip nested literals.
                    if (c == '"' || (c is '$' or '@' && i + 1 < source.Length && source[i + 1] is '"' or '$' or '@')) { i = SkipString(source, result, i); continue; }
                    if (c == '{') depth++;
                    else if (c == '}') depth--;
                    i++;
                    continue;
                }

                if (interpolated && c == '{')
                {
                    if (i + 1 < source.Length && source[i + 1] == '{' && !raw) { result[i] = ' '; result[i + 1] = ' '; i += 2; continue; }
                    depth++;
                    i++;
                    continue;
                }

                if (!verbatim && !raw && c == '\\') { result[i] = ' '; if (i + 1 < source.Length) result[i + 1] = ' '; i += 2; continue; }
                if (c == '"')
                {
                    if (raw)
                    {
                        var run = 0;
                        while (i + run < source.Length && source[i + run] == '"') run++;
                        if (run >= quotes) return i + run;
                        Clear(result, i, i + run);
                        i += run;
                        continue;
                    }

                    if (verbatim && i + 1 < source.Length && source[i + 1] == '"') { result[i] = ' '; result[i + 1] = ' '; i += 2; continue; }
                    return i + 1;
                }

                if (c != '\n') result[i] = ' ';
                i++;
            }

            return i;
        }

        private static void Clear(StringBuilder text, int from, int to)
        {
            for (var i = from; i < to && i < text.Length; i++)
            {
                if (text[i] != '\n') text[i] = ' ';
            }
        }

        /// <summary>Every call of a method named <paramref name="name"/> (Run(...), Task.Run(...)): where its arguments start and the argument text.</summary>
        public static IEnumerable<(int Start, string Body)> Invocations(string code, string name)
        {
            foreach (Match match in Regex.Matches(code, $@"(?<![\w]){Regex.Escape(name)}\s*\("))
            {
                // Skip declarations such as "protected void Run(".
                var before = code[..match.Index].TrimEnd();
                if (before.EndsWith("void", StringComparison.Ordinal) || before.EndsWith("Task", StringComparison.Ordinal)) continue;
                var open = match.Index + match.Length - 1;
                var depth = 0;
                for (var i = open; i < code.Length; i++)
                {
                    if (code[i] == '(') depth++;
                    else if (code[i] == ')' && --depth == 0)
                    {
                        yield return (open + 1, code[(open + 1)..i]);
                        break;
                    }
                }
            }
        }
    }
}
