using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using EtcdTools.Sandbox;

namespace EtcdTools.Completion;

/// <summary>Completes -Name with the sandboxes this process runs.</summary>
public sealed class SandboxNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = CompletionContext.Unquote(wordToComplete);
        return EtcdSandbox.Running
            .Where(s => s.Name.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase)
            .Select(s => new CompletionResult(CompletionContext.Quote(s.Name), s.Name, CompletionResultType.ParameterValue,
                $"{s.Name}: {s.MemberCount} member(s) at {s.Endpoint}"));
    }
}

/// <summary>Completes -MemberName with the members of the sandbox given, or of every running sandbox.</summary>
public sealed class SandboxMemberNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = CompletionContext.Unquote(wordToComplete);
        var given = fakeBoundParameters["Sandbox"] is PSObject { BaseObject: EtcdSandbox one } ? one : fakeBoundParameters["Sandbox"] as EtcdSandbox;
        var sandboxes = given is null ? EtcdSandbox.Running : [given];
        return sandboxes.SelectMany(s => s.Members)
            .Where(m => m.Name.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .Select(m => new CompletionResult(CompletionContext.Quote(m.Name), m.Name, CompletionResultType.ParameterValue, $"{m.Name} {m.ClientUrl} {m.State}"));
    }
}
