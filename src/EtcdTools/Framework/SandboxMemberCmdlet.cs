using System.Management.Automation;
using EtcdTools.Sandbox;

namespace EtcdTools.Framework;

/// <summary>
/// Base of the fault-drill cmdlets: picks members of a sandbox by index or name, asks
/// ShouldProcess, acts, and emits the member with -PassThru. A member that cannot be acted on is
/// its own non-terminating error; the others still are.
/// </summary>
public abstract class SandboxMemberCmdlet : EtcdToolsCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public EtcdSandbox Sandbox { get; set; } = null!;

    /// <summary>Member positions, from 0.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Index")]
    public int[] Index { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "Name")]
    [ArgumentCompleter(typeof(Completion.SandboxMemberNameCompleter))]
    public string[] MemberName { get; set; } = [];

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected abstract string Action { get; }

    protected abstract Task ActAsync(EtcdSandbox sandbox, int index, CancellationToken cancellationToken);

    protected override void ProcessRecord()
    {
        foreach (var index in SelectIndexes())
        {
            var member = Sandbox.Members[index];
            if (!ShouldProcess($"{member.Name} (PID {member.ProcessId}) of sandbox {Sandbox.Name}", Action)) continue;
            var sandbox = Sandbox;
            if (Run((_, ct) => ActAsync(sandbox, index, ct), member) && PassThru) WriteObject(member);
        }
    }

    private IEnumerable<int> SelectIndexes()
    {
        if (ParameterSetName == "Name")
        {
            foreach (var name in MemberName)
            {
                var member = Sandbox.Members.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
                if (member is null)
                    WriteError(new ErrorRecord(new ItemNotFoundException($"Sandbox {Sandbox.Name} has no member '{name}'. Members: {string.Join(", ", Sandbox.Members.Select(m => m.Name))}."),
                        "EtcdSandboxMemberNotFound", ErrorCategory.ObjectNotFound, name));
                else yield return member.Index;
            }
            yield break;
        }
        foreach (var index in Index)
        {
            if (index < 0 || index >= Sandbox.Members.Count)
                WriteError(new ErrorRecord(new ArgumentOutOfRangeException(nameof(Index), index, $"Sandbox {Sandbox.Name} has members 0 to {Sandbox.Members.Count - 1}."),
                    "EtcdSandboxMemberNotFound", ErrorCategory.InvalidArgument, index));
            else yield return index;
        }
    }
}
