using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using EtcdTools.Keys;

namespace EtcdTools.Completion;

/// <summary>Completes -Key with the keys of the connected cluster, a path segment at a time.</summary>
public sealed class KeyCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = CompletionContext.Unquote(wordToComplete);
        var keys = CompletionContext.Ask(CompletionContext.Settings(fakeBoundParameters), (cluster, ct) => KeySuggestions.SuggestAsync(cluster, typed, ct));
        return keys.Select(key => new CompletionResult(CompletionContext.Quote(key), key, CompletionResultType.ParameterValue, key));
    }
}
