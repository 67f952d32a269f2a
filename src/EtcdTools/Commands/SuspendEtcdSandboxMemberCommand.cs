using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Sandbox;

namespace EtcdTools.Commands;

/// <summary>Freezes a sandbox member with SIGSTOP: a hung member that still holds its sockets open.</summary>
[Cmdlet(VerbsLifecycle.Suspend, "EtcdSandboxMember", SupportsShouldProcess = true, DefaultParameterSetName = "Index")]
[OutputType(typeof(EtcdSandboxMember))]
public sealed class SuspendEtcdSandboxMemberCommand : SandboxMemberCmdlet
{
    protected override string Action => "Suspend the member (SIGSTOP)";

    protected override Task ActAsync(EtcdSandbox sandbox, int index, CancellationToken cancellationToken)
    {
        sandbox.SuspendMember(index);
        return Task.CompletedTask;
    }
}
