using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using EtcdTools.Client;

namespace EtcdTools.Completion;

/// <summary>
/// Completes -MemberId with the names and hex IDs of the connected cluster's members; only the
/// learners for Update-EtcdMember -Promote, since only a learner can be promoted.
/// </summary>
public sealed class MemberCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = CompletionContext.Unquote(wordToComplete);
        var members = CompletionContext.Ask(CompletionContext.Settings(fakeBoundParameters), MemberSuggestions.SuggestAsync);
        var learnersOnly = fakeBoundParameters.Contains("Promote");
        foreach (var member in members.Where(m => !learnersOnly || m.IsLearner))
        {
            var tooltip = $"{(member.Name.Length > 0 ? member.Name : "(not started)")} {member.Id} {member.ClientUrls}{(member.IsLearner ? " learner" : "")}";
            if (member.Name.Length > 0 && member.Name.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
                yield return new CompletionResult(CompletionContext.Quote(member.Name), member.Name, CompletionResultType.ParameterValue, tooltip);
            else if (member.Id.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
                yield return new CompletionResult(member.Id, member.Id, CompletionResultType.ParameterValue, tooltip);
        }
    }
}
