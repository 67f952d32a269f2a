using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Kubernetes;

namespace EtcdTools.Commands;

/// <summary>Closes local port-forwards opened by Start-EtcdPortForward: those piped in, or every one still open.</summary>
[Cmdlet(VerbsLifecycle.Stop, "EtcdPortForward", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(EtcdLocalPortForward))]
public sealed class StopEtcdPortForwardCommand : EtcdToolsCmdlet
{
    /// <summary>The forwards to close; every open one when none is given.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    public EtcdLocalPortForward[]? InputObject { get; set; }

    /// <summary>Emit the closed forwards.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private bool _sawInput;

    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        _sawInput = true;
        foreach (var forward in InputObject) Stop(forward);
    }

    protected override void EndProcessing()
    {
        if (_sawInput) return;
        foreach (var forward in EtcdLocalPortForward.Running) Stop(forward);
    }

    private void Stop(EtcdLocalPortForward forward)
    {
        if (!forward.IsRunning || !ShouldProcess(forward.ToString(), "Close the local port-forward")) return;
        forward.Dispose();
        if (PassThru) WriteObject(forward);
    }
}
