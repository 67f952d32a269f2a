using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Sandbox;

namespace EtcdTools.Commands;

/// <summary>Thaws a suspended sandbox member with SIGCONT.</summary>
[Cmdlet(VerbsLifecycle.Resume, "EtcdSandboxMember", SupportsShouldProcess = true, DefaultParameterSetName = "Index")]
[OutputType(typeof(EtcdSandboxMember))]
public sealed class ResumeEtcdSandboxMemberCommand : SandboxMemberCmdlet
{
    protected override string Action => "Resume the member (SIGCONT)";

    protected override Task ActAsync(EtcdSandbox sandbox, int index, CancellationToken cancellationToken)
    {
        sandbox.ResumeMember(index);
        return Task.CompletedTask;
    }
}
