using System.Management.Automation;
using System.Management.Automation.Language;

namespace EtcdTools.Framework;

/// <summary>
/// Whether a cmdlet's output goes straight to an interactive console: it is last in its pipeline,
/// its output is not assigned, captured or redirected (read from the statement's syntax), and the
/// host is the console host, rendering VT sequences, with stdout not redirected. Only then may a
/// cmdlet draw on the console instead of writing objects.
/// </summary>
internal static class ConsoleOutput
{
    public static bool IsInteractiveConsole(PSCmdlet cmdlet)
    {
        var invocation = cmdlet.MyInvocation;
        if (invocation.PipelinePosition != invocation.PipelineLength) return false;
        if (cmdlet.Host.Name != "ConsoleHost" || !cmdlet.Host.UI.SupportsVirtualTerminal || Console.IsOutputRedirected) return false;
        return !IsCaptured(invocation);
    }

    /// <summary>
    /// True when the statement around the command takes its output (an assignment, parentheses or
    /// $(), an outer pipeline or redirection, a script block whose output goes who knows where),
    /// or when the statement cannot be read: drawing where output was expected would lose it.
    /// </summary>
    internal static bool IsCaptured(InvocationInfo invocation)
    {
        if (string.IsNullOrEmpty(invocation.Line) || invocation.OffsetInLine < 1) return true;
        var script = Parser.ParseInput(invocation.Line, out _, out _);
        if (script.Find(a => a is CommandAst c && c.Extent.StartLineNumber == 1 && c.Extent.StartColumnNumber == invocation.OffsetInLine, searchNestedScriptBlocks: true)
            is not CommandAst command)
            return true;
        for (Ast? node = command; node is not null; node = node.Parent)
        {
            switch (node)
            {
                case CommandBaseAst element when element.Redirections.Count > 0:
                case PipelineAst { PipelineElements.Count: > 1 }:
                case AssignmentStatementAst:
                case ParenExpressionAst or SubExpressionAst or ArrayExpressionAst:
                case ScriptBlockExpressionAst:
                    return true;
            }
        }
        return false;
    }
}
