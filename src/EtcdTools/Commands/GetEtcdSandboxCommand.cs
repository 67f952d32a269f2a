using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Sandbox;

namespace EtcdTools.Commands;

/// <summary>The sandboxes this PowerShell process started and has not stopped.</summary>
[Cmdlet(VerbsCommon.Get, "EtcdSandbox")]
[OutputType(typeof(EtcdSandbox))]
public sealed class GetEtcdSandboxCommand : PSCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord() =>
        WriteObject(Name is null ? EtcdSandbox.Running : SandboxSelection.ByName(this, Name), enumerateCollection: true);
}

internal static class SandboxSelection
{
    /// <summary>Running sandboxes matching the names (wildcards allowed); a plain name with no match is an error.</summary>
    public static IReadOnlyList<EtcdSandbox> ByName(PSCmdlet cmdlet, IEnumerable<string> names)
    {
        var found = new List<EtcdSandbox>();
        foreach (var name in names)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = EtcdSandbox.Running.Where(s => pattern.IsMatch(s.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                cmdlet.WriteError(new ErrorRecord(new ItemNotFoundException($"No running etcd sandbox is named '{name}'."),
                    "EtcdSandboxNotFound", ErrorCategory.ObjectNotFound, name));
            found.AddRange(matches.Except(found));
        }
        return found;
    }
}
