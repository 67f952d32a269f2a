using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Sandbox;

namespace EtcdTools.Commands;

/// <summary>Stops a sandbox member (SIGTERM, SIGKILL after a grace period): a member down.</summary>
[Cmdlet(VerbsLifecycle.Stop, "EtcdSandboxMember", SupportsShouldProcess = true, DefaultParameterSetName = "Index")]
[OutputType(typeof(EtcdSandboxMember))]
public sealed class StopEtcdSandboxMemberCommand : SandboxMemberCmdlet
{
    protected override string Action => "Stop the member (SIGTERM)";

    protected override Task ActAsync(EtcdSandbox sandbox, int index, CancellationToken cancellationToken) => sandbox.StopMemberAsync(index, cancellationToken);
}
