using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using EtcdTools.Client;

namespace EtcdTools.Completion;

/// <summary>Completes -MemberId with the names and hex IDs of the connected cluster's members.</summary>
public sealed class MemberCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = CompletionContext.Unquote(wordToComplete);
        var members = CompletionContext.Ask(CompletionContext.Settings(fakeBoundParameters), async (cluster, ct) =>
            (IReadOnlyList<Protocol.Etcdserverpb.Member>)(await cluster.GetMembersAsync(ct).ConfigureAwait(false)).Members.ToList());
        foreach (var member in members.OrderBy(m => m.Name, StringComparer.OrdinalIgnoreCase))
        {
            var id = MemberId.Format(member.ID);
            var tooltip = $"{(member.Name.Length > 0 ? member.Name : "(not started)")} {id} {string.Join(",", member.ClientURLs)}{(member.IsLearner ? " learner" : "")}";
            if (member.Name.Length > 0 && member.Name.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
                yield return new CompletionResult(CompletionContext.Quote(member.Name), member.Name, CompletionResultType.ParameterValue, tooltip);
            else if (id.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
                yield return new CompletionResult(id, id, CompletionResultType.ParameterValue, tooltip);
        }
    }
}
