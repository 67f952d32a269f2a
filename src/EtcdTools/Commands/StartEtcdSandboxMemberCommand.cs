using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Sandbox;

namespace EtcdTools.Commands;

/// <summary>Starts a stopped sandbox member again on its data and waits until it is healthy.</summary>
[Cmdlet(VerbsLifecycle.Start, "EtcdSandboxMember", SupportsShouldProcess = true, DefaultParameterSetName = "Index")]
[OutputType(typeof(EtcdSandboxMember))]
public sealed class StartEtcdSandboxMemberCommand : SandboxMemberCmdlet
{
    protected override string Action => "Start the member again";

    protected override Task ActAsync(EtcdSandbox sandbox, int index, CancellationToken cancellationToken) => sandbox.RestartMemberAsync(index, cancellationToken);
}
