using System.Management.Automation;
using EtcdTools.Client;

namespace EtcdTools.Framework;

/// <summary>
/// What the module remembers between commands in one runspace: the connection Connect-EtcdCluster
/// made. It lives in a private variable of the module's own session state, as a script module's
/// $script: variables do, so each runspace (ForEach-Object -Parallel, jobs, a runbook's runspace
/// pool) has its own, and it goes when its runspace closes or the module is removed.
/// </summary>
internal sealed class EtcdSession
{
    private const string VariableName = "EtcdToolsSession";

    public EtcdConnection? Connection { get; set; }

    /// <summary>The Kubernetes side of <see cref="Connection"/> when Connect-EtcdCluster -Kubernetes made it (its pods, its port-forwards).</summary>
    public Kubernetes.EtcdKubernetesConnection? Kubernetes { get; set; }

    /// <summary>
    /// The session of the runspace <paramref name="cmdlet"/> runs in. Call on the pipeline thread
    /// only (session state is not thread-safe): read it before Run, not inside the work.
    /// </summary>
    public static EtcdSession Of(PSCmdlet cmdlet) =>
        Of(cmdlet.MyInvocation.MyCommand.Module?.SessionState ?? cmdlet.SessionState);

    /// <summary>The session kept in <paramref name="moduleState"/>, created on first use.</summary>
    public static EtcdSession Of(SessionState moduleState)
    {
        if (moduleState.PSVariable.GetValue(VariableName) is EtcdSession existing) return existing;
        var session = new EtcdSession();
        moduleState.PSVariable.Set(new PSVariable(VariableName, session, ScopedItemOptions.Private));
        return session;
    }
}
