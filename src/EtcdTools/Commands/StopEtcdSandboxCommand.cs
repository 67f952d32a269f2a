using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Sandbox;

namespace EtcdTools.Commands;

/// <summary>Kills a sandbox's members and deletes its directory (data, logs, certificates).</summary>
[Cmdlet(VerbsLifecycle.Stop, "EtcdSandbox", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Sandbox")]
[OutputType(typeof(EtcdSandbox))]
public sealed class StopEtcdSandboxCommand : EtcdToolsCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Sandbox")]
    public EtcdSandbox[] Sandbox { get; set; } = [];

    /// <summary>Sandboxes of this session by name (see Get-EtcdSandbox).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary>Every sandbox of this session.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var targets = ParameterSetName switch
        {
            "Name" => SandboxSelection.ByName(this, Name),
            "All" => EtcdSandbox.Running,
            _ => Sandbox,
        };
        foreach (var sandbox in targets)
        {
            if (!ShouldProcess($"{sandbox.Name} ({sandbox.Directory})", "Stop the etcd sandbox and delete its data")) continue;
            sandbox.Dispose();
            // The session's connection to it would only fail from now on.
            var session = EtcdSession.Of(this);
            if (session.Connection is { } current && current.Endpoint == sandbox.Endpoint) session.Connection = null;
            if (PassThru) WriteObject(sandbox);
        }
    }
}
