using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Kubernetes;

namespace EtcdTools.Commands;

/// <summary>
/// Opens a local TCP port per member of the session's Kubernetes connection (Connect-EtcdCluster
/// -Kubernetes), each forwarded through the API server to the member's client port, for tools
/// such as etcdctl. The ports stay open until Stop-EtcdPortForward or the connection is replaced.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "EtcdPortForward", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(EtcdLocalPortForward))]
public sealed class StartEtcdPortForwardCommand : EtcdToolsCmdlet
{
    /// <summary>Only these members (member or pod names); all by default.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string[]? Member { get; set; }

    /// <summary>Local ports, in member order; 0 or none picks free ports.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int[]? LocalPort { get; set; }

    protected override void ProcessRecord()
    {
        var kubernetes = EtcdSession.Of(this).Kubernetes;
        if (kubernetes is null)
        {
            ThrowTerminatingError(EtcdErrorRecords.Create(
                new InvalidOperationException("The session has no Kubernetes connection: run Connect-EtcdCluster -Kubernetes first."),
                "EtcdKubernetesNotConnected", ErrorCategory.InvalidOperation, null));
            return;
        }
        var names = Member;
        var pods = kubernetes.Pods.Where(p => names is null || names.Contains(p.MemberName, StringComparer.OrdinalIgnoreCase) || names.Contains(p.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        if (names is not null)
        {
            foreach (var missing in names.Where(n => !pods.Any(p => string.Equals(p.MemberName, n, StringComparison.OrdinalIgnoreCase) || string.Equals(p.Name, n, StringComparison.OrdinalIgnoreCase))))
                WriteError(EtcdErrorRecords.Create(new ArgumentException($"No etcd pod runs member '{missing}': the members are {string.Join(", ", kubernetes.Pods.Select(p => p.MemberName))}."),
                    "EtcdMemberNotFound", ErrorCategory.ObjectNotFound, missing));
        }
        if (pods.Count == 0 || !ShouldProcess(string.Join(", ", pods.Select(p => p.MemberName)), "Open local ports forwarded to the members' client ports")) return;
        IReadOnlyList<EtcdLocalPortForward> forwards;
        try
        {
            forwards = kubernetes.StartLocalPortForwards(LocalPort, pods.Select(p => p.MemberName));
        }
        catch (KubernetesException e)
        {
            ThrowTerminatingError(EtcdErrorRecords.From(e, LocalPort));
            return;
        }
        foreach (var forward in forwards) WriteObject(forward);
    }
}
